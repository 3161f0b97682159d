package main

import (
	"context"
	"fmt"
	"strconv"

	"pgafha/internal/localnode"
	"pgafha/internal/localpg"
	"pgafha/internal/pgautoctl"
)

// apply carries the plan out, in its order, and returns what it did: all of
// it, or after a failure the part before it (so the result still says what
// changed). A create is followed by a new look at the files. With
// state=running it then waits for the monitor and settles what lives in it
// (settings, password), deciding those now when the monitor did not run.
func apply(ctx context.Context, h localnode.Host, s *seen, p plan, o options) (done plan, err error) {
	done.wasConfig, done.restart = p.wasConfig, p.restart
	if p.pgpass {
		if done.pgpass, err = h.Runner.EnsurePgpass(pgpassEntries(o), false); err != nil {
			return done, fmt.Errorf("store the autoctl_node password for pg_autoctl commands: %w", err)
		}
	}
	// The certificate files first: the create and enable ssl read them.
	if done.tlsFiles, err = localnode.EnsureTLSFiles(h.TLSFiles, false); err != nil {
		return done, err
	}
	if p.create != "" {
		if err := createMonitor(ctx, h.Runner, o); err != nil {
			return done, fmt.Errorf("%s monitor at %s: %w", p.create, o.pgdata, err)
		}
		done.create = p.create
		if s.local, err = h.Runner.Inspect(ctx, o.pgdata); err != nil {
			return done, err
		}
		// The create may have rewritten the config: compare again.
		after, err := decideFiles(s.local, o)
		if err != nil {
			return done, err
		}
		p.configSets = after.configSets
	}
	for _, kv := range p.configSets {
		if err := h.Runner.ConfigSet(ctx, s.local.PGData, kv[0], kv[1]); err != nil {
			return done, err
		}
		done.configSets = append(done.configSets, kv)
	}
	// TLS: the files or the mode changed (self-signed → the formation's CA).
	if len(p.tls) > 0 {
		if s.local, err = localnode.ChangeTLS(ctx, h.Runner, s.local.PGData, o.sec); err != nil {
			return done, err
		}
		done.tls = p.tls
	}
	// initdb's trust rules go, right after the create and on every run:
	// the modules log in as postgres, pg_autoctl as autoctl_node.
	if s.local.Data == pgautoctl.DataCluster {
		if done.auth, err = localnode.EnsureAuth(ctx, s.local, o.port, o.osUser, o.hbaRules, hbaMarker, false); err != nil {
			return done, err
		}
	}
	// Running: the unit runs the monitor (restarted when listen_addresses
	// changed, which pg_autoctl reads at start only).
	if h.ManageUnit {
		if done.service, err = localnode.EnsureService(ctx, h.Runner, h.Unit, p.restart, false); err != nil {
			return done, err
		}
		if done.service.Start || done.service.Restart {
			// The pid read before is gone or about to be: wait for the new
			// pg_autoctl below.
			s.local.ServicePID = 0
			done.restart = false
		}
	}
	if s.local.ServicePID == 0 {
		if o.state != "running" {
			done.pending = p.pending
			return done, nil
		}
		if err := localnode.WaitForService(ctx, h.Runner, o.pgdata, "monitor", "pg_autoctl-monitor"); err != nil {
			return done, err
		}
	}
	if err := settle(ctx, o, s, p, &done); err != nil {
		return done, err
	}
	if o.state != "running" {
		return done, nil
	}
	if done.tlsReload, err = localnode.ReloadForRenewedTLS(ctx, s.local.PGData, o.port, o.sec, nil, false); err != nil {
		return done, err
	}
	// The data nodes switch next and check the monitor's certificate
	// before they use it: it must be the new one by then.
	if len(done.tls) > 0 || done.tlsReload {
		if err := localnode.AwaitServedCert(ctx, o.hostname, o.port, o.sec); err != nil {
			return done, err
		}
	}
	return done, nil
}

// settle puts the settings and the password in force, recording each in
// done as soon as it is made. They were decided from the running monitor;
// one that did not run when observed is read now.
func settle(ctx context.Context, o options, s *seen, p plan, done *plan) error {
	changes, setPassword := p.settings, p.password
	if !s.running {
		if err := readRunning(ctx, o, s); err != nil {
			return err
		}
		var err error
		if changes, err = planSettings(o.settings, s.gucs); err != nil {
			return err
		}
		setPassword = !s.passwordOK
	}
	if len(changes) == 0 && !setPassword {
		return nil
	}
	conn, err := localpg.ConnectWhenReady(ctx, o.port, monitorDB)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if len(changes) > 0 {
		altered, err := applySettings(ctx, conn, changes)
		if altered {
			done.settings = changes
		}
		if err != nil {
			return err
		}
	}
	if setPassword {
		if err := localpg.SetPassword(ctx, conn, autoctlUser, o.password); err != nil {
			return err
		}
		done.password = true
	}
	return nil
}

// createMonitor runs `pg_autoctl create monitor` without --run: the systemd
// unit runs the monitor. Re-running it resumes an interrupted create.
func createMonitor(ctx context.Context, r *pgautoctl.Runner, o options) error {
	args := []string{"create", "monitor",
		"--pgdata", o.pgdata, "--pgport", strconv.Itoa(o.port), "--hostname", o.hostname,
		"--pgctl", r.PgCtl()}
	args = append(args, o.sec.Args()...)
	if _, err := r.Run(ctx, nil, args...); err != nil {
		return err
	}
	// create monitor has no --listen option: set it right away, before the
	// first `pg_autoctl run` writes it into postgresql-auto-failover.conf.
	if o.listen != "*" {
		return r.ConfigSet(ctx, o.pgdata, "postgresql.listen_addresses", o.listen)
	}
	return nil
}
