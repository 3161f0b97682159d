package main

import (
	"context"
	"fmt"
	"strconv"

	"pgafha/internal/localnode"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
)

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
func changeTLS(ctx context.Context, r *pgautoctl.Runner, mon *pgaf.Monitor, o options, l *pgautoctl.Local, reg *registration, p *plan) error {
	if reg.node != nil {
		if primary, ok := pgaf.PrimaryOf(reg.formation, reg.node.Group); ok && primary.ID != reg.node.ID {
			if err := localnode.AwaitServedCert(ctx, primary.Host, primary.Port, o.sec); err != nil {
				return fmt.Errorf("before switching this standby to %s: %w", o.sec.EffectiveSSLMode(), err)
			}
		}
	}
	nl, err := localnode.ChangeTLS(ctx, r, l.PGData, o.sec)
	if err != nil {
		return err
	}
	*l = nl
	nreg, err := observe(ctx, r, mon, nl, o)
	if err != nil {
		return err
	}
	*reg = nreg
	np, err := decide(nl, nreg, o)
	if err != nil {
		return err
	}
	p.configSets, p.metadata = np.configSets, np.metadata
	return nil
}
