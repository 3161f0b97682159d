// pgaf_maintenance puts this host's data node in pg_auto_failover's
// maintenance, or takes it out, as state says. A standby goes straight in
// (the monitor first lets the primary commit without waiting for it); a
// primary is first switched over to a standby, fenced so that no
// acknowledged commit is lost, because pg_auto_failover's own way (a
// failover from prepare_maintenance) can lose some. The monitor's refusal
// is the module's error, and then nothing changed.
package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/monitorconn"
	"pgafha/internal/switchover"
)

var spec = ansible.Spec{
	Name:           "pgaf_maintenance",
	DefaultTimeout: 300,
	Options: slices.Concat([]ansible.Option{
		{Name: "state", Type: ansible.TypeStr, Default: stateEnabled, Choices: []string{stateEnabled, stateDisabled}},
		switchover.CatchupOption(),
	}, monitorconn.Options(), localnode.InstanceOptions()),
}

func main() { ansible.Main(spec, run) }

type options struct {
	state, formation, pgdata, user, binDir string
	port                                   int
	catchup                                time.Duration
}

func readOptions(p ansible.Params) (options, error) {
	o := options{
		state: p.String("state"), formation: p.String("formation"), pgdata: p.String("pgdata"),
		user: p.String("os_user"), binDir: p.String("pg_bin_dir"), port: p.Int("pgport"),
	}
	var err error
	if o.catchup, err = switchover.CatchupTimeout(p); err != nil {
		return o, err
	}
	return o, localnode.ValidateInstance(p)
}

func run(ctx context.Context, m *ansible.Module) error {
	o, err := readOptions(m.Params)
	if err != nil {
		return err
	}
	r, err := localnode.Runner(o.user, o.binDir)
	if err != nil {
		return err
	}

	// Observe: this host's node, and its group at rest on the monitor.
	files, err := r.Inspect(ctx, o.pgdata)
	if err != nil {
		return err
	}
	if files.Config == nil || !files.HasState {
		if m.CheckMode() {
			m.Result.Msg = fmt.Sprintf("no pg_auto_failover data node at %s yet: maintenance is decided once it exists", o.pgdata)
			return nil
		}
		return fmt.Errorf("no pg_auto_failover data node at %s: create it first (pgaf_node)", o.pgdata)
	}
	if files.Config.Role() == "monitor" {
		return fmt.Errorf("%s holds the monitor: maintenance is for data nodes", o.pgdata)
	}
	g, err := localnode.SettledGroup(ctx, r, m.Params, o.pgdata)
	if err != nil {
		return err
	}
	defer g.Mon.Close(context.WithoutCancel(ctx))
	mon, nodes := g.Mon, g.Nodes

	// Decide.
	p, err := decide(nodes, g.Self.ID, o.state)
	if err != nil {
		return err
	}
	rep := &report{m: m, plan: p}
	if p.action == actionNone || m.CheckMode() {
		return rep.finish(nodes, nil)
	}

	// Act.
	m.Result.Changed = true
	fence := switchover.NewFence(o.port, r.PathsFor(o.pgdata).State)
	if lifted, err := fence.LiftLeftover(ctx, false); err != nil {
		return err
	} else if lifted {
		m.Result.Warn(switchover.LeftoverLifted)
	}
	self := p.self
	switch p.action {
	case actionSwitchThenEnable:
		rep.mark(fmt.Sprintf("%s is the primary: switching over to a standby first", self.Name))
		sw := &switchover.Switcher{Mon: mon, Formation: o.formation, Fence: fence, CatchupTimeout: o.catchup}
		res, target, err := sw.StepDown(ctx, nodes, self)
		if !res.Started.IsZero() {
			rep.switchover = &res
		} else {
			m.Result.Changed = false
		}
		if err != nil {
			return rep.finish(nil, err)
		}
		rep.mark(fmt.Sprintf("%s is the primary, %s a secondary", target.Name, self.Name))
		fallthrough
	case actionEnable:
		requested, err := mon.EnterMaintenance(ctx, o.formation, self)
		if !requested && rep.switchover == nil {
			m.Result.Changed = false
		}
		if err != nil {
			return rep.finish(nil, fmt.Errorf("put %s in maintenance: %w", self.Name, err))
		}
		rep.mark(fmt.Sprintf("%s is in maintenance; the primary commits without waiting for it", self.Name))
	case actionDisable:
		if err := mon.LeaveMaintenance(ctx, o.formation, self); err != nil {
			return rep.finish(nil, fmt.Errorf("take %s out of maintenance: %w", self.Name, err))
		}
		rep.mark(fmt.Sprintf("%s is a secondary again, caught up; the group is at rest", self.Name))
	}
	after, err := mon.Nodes(ctx, o.formation)
	return rep.finish(after, err)
}
