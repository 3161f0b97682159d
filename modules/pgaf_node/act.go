package main

import (
	"context"
	"fmt"
	"strconv"

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
