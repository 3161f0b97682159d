// pgaf_switchover makes the named data node the primary of its group,
// without losing an acknowledged commit. Every data node of the group runs
// it: the primary's host fences the primary, waits until the wanted node
// has all its WAL, and has the monitor promote it; the wanted node's host
// waits for the promotion; any other node has nothing to do. When the
// wanted node is the primary already, nothing changes anywhere.
package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/monitorconn"
	"pgafha/internal/pgaf"
	"pgafha/internal/switchover"
)

var spec = ansible.Spec{
	Name:           "pgaf_switchover",
	DefaultTimeout: 300,
	Options: slices.Concat([]ansible.Option{
		{Name: "primary", Type: ansible.TypeStr, Required: true},
		{Name: "group", Type: ansible.TypeInt, Default: 0},
		switchover.CatchupOption(),
		{Name: "race_hold_seconds", Type: ansible.TypeFloat, Default: 0.0},
	}, monitorconn.Options(), localnode.InstanceOptions()),
}

func main() { ansible.Main(spec, run) }

type options struct {
	primary, formation, pgdata, osUser, binDir string
	group, port                                int
	catchup, raceHold                          time.Duration
}

func readOptions(p ansible.Params) (options, error) {
	o := options{
		primary: p.String("primary"), formation: p.String("formation"), pgdata: p.String("pgdata"),
		osUser: p.String("os_user"), binDir: p.String("pg_bin_dir"),
		group: p.Int("group"), port: p.Int("pgport"),
		raceHold: time.Duration(p.Float("race_hold_seconds") * float64(time.Second)),
	}
	if o.primary == "" {
		return o, errors.New("primary must name the data node that should be the primary")
	}
	if o.group < 0 {
		return o, fmt.Errorf("group must be 0 or more, got %d", o.group)
	}
	var err error
	if o.catchup, err = switchover.CatchupTimeout(p); err != nil {
		return o, err
	}
	if h := p.Float("race_hold_seconds"); h < 0 || h > 10 {
		return o, fmt.Errorf("race_hold_seconds must be between 0 and 10, got %g", h)
	}
	return o, localnode.ValidateInstance(p)
}

func run(ctx context.Context, m *ansible.Module) error {
	o, err := readOptions(m.Params)
	if err != nil {
		return err
	}
	r, err := localnode.Runner(o.osUser, o.binDir)
	if err != nil {
		return err
	}

	// Observe: this host's node, the group at rest, a fence left behind.
	files, err := r.Inspect(ctx, o.pgdata)
	if err != nil {
		return err
	}
	if (files.Config == nil || !files.HasState) && m.CheckMode() {
		// --check of a formation still to be built: nothing to switch yet.
		m.Result.Msg = fmt.Sprintf("no pg_auto_failover node at %s yet: the switchover to %s is decided once the formation exists", o.pgdata, o.primary)
		return nil
	}
	local, err := r.ShowLocalState(ctx, o.pgdata)
	if err != nil {
		return fmt.Errorf("read this host's pg_auto_failover node at %s (create it first with pgaf_node): %w", o.pgdata, err)
	}
	fence := switchover.NewFence(o.port, r.PathsFor(o.pgdata).State)
	mon, err := monitorconn.Connect(ctx, m.Params)
	if err != nil {
		return err
	}
	defer mon.Close(context.WithoutCancel(ctx))
	nodes, err := mon.WaitForState(ctx, o.formation, func(n []pgaf.Node) bool { return pgaf.GroupSettled(n, o.group) })
	if err != nil {
		return fmt.Errorf("wait for group %d to be at rest before comparing: %w", o.group, err)
	}
	// Whatever is decided next, a fence left behind goes: the group is at
	// rest, so no switchover is in progress.
	lifted, err := fence.LiftLeftover(ctx, m.CheckMode())
	if lifted {
		m.Result.Changed = true
		if m.CheckMode() {
			m.Result.Warn("an interrupted switchover left this node's write fence (default_transaction_read_only=on): it would be lifted")
		} else if err == nil {
			m.Result.Warn(switchover.LeftoverLifted)
		}
	}
	if err != nil {
		return err
	}

	// Decide.
	plan, err := switchover.Decide(nodes, o.group, local.NodeID, o.primary)
	if err != nil {
		return err
	}
	rep := &report{m: m, plan: plan}

	// Act unless in check mode, then report.
	switch plan.Action {
	case switchover.Nothing:
		return rep.nothing()
	case switchover.NotInvolved:
		return rep.notInvolved()
	case switchover.AwaitPromotion:
		if m.CheckMode() {
			return rep.predict()
		}
		return rep.awaited(awaitPromotion(ctx, mon, o, plan))
	default:
		if m.CheckMode() {
			return rep.predict()
		}
		sw := &switchover.Switcher{Mon: mon, Formation: o.formation, Fence: fence, CatchupTimeout: o.catchup, RaceHold: o.raceHold}
		res, err := sw.Run(ctx, plan)
		return rep.switched(res, err)
	}
}

// awaitPromotion waits on the wanted node's host until it is the primary of
// a settled group. The switchover itself runs on the primary's host; if it
// has not begun within catchup_timeout plus a margin, that host is not
// doing it (not in the play, or it failed before the promotion).
func awaitPromotion(ctx context.Context, mon *pgaf.Monitor, o options, p switchover.Plan) error {
	startWait := o.catchup + 30*time.Second
	sctx, cancel := context.WithTimeout(ctx, startWait)
	_, err := mon.WaitForState(sctx, o.formation, func(nodes []pgaf.Node) bool {
		return !pgaf.GroupSettled(nodes, o.group) || switchover.IsPrimary(nodes, p.Self.ID, o.group)
	})
	cancel()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("%q is still the primary and no switchover began within %s: the switchover runs on %q's host, which must run this task too (see its result)", p.Primary.Name, startWait, p.Primary.Name)
	}
	if err != nil {
		return err
	}
	// At rest with another primary: the switchover gave up, or the monitor
	// promoted another candidate.
	nodes, err := mon.WaitForState(ctx, o.formation, func(nodes []pgaf.Node) bool {
		_, hasPrimary := pgaf.PrimaryOf(nodes, o.group)
		return pgaf.GroupSettled(nodes, o.group) && hasPrimary && !switchover.IsPrimary(nodes, p.Primary.ID, o.group)
	})
	if err != nil {
		return fmt.Errorf("wait to become the primary of a group at rest: %w", err)
	}
	if got, _ := pgaf.PrimaryOf(nodes, o.group); got.ID != p.Self.ID {
		return fmt.Errorf("the monitor promoted %q instead of %q (it was not healthy at that moment?): run again to move the primary to %q", got.Name, p.Self.Name, p.Self.Name)
	}
	return nil
}
