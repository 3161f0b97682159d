package main

import (
	"context"
	"fmt"

	"pgafha/internal/localnode"
	"pgafha/internal/localpg"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
)

func byID(nodes []pgaf.Node, id int64) *pgaf.Node {
	for i := range nodes {
		if nodes[i].ID == id {
			return &nodes[i]
		}
	}
	return nil
}

// converge waits for the keeper (run by its systemd unit) and for the
// monitor to report the node at rest, then corrects the replication policy
// and, on the primary, the replication password; done records both.
func converge(ctx context.Context, r *pgautoctl.Runner, mon *pgaf.Monitor, o options, p plan, known *pgautoctl.LocalNode, done *plan) (pgaf.Node, error) {
	if err := localnode.WaitForService(ctx, r, o.pgdata, "node", "pg_autoctl-node"); err != nil {
		return pgaf.Node{}, err
	}
	// The monitor still shows the state the create left, so a settled
	// record alone does not prove the keeper is back: its Postgres must be.
	conn, err := localpg.ConnectWhenReady(ctx, o.port, "postgres")
	if err != nil {
		return pgaf.Node{}, err
	}
	if err := conn.Close(context.WithoutCancel(ctx)); err != nil {
		return pgaf.Node{}, err
	}
	// observe has read the local state whenever the node had one; read it
	// here only when it had none then.
	if known == nil {
		ln, err := r.ShowLocalState(ctx, o.pgdata)
		if err != nil {
			return pgaf.Node{}, err
		}
		known = &ln
	}
	ln := *known
	nodes, err := mon.WaitForState(ctx, o.formation, func(nodes []pgaf.Node) bool {
		n := byID(nodes, ln.NodeID)
		return n != nil && n.Settled()
	})
	if err != nil {
		return pgaf.Node{}, fmt.Errorf("wait for node %q (id %d) to reach a stable state: %w", o.name, ln.NodeID, err)
	}
	n := byID(nodes, ln.NodeID)
	if n == nil {
		return pgaf.Node{}, fmt.Errorf("node %q (id %d) is no longer on the monitor", o.name, ln.NodeID)
	}
	if p.policyChange() {
		if err := setPolicy(ctx, mon, o, *n, p, done); err != nil {
			return pgaf.Node{}, err
		}
		nodes, err = mon.WaitForState(ctx, o.formation, func(nodes []pgaf.Node) bool { return pgaf.GroupSettled(nodes, n.Group) })
		if err != nil {
			return pgaf.Node{}, fmt.Errorf("wait for the group to apply the new settings of node %q: %w", o.name, err)
		}
		n = byID(nodes, ln.NodeID)
	}
	if o.replicationPassword != "" && n.Role() == pgaf.RolePrimary {
		changed, err := ensureReplicationPassword(ctx, o, false)
		if err != nil {
			return pgaf.Node{}, err
		}
		done.replicationPassword = done.replicationPassword || changed
	}
	return *n, nil
}

// setPolicy changes candidate priority and replication quorum, one setter
// at a time with the group at rest before each (they are not idempotent:
// compare first, which decide did).
func setPolicy(ctx context.Context, mon *pgaf.Monitor, o options, n pgaf.Node, p plan, done *plan) error {
	if p.priority != nil {
		if err := mon.AtRest(ctx, o.formation, n.Group, func() error { return mon.SetCandidatePriority(ctx, o.formation, n.Name, *p.priority) }); err != nil {
			return fmt.Errorf("change node %q: %w", o.name, err)
		}
		done.priority = p.priority
	}
	if p.quorum != nil {
		if err := mon.AtRest(ctx, o.formation, n.Group, func() error { return mon.SetReplicationQuorum(ctx, o.formation, n.Name, *p.quorum) }); err != nil {
			return fmt.Errorf("change node %q: %w", o.name, err)
		}
		done.quorum = p.quorum
	}
	return nil
}

// ensureReplicationPassword sets pgautofailover_replicator's password on the
// primary when it does not verify (only reports that with dryRun); it
// reaches the standbys through WAL. pg_autoctl creates that role without a
// password.
func ensureReplicationPassword(ctx context.Context, o options, dryRun bool) (bool, error) {
	conn, err := localpg.Connect(ctx, o.port, "postgres")
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	ok, err := localpg.PasswordVerifies(ctx, conn, replicationUser, o.replicationPassword)
	if err != nil || ok || dryRun {
		return err == nil && !ok, err
	}
	return true, localpg.SetPassword(ctx, conn, replicationUser, o.replicationPassword)
}

// primaryWithPassword: the node is the primary, its PostgreSQL runs, and a
// replication password is asked: the password is set there (it reaches the
// standbys through WAL).
func primaryWithPassword(o options, l pgautoctl.Local, reg registration) bool {
	return o.replicationPassword != "" && reg.node != nil && reg.node.Role() == pgaf.RolePrimary && pgautoctl.PostgresRunning(l.PGData)
}

// replicationPasswordDiffers tells whether the primary's replication
// password does not verify (read-only: it only reads pg_authid).
func replicationPasswordDiffers(ctx context.Context, o options, l pgautoctl.Local, reg registration) (bool, error) {
	if o.state != "running" || !primaryWithPassword(o, l, reg) {
		return false, nil
	}
	return ensureReplicationPassword(ctx, o, true)
}

// passwordAfterCreate sets the replication password on a node the create
// has just made primary, while its Postgres still runs from the create and
// before its keeper's service starts: a standby's pg_basebackup cannot start
// earlier than that.
func passwordAfterCreate(ctx context.Context, o options, l pgautoctl.Local, reg registration) (bool, error) {
	if !primaryWithPassword(o, l, reg) {
		return false, nil
	}
	changed, err := ensureReplicationPassword(ctx, o, false)
	if err != nil {
		return false, fmt.Errorf("set the replication password after creating node %q: %w", o.name, err)
	}
	return changed, nil
}
