package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/localpg"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/pgsettings"
	"pgafha/internal/switchover"
)

// restartTimeout bounds the wait for PostgreSQL to accept connections
// again after a restart.
const restartTimeout = 2 * time.Minute

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
	g, err := localnode.SettledGroup(ctx, rs.r, rs.m.Params, rs.o.pgdata)
	if err != nil {
		return err
	}
	defer g.Mon.Close(context.WithoutCancel(ctx))
	mon, nodes, self, group := g.Mon, g.Nodes, g.Self, g.Self.Group
	fence := switchover.NewFence(rs.o.port, rs.r.PathsFor(rs.o.pgdata).State)
	if lifted, err := fence.LiftLeftover(ctx, false); err != nil {
		return err
	} else if lifted {
		rs.m.Result.Changed = true
		rs.m.Result.Warn(switchover.LeftoverLifted)
	}
	if self.InMaintenance() {
		return fmt.Errorf("%s is in maintenance (postgres_ha_maintenance): it restarts once it leaves maintenance", self.Name)
	}
	if primary, ok := pgaf.PrimaryOf(nodes, group); ok && primary.ID == self.ID {
		if rs.o.restart == restartStandby {
			rs.rep.deferred = fmt.Sprintf("%s is the primary: it restarts with restart=any, after a switchover to a standby", self.Name)
			return nil
		}
		rs.rep.mark(fmt.Sprintf("%s is the primary: switching over to a standby first", self.Name))
		sw := &switchover.Switcher{Mon: mon, Formation: rs.o.formation, Fence: fence, CatchupTimeout: rs.o.catchup}
		res, target, err := sw.StepDown(ctx, nodes, self)
		if res.Started.IsZero() {
			return err
		}
		rs.rep.switchover = &res
		if err != nil {
			return fmt.Errorf("before the restart: %w", err)
		}
		rs.rep.mark(fmt.Sprintf("%s is the primary, %s a secondary", target.Name, self.Name))
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

// inMaintenance restarts this standby: maintenance (the monitor first
// lets the primary commit without waiting for it), PostgreSQL stopped,
// maintenance ended (pg_autoctl starts PostgreSQL again and the node
// catches up), until it is a secondary of a group at rest.
func (rs *restarter) inMaintenance(ctx context.Context, mon *pgaf.Monitor, self pgaf.Node) error {
	requested, err := mon.EnterMaintenance(ctx, rs.o.formation, self)
	if !requested {
		// Refused by the monitor: nothing changed.
		return fmt.Errorf("restart %s: %w", self.Name, err)
	}
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
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restartTimeout)
	defer cancel()
	if leaveErr := mon.LeaveMaintenance(lctx, rs.o.formation, self); leaveErr != nil {
		return errors.Join(err, fmt.Errorf("%w: did PostgreSQL on %s start again? pg_autoctl does not retry a failed start: see the node's pg_autoctl service log, fix the cause, restart that service", leaveErr, self.Name))
	}
	if err != nil {
		return fmt.Errorf("restart %s in maintenance (maintenance ended again): %w", self.Name, err)
	}
	rs.rep.mark(fmt.Sprintf("%s is a secondary again, caught up; the group is at rest", self.Name))
	return nil
}

func (rs *restarter) connectAgain(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, restartTimeout)
	defer cancel()
	return localpg.ConnectWhenReady(cctx, rs.o.port, "postgres")
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
