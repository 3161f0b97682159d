// pgaf_formation ensures a formation's replication policy on the monitor:
// number_sync_standbys (or the `synchronous` intent), and per-node
// candidate priority and replication quorum. It compares first, because the
// monitor's setters are not idempotent, and reports the primary's effective
// synchronous_standby_names.
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/monitorconn"
	"pgafha/internal/pgaf"
)

var spec = ansible.Spec{
	Name:           "pgaf_formation",
	DefaultTimeout: 120,
	Options: append([]ansible.Option{
		{Name: "group", Type: ansible.TypeInt, Default: 0},
		{Name: "synchronous", Type: ansible.TypeBool},
		{Name: "number_sync_standbys", Type: ansible.TypeInt},
		{Name: "nodes", Type: ansible.TypeList, Elements: ansible.TypeRaw},
	}, monitorconn.Options()...),
}

func main() { ansible.Main(spec, run) }

func run(ctx context.Context, m *ansible.Module) error {
	p := m.Params
	w, err := readWish(p)
	if err != nil {
		return err
	}
	formation, group := p.String("formation"), p.Int("group")

	// Observe.
	mon, err := monitorconn.Connect(ctx, p)
	if err != nil {
		if m.CheckMode() && pgaf.Unreachable(err) {
			// --check before the monitor exists: nothing to compare with.
			m.Result.Warn(fmt.Sprintf("monitor not reachable (%v): the policy would be applied once it runs", err))
			m.Result.Changed = true
			m.Result.Msg = "would apply the replication policy to the new formation"
			return nil
		}
		return err
	}
	defer mon.Close(context.WithoutCancel(ctx))
	f, err := mon.Formation(ctx, formation)
	if err != nil {
		return err
	}
	nodes, err := waitAtRest(ctx, mon, formation, group)
	if err != nil {
		return fmt.Errorf("wait for group %d of formation %q to be at rest before comparing: %w", group, formation, err)
	}

	// Decide.
	plan, err := planPolicy(nodes, f.NumberSyncStandbys, w)
	if err != nil {
		return err
	}
	if w.synchronous != nil && !*w.synchronous {
		m.Result.Warn("synchronous=false: commits do not wait for any standby; a failover can lose the last committed transactions")
	}

	// Act, one setter at a time with the group at rest in between.
	initial := nodes
	if !m.CheckMode() {
		for i, s := range plan.steps {
			// Another host's setter may have begun a transition meanwhile.
			if err := mon.AtRest(ctx, formation, group, func() error { return apply(ctx, mon, formation, s) }); err != nil {
				m.Result.Changed = i > 0
				return fmt.Errorf("%w (steps done before this one: %s)", err, done(plan.steps, s))
			}
			m.Result.Changed = true
			if nodes, err = waitAtRest(ctx, mon, formation, group); err != nil {
				return fmt.Errorf("wait for the group to apply %q: %w", s, err)
			}
		}
	}

	// Report, from what the monitor and the primary say now.
	return report(ctx, m, mon, formation, group, initial, nodes, plan, f.NumberSyncStandbys)
}

func readWish(p ansible.Params) (wish, error) {
	var w wish
	if p.IsSet("synchronous") && p.IsSet("number_sync_standbys") {
		return w, errors.New("synchronous and number_sync_standbys are mutually exclusive: synchronous picks the right number_sync_standbys for the group's standbys")
	}
	if p.IsSet("synchronous") {
		v := p.Bool("synchronous")
		w.synchronous = &v
	}
	if p.IsSet("number_sync_standbys") {
		v := p.Int("number_sync_standbys")
		if v < 0 {
			return w, fmt.Errorf("number_sync_standbys must be 0 or more, got %d", v)
		}
		w.nss = &v
	}
	if g := p.Int("group"); g < 0 {
		return w, fmt.Errorf("group must be 0 or more, got %d", g)
	}
	for i, item := range p.List("nodes") {
		nw, err := readNodeWish(item)
		if err != nil {
			return w, fmt.Errorf("nodes[%d]: %w", i, err)
		}
		w.nodes = append(w.nodes, nw)
	}
	return w, nil
}

func readNodeWish(item any) (nodeWish, error) {
	var nw nodeWish
	d, ok := item.(map[string]any)
	if !ok {
		return nw, errors.New("must be a dict with name, and candidate_priority and/or replication_quorum")
	}
	for k, v := range d {
		switch k {
		case "name":
			s, ok := v.(string)
			if !ok || s == "" {
				return nw, errors.New("name must be a non-empty string")
			}
			nw.name = s
		case "candidate_priority":
			n, ok := v.(int64)
			if !ok {
				return nw, fmt.Errorf("candidate_priority must be an integer, got %v", v)
			}
			i := int(n)
			nw.priority = &i
		case "replication_quorum":
			b, ok := v.(bool)
			if !ok {
				return nw, fmt.Errorf("replication_quorum must be a boolean, got %v", v)
			}
			nw.quorum = &b
		default:
			return nw, fmt.Errorf("unknown key %q (known: name, candidate_priority, replication_quorum)", k)
		}
	}
	if nw.name == "" {
		return nw, errors.New("name is required")
	}
	return nw, nil
}

// waitAtRest waits until the group is settled (pgaf.GroupSettled, the one
// definition the modules share) and returns its nodes: the setters refuse to
// run mid-transition, and a comparison made mid-transition would be wrong.
func waitAtRest(ctx context.Context, mon *pgaf.Monitor, formation string, group int) ([]pgaf.Node, error) {
	all, err := mon.WaitForState(ctx, formation, func(nodes []pgaf.Node) bool { return pgaf.GroupSettled(nodes, group) })
	if err != nil {
		return nil, err
	}
	nodes := inGroup(all, group)
	if len(nodes) == 0 {
		return nil, fmt.Errorf("group %d of formation %q has no nodes: register the data nodes first", group, formation)
	}
	return nodes, nil
}

func inGroup(nodes []pgaf.Node, group int) []pgaf.Node {
	var out []pgaf.Node
	for _, n := range nodes {
		if n.Group == group {
			out = append(out, n)
		}
	}
	return out
}

func apply(ctx context.Context, mon *pgaf.Monitor, formation string, s step) error {
	switch {
	case s.nss != nil:
		return mon.SetNumberSyncStandbys(ctx, formation, *s.nss)
	case s.priority != nil:
		return mon.SetCandidatePriority(ctx, formation, s.node, *s.priority)
	default:
		return mon.SetReplicationQuorum(ctx, formation, s.node, *s.quorum)
	}
}

func done(steps []step, failed step) string {
	var out []string
	for _, s := range steps {
		if s == failed {
			break
		}
		out = append(out, s.String())
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}
