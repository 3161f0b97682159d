package main

import (
	"context"
	"fmt"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/service"
	"pgafha/internal/switchover"
)

// remove is state=absent: observe this host's node and its record on the
// monitor → decide (decideRemoval) → act unless check mode → report.
func remove(ctx context.Context, m *ansible.Module, o options, r *pgautoctl.Runner, unit service.Unit, manageUnit bool) error {
	local, err := r.Inspect(ctx, o.pgdata)
	if err != nil {
		return err
	}
	if local.Config != nil && local.Config.Role() == "monitor" {
		return fmt.Errorf("%s holds the monitor, not a data node: state=absent removes data nodes", o.pgdata)
	}
	mon, err := connectMonitor(ctx, o, "")
	if err != nil {
		return err
	}
	defer mon.Close(context.WithoutCancel(ctx))
	reg, err := lookup(ctx, r, mon, local, o)
	if err != nil {
		return err
	}
	hasLocal := local.Config != nil && local.HasState
	record := reg.node
	if record == nil && !hasLocal {
		record = reg.stale
	}

	var rm removal
	var nodes []pgaf.Node
	if record != nil {
		if nodes, err = mon.WaitForState(ctx, o.formation, func(n []pgaf.Node) bool { return pgaf.GroupSettled(n, record.Group) }); err != nil {
			return fmt.Errorf("wait for group %d to be at rest before removing %s: %w", record.Group, record.Name, err)
		}
		self, ok := pgaf.NodeByID(nodes, record.ID)
		if !ok {
			return fmt.Errorf("node %s (id %d) left the monitor while the module waited: run again", record.Name, record.ID)
		}
		f, err := mon.Formation(ctx, o.formation)
		if err != nil {
			return err
		}
		if rm, err = decideRemoval(self, nodes, f.NumberSyncStandbys, hasLocal, o.allowSingle); err != nil {
			return err
		}
	}
	unitPresent := false
	if manageUnit {
		if unitPresent, err = localnode.RemoveService(ctx, r, unit, true); err != nil {
			return err
		}
	}
	destroy := o.destroy && local.Config != nil
	steps := rm.steps(unit.Name, unitPresent, destroy, o.pgdata)
	res := &m.Result
	res.Set("pgdata", o.pgdata)
	res.Set("formation", o.formation)
	res.Set("monitor_uri", redact(o.monitorURI.String()))
	res.Set("created", false)
	res.Set("removed", false)
	if len(steps) == 0 {
		res.Msg = fmt.Sprintf("node %s is not registered at the monitor and has no unit here: nothing to remove", o.name)
		return nil
	}
	res.Changed = true
	before := "registered"
	if rm.node != nil {
		before = fmt.Sprintf("registered as id %d, %s", rm.node.ID, rm.node.ReportedState)
		res.Set("node_id", rm.node.ID)
		res.Set("role", string(rm.node.Role()))
	}
	res.SetDiff(ansible.Diff{Before: "node: " + before + "\n", After: "node: absent\n",
		BeforeHeader: o.name + " (before)", AfterHeader: o.name + " (after)"})
	if m.CheckMode() {
		res.Msg = "would " + strings.Join(steps, "; ")
		return nil
	}

	// Act.
	tl := &switchover.Timeline{}
	tl.Mark("removal of %s started", o.name)
	err = drop(ctx, o, r, mon, local, &rm, nodes, tl, res)
	if err == nil && unitPresent {
		if _, err = localnode.RemoveService(ctx, r, unit, false); err == nil {
			tl.Mark("systemd unit %s removed", unit.Name)
		}
	}
	if err == nil && destroy {
		if out, derr := r.Run(ctx, nil, "drop", "node", "--destroy", "--pgdata", local.PGData); derr != nil {
			err = fmt.Errorf("delete the files of the dropped node at %s: %w: %s", local.PGData, derr, out.Tail(5))
		} else {
			tl.Mark("data directory and pg_autoctl files deleted")
		}
	}
	res.Set("timeline", tl.Events())
	if err != nil {
		return err
	}
	res.Set("removed", rm.node != nil)
	res.Msg = strings.Join(steps, "; ")
	if rm.primaryAfter != "" {
		res.Set("primary", rm.primaryAfter)
		res.Msg += fmt.Sprintf("; %s is the primary of %d data node(s)", rm.primaryAfter, rm.remaining)
	}
	return nil
}

// drop carries out the monitor side of rm (primaryAfter updated to the node
// that took over): switchover, policy, the drop
// itself, and the wait until the group is at rest with every commit on a
// remaining standby.
func drop(ctx context.Context, o options, r *pgautoctl.Runner, mon *pgaf.Monitor, local pgautoctl.Local, rm *removal, nodes []pgaf.Node, tl *switchover.Timeline, res *ansible.Result) error {
	if rm.node == nil {
		return nil
	}
	self := *rm.node
	if rm.stepDown {
		fence := switchover.NewFence(o.port, local.Paths.State)
		if lifted, err := fence.LiftLeftover(ctx, false); err != nil {
			return err
		} else if lifted {
			res.Warn(switchover.LeftoverLifted)
		}
		sw := &switchover.Switcher{Mon: mon, Formation: o.formation, Fence: fence, CatchupTimeout: o.catchup}
		rep, took, err := sw.StepDown(ctx, nodes, self)
		if !rep.Started.IsZero() {
			res.Set("switchover", rep)
		}
		if err != nil {
			return err
		}
		rm.primaryAfter = took.Name
		tl.Mark("%s is the primary, %s a secondary", took.Name, self.Name)
	}
	if rm.nss != nil {
		if err := mon.AtRest(ctx, o.formation, self.Group, func() error { return mon.SetNumberSyncStandbys(ctx, o.formation, *rm.nss) }); err != nil {
			return err
		}
		tl.Mark("number_sync_standbys set to %d", *rm.nss)
	}
	if rm.force || local.ServicePID != 0 {
		// A running keeper sees `dropped`, stops PostgreSQL, reports it and exits.
		if err := mon.RemoveNode(ctx, self, rm.force); err != nil {
			return err
		}
	} else {
		// No keeper to report `dropped`: pg_autoctl does the drop and reports it itself.
		if out, err := r.Run(ctx, nil, "drop", "node", "--pgdata", local.PGData); err != nil {
			return fmt.Errorf("drop node %s with pg_autoctl (its keeper is not running): %w: %s", self.Name, err, out.Tail(5))
		}
	}
	tl.Mark("drop of %s requested", self.Name)
	gone := func(n []pgaf.Node) bool { _, found := pgaf.NodeByID(n, self.ID); return !found }
	if _, err := mon.WaitForState(ctx, o.formation, gone); err != nil {
		return fmt.Errorf("wait for the monitor to drop %s: %w", self.Name, err)
	}
	tl.Mark("%s dropped at the monitor", self.Name)
	if rm.primaryAfter == "" {
		return nil
	}
	if err := awaitCaughtUp(ctx, mon, o.formation, self.Group); err != nil {
		return err
	}
	tl.Mark("group %d at rest, its standbys have the primary's commits", self.Group)
	return nil
}

// awaitCaughtUp waits until group is at rest and every standby in the
// replication quorum has reported a WAL position at least the primary's
// once at rest: a commit the dropped node alone had acknowledged is then
// on a remaining standby.
func awaitCaughtUp(ctx context.Context, mon *pgaf.Monitor, formation string, group int) error {
	nodes, err := mon.WaitForState(ctx, formation, func(n []pgaf.Node) bool { return pgaf.GroupSettled(n, group) })
	if err != nil {
		return fmt.Errorf("wait for group %d to be at rest after the drop: %w", group, err)
	}
	primary, ok := pgaf.PrimaryOf(nodes, group)
	if !ok {
		return fmt.Errorf("group %d has no primary after the drop: %s", group, pgaf.Summary(nodes))
	}
	target, err := pgaf.ParseLSN(primary.LSN)
	if err != nil {
		return fmt.Errorf("primary %s: %w", primary.Name, err)
	}
	_, err = mon.WaitForState(ctx, formation, func(n []pgaf.Node) bool {
		for _, s := range n {
			if s.Group != group || s.ID == primary.ID || !s.ReplicationQuorum {
				continue
			}
			if lsn, err := pgaf.ParseLSN(s.LSN); err != nil || lsn < target {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("wait for the standbys of group %d to reach the primary's position %s: %w", group, primary.LSN, err)
	}
	return nil
}
