// pgaf_formation ensures a formation's replication policy on the monitor:
// number_sync_standbys (or the `synchronous` intent). It compares first,
// because the monitor's setter is not idempotent, and reports the primary's
// effective synchronous_standby_names. Per-node candidate priority and
// replication quorum are pgaf_node's.
package main

import (
	"context"
	"errors"
	"fmt"

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

	// Act, with the group at rest: another host's setter may have begun a
	// transition meanwhile.
	if !m.CheckMode() && plan.change {
		if err := mon.AtRest(ctx, formation, group, func() error { return mon.SetNumberSyncStandbys(ctx, formation, plan.targetNSS) }); err != nil {
			return fmt.Errorf("%s: %w", plan, err)
		}
		m.Result.Changed = true
		if nodes, err = waitAtRest(ctx, mon, formation, group); err != nil {
			return fmt.Errorf("wait for the group to apply %q: %w", plan, err)
		}
	}

	// Report, from what the monitor and the primary say now.
	return report(ctx, m, mon, formation, group, nodes, plan, f.NumberSyncStandbys)
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
	return w, nil
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
