package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/monitorconn"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/pgsettings"
	"pgafha/internal/switchover"
)

// restartTimeout bounds the wait for PostgreSQL to accept connections
// again after a restart.
const restartTimeout = 2 * time.Minute

// primaryReadyTimeout bounds the wait for the primary to leave wait_primary
// before a standby asks for maintenance.
const primaryReadyTimeout = time.Minute

// restarter restarts this host's PostgreSQL so that pending settings take
// effect, without taking the formation's writes down.
type restarter struct {
	m   *ansible.Module
	r   *pgautoctl.Runner
	o   options
	rep *report
}

// monitor restarts the monitor's PostgreSQL: it has no standby, the data
// nodes keep running and retry; pg_autoctl's supervisor starts the
// PostgreSQL it runs again once it is down.
func (rs *restarter) monitor(ctx context.Context) error {
	rs.rep.mark("stopping the monitor's PostgreSQL (pg_autoctl starts it again)")
	if err := rs.r.StopPostgres(ctx, rs.o.pgdata); err != nil {
		return fmt.Errorf("stop the monitor's PostgreSQL to restart it: %w", err)
	}
	rs.rep.restarted = true
	conn, err := rs.connectAgain(ctx)
	if err != nil {
		return err
	}
	_ = conn.Close(context.WithoutCancel(ctx))
	rs.rep.mark("the monitor's PostgreSQL accepts connections again")
	return nil
}

// dataNode restarts a standby in maintenance. The primary (restart=any
// only) is first switched over to a standby: after the standby step every
// standby runs the new settings already.
func (rs *restarter) dataNode(ctx context.Context) error {
	local, err := rs.r.ShowLocalState(ctx, rs.o.pgdata)
	if err != nil {
		return err
	}
	mon, err := monitorconn.Connect(ctx, rs.m.Params)
	if err != nil {
		return err
	}
	defer mon.Close(context.WithoutCancel(ctx))
	group := local.GroupID
	nodes, err := mon.WaitForState(ctx, rs.o.formation, func(n []pgaf.Node) bool { return pgaf.GroupSettled(n, group) })
	if err != nil {
		return fmt.Errorf("wait for group %d to be at rest before the restart: %w", group, err)
	}
	fence := switchover.NewFence(rs.o.port, rs.r.PathsFor(rs.o.pgdata).State)
	if err := rs.liftLeftoverFence(ctx, fence); err != nil {
		return err
	}
	self, ok := nodeByID(nodes, local.NodeID)
	if !ok {
		return fmt.Errorf("this host's node (id %d) is not on the monitor: %s", local.NodeID, pgaf.Summary(nodes))
	}
	if primary, ok := pgaf.PrimaryOf(nodes, group); ok && primary.ID == self.ID {
		if rs.o.restart == restartStandby {
			rs.rep.deferred = fmt.Sprintf("%s is the primary: it restarts with restart=any, after a switchover to a standby", self.Name)
			return nil
		}
		if self, err = rs.switchAway(ctx, mon, fence, nodes, self); err != nil {
			return err
		}
		// pg_auto_failover restarts a demoted primary as a standby: that
		// restart may have applied everything already.
		have, err := rs.reread(ctx)
		if err != nil {
			return err
		}
		if len(pgsettings.Pending(have, rs.o.want)) == 0 {
			rs.rep.restarted = true
			rs.rep.mark(fmt.Sprintf("%s was restarted as a standby by its demotion: every setting is in force", self.Name))
			return nil
		}
	}
	return rs.inMaintenance(ctx, mon, self)
}

// switchAway makes a standby the primary, losing no commit, and returns
// this node as the monitor sees it afterwards (a secondary).
func (rs *restarter) switchAway(ctx context.Context, mon *pgaf.Monitor, fence switchover.Fence, nodes []pgaf.Node, self pgaf.Node) (pgaf.Node, error) {
	target, err := takeOver(nodes, self)
	if err != nil {
		return self, err
	}
	plan, err := switchover.Decide(nodes, self.Group, self.ID, target.Name)
	if err != nil {
		return self, err
	}
	rs.rep.mark(fmt.Sprintf("%s is the primary: switching over to %s first", self.Name, target.Name))
	sw := &switchover.Switcher{Mon: mon, Formation: rs.o.formation, Fence: fence, CatchupTimeout: rs.o.catchup}
	res, err := sw.Run(ctx, plan)
	rs.rep.switchover = &res
	if err != nil {
		return self, fmt.Errorf("switch over from %s to %s before the restart: %w", self.Name, target.Name, err)
	}
	rs.rep.mark(fmt.Sprintf("%s is the primary, %s a secondary", target.Name, self.Name))
	after, err := mon.Nodes(ctx, rs.o.formation)
	if err != nil {
		return self, err
	}
	n, _ := nodeByID(after, self.ID)
	return n, nil
}

// takeOver picks the standby to switch over to: a healthy secondary at
// rest that may be promoted, the highest candidate_priority first.
func takeOver(nodes []pgaf.Node, self pgaf.Node) (pgaf.Node, error) {
	var ok []pgaf.Node
	for _, n := range nodes {
		if n.Group == self.Group && n.ID != self.ID && n.ReportedState == pgaf.StateSecondary &&
			n.Settled() && n.Health == pgaf.HealthGood && n.CandidatePriority > 0 {
			ok = append(ok, n)
		}
	}
	if len(ok) == 0 {
		return pgaf.Node{}, fmt.Errorf("%s is the primary and no standby can take over while it restarts (a healthy secondary at rest with candidate_priority above 0 is needed): %s", self.Name, pgaf.Summary(nodes))
	}
	slices.SortStableFunc(ok, func(a, b pgaf.Node) int {
		if a.CandidatePriority != b.CandidatePriority {
			return b.CandidatePriority - a.CandidatePriority
		}
		return int(a.ID - b.ID)
	})
	return ok[0], nil
}

// inMaintenance restarts this standby: maintenance (the monitor first
// lets the primary commit without waiting for it), PostgreSQL stopped,
// maintenance ended (pg_autoctl starts PostgreSQL again and the node
// catches up), until it is a secondary of a group at rest.
func (rs *restarter) inMaintenance(ctx context.Context, mon *pgaf.Monitor, self pgaf.Node) error {
	// The monitor refuses maintenance while the primary is still in
	// wait_primary (as right after a switchover, until this node counts as
	// a synchronous standby again): wait for it, bounded; a refusal after
	// that carries the monitor's reason.
	wctx, cancel := context.WithTimeout(ctx, primaryReadyTimeout)
	_, _ = mon.WaitForState(wctx, rs.o.formation, func(n []pgaf.Node) bool {
		p, ok := pgaf.PrimaryOf(n, self.Group)
		return ok && p.ReportedState == pgaf.StatePrimary && pgaf.GroupSettled(n, self.Group)
	})
	cancel()
	if err := mon.StartMaintenance(ctx, self); err != nil {
		return fmt.Errorf("restart %s: %w", self.Name, err)
	}
	rs.rep.mark(fmt.Sprintf("maintenance of %s requested", self.Name))
	_, err := mon.WaitForState(ctx, rs.o.formation, func(n []pgaf.Node) bool {
		s, ok := nodeByID(n, self.ID)
		return ok && s.ReportedState == pgaf.StateMaintenance && s.Stable()
	})
	if err == nil {
		rs.rep.mark(fmt.Sprintf("%s is in maintenance; the primary commits without waiting for it", self.Name))
		err = rs.r.StopPostgres(ctx, rs.o.pgdata)
		if err == nil {
			rs.rep.restarted = true
			rs.rep.mark(fmt.Sprintf("PostgreSQL on %s stopped", self.Name))
		}
	}
	// Whatever happened, the node leaves maintenance: pg_autoctl starts
	// PostgreSQL again on the way out.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if stopErr := mon.StopMaintenance(sctx, self); stopErr != nil {
		return errors.Join(err, fmt.Errorf("%w: %s stays in maintenance until `pg_autoctl disable maintenance` or the next run", stopErr, self.Name))
	}
	if err != nil {
		return fmt.Errorf("restart %s in maintenance (maintenance ended again): %w", self.Name, err)
	}
	_, err = mon.WaitForState(ctx, rs.o.formation, func(n []pgaf.Node) bool {
		s, ok := nodeByID(n, self.ID)
		return ok && s.ReportedState == pgaf.StateSecondary && pgaf.GroupSettled(n, self.Group)
	})
	if err != nil {
		return fmt.Errorf("wait for %s to be a secondary again after its restart: %w", self.Name, err)
	}
	rs.rep.mark(fmt.Sprintf("%s is a secondary again, caught up; the group is at rest", self.Name))
	return nil
}

// liftLeftoverFence lifts a write fence that an interrupted switchover
// left on this node: the group is at rest, so none is in progress.
func (rs *restarter) liftLeftoverFence(ctx context.Context, fence switchover.Fence) error {
	present, err := fence.Present()
	if err != nil || !present {
		return err
	}
	if err := fence.Lift(ctx); err != nil {
		return fmt.Errorf("lift the write fence an interrupted switchover left: %w", err)
	}
	rs.m.Result.Changed = true
	rs.m.Result.Warn("lifted the write fence (default_transaction_read_only=on) that an interrupted switchover had left on this node")
	return nil
}

func (rs *restarter) connectAgain(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, restartTimeout)
	defer cancel()
	return localnode.ConnectWhenReady(cctx, rs.o.port, "postgres")
}

// reread reads the wanted settings again after the restart.
func (rs *restarter) reread(ctx context.Context) (map[string]pgsettings.Current, error) {
	conn, err := rs.connectAgain(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return pgsettings.Read(ctx, conn, names(rs.o.want))
}

func nodeByID(nodes []pgaf.Node, id int64) (pgaf.Node, bool) {
	for _, n := range nodes {
		if n.ID == id {
			return n, true
		}
	}
	return pgaf.Node{}, false
}
