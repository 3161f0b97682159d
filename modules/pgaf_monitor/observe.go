package main

import (
	"context"
	"fmt"
	"strconv"

	"pgafha/internal/localnode"
	"pgafha/internal/localpg"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/service"
)

// seen is what observe found: the files at pgdata, how this host's files
// differ from what was asked (each found by the helper that would change
// it, run without changing anything) and, when the monitor runs, what its
// database holds.
type seen struct {
	local    pgautoctl.Local
	pgpass   bool
	tlsFiles []string
	auth     localnode.AuthChange
	service  service.Plan

	// The running monitor (running false: not observed, it does not run).
	running    bool
	extension  string
	gucs       map[string]guc
	passwordOK bool
	tlsReload  bool
}

// observe changes nothing.
func observe(ctx context.Context, h localnode.Host, o options) (s seen, err error) {
	if s.local, err = h.Runner.Inspect(ctx, o.pgdata); err != nil {
		return s, err
	}
	// What decide refuses is refused before anything is reached: a monitor
	// on another port would be waited for on the asked one.
	if _, err := decideFiles(s.local, o); err != nil {
		return s, err
	}
	// pg_autoctl commands run on this host (show state, show uri, perform
	// switchover) log in to the monitor over TCP as autoctl_node, like the
	// data nodes do: they read the password from the same ~/.pgpass.
	if o.password != "" {
		if s.pgpass, err = h.Runner.EnsurePgpass(pgpassEntries(o), true); err != nil {
			return s, fmt.Errorf("store the autoctl_node password for pg_autoctl commands: %w", err)
		}
	}
	if s.tlsFiles, err = localnode.EnsureTLSFiles(h.TLSFiles, true); err != nil {
		return s, err
	}
	if h.ManageUnit {
		if s.service, err = localnode.EnsureService(ctx, h.Runner, h.Unit, needsRestart(s.local, o), true); err != nil {
			return s, err
		}
	}
	if s.local.Config == nil || s.local.Data != pgautoctl.DataCluster {
		return s, nil
	}
	if s.auth, err = localnode.EnsureAuth(ctx, s.local, o.port, o.osUser, o.hbaRules, hbaMarker, true); err != nil {
		return s, err
	}
	if s.local.ServicePID == 0 {
		return s, nil
	}
	if err := readRunning(ctx, o, &s); err != nil {
		return s, err
	}
	if o.state != "running" {
		return s, nil
	}
	if s.tlsReload, err = localnode.ReloadForRenewedTLS(ctx, s.local.PGData, o.port, o.sec, s.tlsFiles, true); err != nil {
		return s, err
	}
	return s, nil
}

// readRunning reads what the running monitor's database holds: the
// extension, the failure-detection settings, whether autoctl_node's
// password verifies.
func readRunning(ctx context.Context, o options, s *seen) error {
	conn, err := localpg.ConnectWhenReady(ctx, o.port, monitorDB)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if s.extension, err = extensionVersion(ctx, conn); err != nil {
		return err
	}
	if s.extension == "" {
		return fmt.Errorf("the PostgreSQL at %s runs but its pg_auto_failover database has no pgautofailover extension: its create was interrupted; stop its service, then re-run this task with state=present to resume the create", o.pgdata)
	}
	if s.gucs, err = loadGUCs(ctx, conn); err != nil {
		return err
	}
	s.passwordOK = true
	if o.password != "" {
		if s.passwordOK, err = localpg.PasswordVerifies(ctx, conn, autoctlUser, o.password); err != nil {
			return err
		}
	}
	s.running = true
	return nil
}

// pgpassEntries is the ~/.pgpass line pg_autoctl's commands on this host need.
func pgpassEntries(o options) []pgautoctl.PassEntry {
	return []pgautoctl.PassEntry{{Host: o.hostname, Port: strconv.Itoa(o.port), DB: monitorDB, User: autoctlUser, Password: o.password}}
}
