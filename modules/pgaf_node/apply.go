package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"pgafha/internal/localnode"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
)

// apply carries the plan out, in its order, and returns what it did: all of
// it, or after a failure the part before it (so the result still says what
// changed). A create and a TLS change are followed by a new look at the node,
// and what is left is decided again from it. With state=running it then
// waits for the keeper and a stable state, corrects the replication policy
// and sets the replication password on a primary.
func apply(ctx context.Context, h localnode.Host, s *seen, p plan, o options) (done plan, err error) {
	done.wasConfig, done.was = p.wasConfig, p.was
	if done.tlsFiles, err = localnode.EnsureTLSFiles(h.TLSFiles, false); err != nil {
		return done, err
	}
	entries, ownUsers := passEntries(o, s.reg.formation)
	if done.pgpass, err = h.Runner.EnsurePgpass(entries, false, ownUsers...); err != nil {
		return done, err
	}
	if p.create != "" {
		// The monitor gives roles by registration order: the nodes meant
		// to come first must be there before this one registers.
		if err := awaitRegistered(ctx, s.mon, o); err != nil {
			return done, err
		}
		if err := createNode(ctx, h.Runner, o); err != nil {
			return done, fmt.Errorf("%s node %q at %s: %w", p.create, o.name, o.pgdata, err)
		}
		done.create = p.create
		if p, err = reobserve(ctx, h.Runner, s, o); err != nil {
			return done, err
		}
		// A standby registered next clones the primary as soon as the
		// primary's keeper runs: its password must verify before that.
		if done.replicationPassword, err = passwordAfterCreate(ctx, o, s.local, s.reg); err != nil {
			return done, err
		}
	}
	done.initRunning = p.initRunning
	if len(p.tls) > 0 {
		if err := changeTLS(ctx, h.Runner, s, o, &p); err != nil {
			return done, err
		}
		done.tls = p.tls
	}
	if err := applyLocal(ctx, h.Runner, s.local, p); err != nil {
		return done, err
	}
	done.configSets, done.metadata = p.configSets, p.metadata
	if s.local.Data == pgautoctl.DataCluster {
		if done.auth, err = localnode.EnsureAuth(ctx, s.local, o.port, o.osUser, o.hbaRules, hbaMarker, false); err != nil {
			return done, err
		}
	}
	if h.ManageUnit {
		if done.service, err = localnode.EnsureService(ctx, h.Runner, h.Unit, false, false); err != nil {
			return done, err
		}
	}
	if o.state != "running" {
		// The replication policy waits for state=running (report says so).
		done.priority, done.quorum = p.priority, p.quorum
		return done, nil
	}
	n, err := converge(ctx, h.Runner, s.mon, o, p, s.reg.local, &done)
	if err != nil {
		return done, err
	}
	s.reg.node = &n
	if done.tlsReload, err = localnode.ReloadForRenewedTLS(ctx, s.local.PGData, o.port, o.sec, nil, false); err != nil {
		return done, err
	}
	// A standby switching next verifies this node's certificate first.
	if len(done.tls) > 0 || done.tlsReload {
		if err := localnode.AwaitServedCert(ctx, o.hostname, o.port, o.sec); err != nil {
			return done, err
		}
	}
	return done, nil
}

// reobserve looks again after a create, and decides what is left from it.
func reobserve(ctx context.Context, r *pgautoctl.Runner, s *seen, o options) (plan, error) {
	l, err := r.Inspect(ctx, o.pgdata)
	if err != nil {
		return plan{}, err
	}
	reg, err := lookup(ctx, r, s.mon, l, o)
	if err != nil {
		return plan{}, err
	}
	s.local, s.reg = l, reg
	p, err := decideNode(l, reg, o)
	if err != nil {
		return p, fmt.Errorf("after the create: %w", err)
	}
	if p.create != "" {
		return p, fmt.Errorf("pg_autoctl create of node %q returned but its initialisation is not complete (%s still present or no state): see the node's pg_autoctl logs", o.name, l.Paths.Init)
	}
	return p, nil
}

// createNode runs `pg_autoctl create postgres` without --run: the systemd
// unit runs the keeper. The monitor assigns the role: the first node of a
// group becomes primary, the next ones pg_basebackup from it (which needs
// the primary's keeper running). Re-running the same command resumes an
// interrupted create.
func createNode(ctx context.Context, r *pgautoctl.Runner, o options) error {
	args := []string{"create", "postgres",
		"--pgdata", o.pgdata,
		"--pgport", strconv.Itoa(o.port),
		"--listen", o.listen,
		"--hostname", o.hostname,
		"--name", o.name,
		"--formation", o.formation,
		"--monitor", o.monitorURI.String(),
		"--pgctl", r.PgCtl(),
		"--candidate-priority", strconv.Itoa(o.candidatePriority),
		"--replication-quorum", strconv.FormatBool(o.replicationQuorum),
	}
	args = append(args, o.sec.Args()...)
	_, err := r.Run(ctx, nil, args...)
	return err
}

// applyLocal changes this node's pg_autoctl config and its name/hostname on
// the monitor. A running keeper re-reads its config on reload.
func applyLocal(ctx context.Context, r *pgautoctl.Runner, l pgautoctl.Local, p plan) error {
	for _, kv := range p.configSets {
		if err := r.ConfigSet(ctx, l.PGData, kv[0], kv[1]); err != nil {
			return err
		}
	}
	if len(p.metadata) > 0 {
		args := append([]string{"set", "node", "metadata", "--pgdata", l.PGData}, p.metadata...)
		if _, err := r.Run(ctx, nil, args...); err != nil {
			return fmt.Errorf("update the node's name/hostname on the monitor: %w", err)
		}
	}
	if (len(p.configSets) > 0 || len(p.metadata) > 0) && l.ServicePID != 0 {
		return r.Reload(ctx, l.PGData)
	}
	return nil
}

// changeTLS moves the node to the asked TLS setup with pg_autoctl enable
// ssl. A node that streams from a primary waits first until the primary
// presents a certificate it will accept (the primary switches in its own
// task): switching earlier would cut replication, and with it every
// synchronous commit. enable ssl may also have moved the monitor URI, so
// what is left to change is decided again.
func changeTLS(ctx context.Context, r *pgautoctl.Runner, s *seen, o options, p *plan) error {
	if s.reg.node != nil {
		if primary, ok := pgaf.PrimaryOf(s.reg.formation, s.reg.node.Group); ok && primary.ID != s.reg.node.ID {
			if err := localnode.AwaitServedCert(ctx, primary.Host, primary.Port, o.sec); err != nil {
				return fmt.Errorf("before switching this standby to %s: %w", o.sec.EffectiveSSLMode(), err)
			}
		}
	}
	l, err := localnode.ChangeTLS(ctx, r, s.local.PGData, o.sec)
	if err != nil {
		return err
	}
	reg, err := lookup(ctx, r, s.mon, l, o)
	if err != nil {
		return err
	}
	s.local, s.reg = l, reg
	np, err := decideNode(l, reg, o)
	if err != nil {
		return err
	}
	p.configSets, p.metadata = np.configSets, np.metadata
	return nil
}

// awaitRegistered waits (bounded by the module's timeout) until every node
// of register_after is on the monitor. pg_auto_failover makes the first
// node of a group primary: with the data nodes converged in parallel, this
// keeps the inventory's order.
func awaitRegistered(ctx context.Context, mon *pgaf.Monitor, o options) error {
	if len(o.registerAfter) == 0 {
		return nil
	}
	missing := func(nodes []pgaf.Node) []string {
		var out []string
		for _, name := range o.registerAfter {
			if !slices.ContainsFunc(nodes, func(n pgaf.Node) bool { return n.Name == name }) {
				out = append(out, name)
			}
		}
		return out
	}
	nodes, err := mon.WaitForState(ctx, o.formation, func(nodes []pgaf.Node) bool { return len(missing(nodes)) == 0 })
	if err != nil {
		return fmt.Errorf("wait for %s to register before node %q (register_after): %w", strings.Join(missing(nodes), ", "), o.name, err)
	}
	return nil
}
