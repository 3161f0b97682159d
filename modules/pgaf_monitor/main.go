// pgaf_monitor ensures a pg_auto_failover monitor exists at pgdata, with its
// failure-detection settings, and returns the URI data nodes register with.
package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/pghba"
)

var spec = ansible.Spec{
	Name:           "pgaf_monitor",
	DefaultTimeout: 120,
	Options: append([]ansible.Option{
		{Name: "state", Type: ansible.TypeStr, Default: "running", Choices: []string{"present", "running"}},
		{Name: "autoctl_node_password", Type: ansible.TypeStr, NoLog: true},
		{Name: "settings", Type: ansible.TypeDict},
		localnode.ServiceOption("pg_autoctl-monitor"),
	}, localnode.Options()...),
}

// The monitor's database and the role data nodes log in as.
const (
	monitorDB   = "pg_auto_failover"
	autoctlUser = "autoctl_node"
)

func main() { ansible.Main(spec, run) }

func run(ctx context.Context, m *ansible.Module) error {
	o, err := readOptions(m.Params)
	if err != nil {
		return err
	}
	for _, w := range append(o.sec.Warnings(), pghba.RuleWarnings("hba_rules", o.hbaRules)...) {
		m.Result.Warn(w)
	}
	r, err := localnode.Runner(o.osUser, o.binDir)
	if err != nil {
		return err
	}

	// Observe what exists at pgdata, then decide.
	local, err := r.Inspect(ctx, o.pgdata)
	if err != nil {
		return err
	}
	p, err := decide(local, o)
	if err != nil {
		return err
	}
	rep := newReport(o, local, p)

	// pg_autoctl commands run on this host (show state, show uri, perform
	// switchover) log in to the monitor over TCP as autoctl_node, like the
	// data nodes do: they read the password from the same ~/.pgpass.
	if o.password != "" {
		entry := pgautoctl.PassEntry{Host: o.hostname, Port: strconv.Itoa(o.port), DB: monitorDB, User: autoctlUser, Password: o.password}
		changed, err := r.EnsurePgpass([]pgautoctl.PassEntry{entry}, m.CheckMode())
		if err != nil {
			return fmt.Errorf("store the autoctl_node password for pg_autoctl commands: %w", err)
		}
		if changed {
			rep.before["pgpass"], rep.after["pgpass"] = "no autoctl_node entry", "autoctl_node entry"
			rep.note("update ~/.pgpass of " + o.osUser)
		}
		// From here a failure still reports what was changed before it.
		m.Result.Changed = changed && !m.CheckMode()
	}

	// The certificate files first: the create and enable ssl read them.
	written, err := localnode.EnsureTLSFiles(localnode.TLSFiles(m.Params), m.CheckMode())
	if len(written) > 0 {
		rep.note("write " + strings.Join(written, ", "))
		rep.before["tls_files"], rep.after["tls_files"] = "missing or different", written
		m.Result.Changed = m.Result.Changed || !m.CheckMode()
	}
	if err != nil {
		return err
	}

	// Act on the files (create, config), unless in check mode.
	if p.create != "" && !m.CheckMode() {
		if err := createMonitor(ctx, r, o); err != nil {
			return fmt.Errorf("%s monitor at %s: %w", p.create, o.pgdata, err)
		}
		m.Result.Changed = true
		if local, err = r.Inspect(ctx, o.pgdata); err != nil {
			return err
		}
		// The create may have rewritten the config: compare again.
		after, err := decide(local, o)
		if err != nil {
			return err
		}
		p.configSets = after.configSets
	}
	if !m.CheckMode() {
		for _, kv := range p.configSets {
			if err := r.ConfigSet(ctx, local.PGData, kv[0], kv[1]); err != nil {
				return err
			}
			m.Result.Changed = true
		}
	}

	// TLS: the files or the mode changed (self-signed → the formation's CA).
	if len(p.tls) > 0 && !m.CheckMode() {
		if local, err = localnode.ChangeTLS(ctx, r, local.PGData, o.sec); err != nil {
			return err
		}
		m.Result.Changed = true
	}

	// initdb's trust rules go, right after the create and on every run:
	// the modules log in as postgres, pg_autoctl as autoctl_node.
	if local.Data == pgautoctl.DataCluster {
		// hba_rules: data nodes outside the monitor's own network (pg_autoctl opens only that one).
		ac, err := localnode.EnsureAuth(ctx, local, o.port, o.osUser, o.hbaRules, hbaMarker, m.CheckMode())
		if err != nil {
			return err
		}
		ac.Report(o.osUser, o.hbaRules, rep.note, rep.before, rep.after)
		m.Result.Changed = m.Result.Changed || (ac.Changed() && !m.CheckMode())
	}

	// Running: the unit runs the monitor (restarted when listen_addresses
	// changed, which pg_autoctl reads at start only).
	unit, manageUnit, err := localnode.Unit(m.Params, r, "monitor")
	if err != nil {
		return err
	}
	if manageUnit && o.state == "running" {
		sp, err := localnode.EnsureService(ctx, r, unit, p.restart, m.CheckMode())
		if err != nil {
			return err
		}
		rep.service(unit, sp)
		m.Result.Changed = m.Result.Changed || (sp.Changed() && !m.CheckMode())
		if !m.CheckMode() && (sp.Start || sp.Restart) {
			// The pid read before is gone or about to be: converge waits for
			// the new pg_autoctl (it only looks at ServicePID).
			local.ServicePID = 0
		}
	}

	// The settings and the password live in the running monitor.
	if err := converge(ctx, m, r, o, local, rep); err != nil {
		return err
	}
	// (In check mode a TLS change is still pending: its files are not in use.)
	if o.state == "running" && !(m.CheckMode() && len(p.tls) > 0) {
		reloaded, err := localnode.ReloadForRenewedTLS(ctx, local.PGData, o.port, o.sec, m.CheckMode())
		if err != nil {
			return err
		}
		// In check mode the files are not written: those that would be will
		// be newer than what PostgreSQL read.
		reloaded = reloaded || (m.CheckMode() && len(written) > 0 && o.sec.SSL == pgautoctl.SSLFiles && pgautoctl.PostgresRunning(local.PGData))
		if reloaded {
			rep.note("reload PostgreSQL: its certificate files changed since it read them")
			m.Result.Changed = m.Result.Changed || !m.CheckMode()
		}
		// The data nodes switch next and check the monitor's certificate
		// before they use it: it must be the new one by then.
		if (len(p.tls) > 0 || reloaded) && !m.CheckMode() {
			if err := localnode.AwaitServedCert(ctx, o.hostname, o.port, o.sec); err != nil {
				return err
			}
		}
	}
	rep.write(m)
	return nil
}

// options are the validated module options.
type options struct {
	state, pgdata, hostname, listen, binDir, osUser, password string
	port                                                      int
	sec                                                       pgautoctl.Security
	settings                                                  map[string]any
	hbaRules                                                  []string // nil: not managed
}

// hbaMarker tags the pg_hba.conf lines this module owns.
const hbaMarker = "# managed by pgaf_monitor"

func readOptions(p ansible.Params) (options, error) {
	o := options{
		state: p.String("state"), pgdata: p.String("pgdata"), hostname: p.String("hostname"),
		listen: p.String("listen_addresses"), binDir: p.String("pg_bin_dir"), osUser: p.String("os_user"),
		password: p.String("autoctl_node_password"), port: p.Int("pgport"), settings: p.Dict("settings"),
		sec: localnode.Security(p),
	}
	if err := localnode.Validate(p, "data nodes"); err != nil {
		return o, err
	}
	o.hbaRules = localnode.HBARules(p)
	switch {
	case o.sec.Auth == pgautoctl.AuthSCRAM && o.password == "":
		return o, fmt.Errorf("auth=%s needs autoctl_node_password: data nodes log in to the monitor as autoctl_node with it", pgautoctl.AuthSCRAM)
	case o.sec.Auth == pgautoctl.AuthTrust && o.password != "":
		return o, fmt.Errorf("autoctl_node_password is only used with auth=%s", pgautoctl.AuthSCRAM)
	}
	return o, pgautoctl.CheckPgpassValue("autoctl_node_password", o.password)
}
