// pgaf_monitor ensures a pg_auto_failover monitor exists at pgdata, with its
// failure-detection settings, and returns the URI data nodes register with.
package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/pgautoctl"
)

var spec = ansible.Spec{
	Name:           "pgaf_monitor",
	DefaultTimeout: 120,
	Options: []ansible.Option{
		{Name: "state", Type: ansible.TypeStr, Default: "running", Choices: []string{"present", "running"}},
		{Name: "pgdata", Type: ansible.TypeStr, Required: true},
		{Name: "pgport", Type: ansible.TypeInt, Default: 5432},
		{Name: "hostname", Type: ansible.TypeStr, Required: true},
		{Name: "listen_addresses", Type: ansible.TypeStr, Default: "*"},
		{Name: "auth", Type: ansible.TypeStr, Default: pgautoctl.AuthSCRAM, Choices: []string{pgautoctl.AuthSCRAM, pgautoctl.AuthTrust}},
		{Name: "autoctl_node_password", Type: ansible.TypeStr, NoLog: true},
		{Name: "ssl", Type: ansible.TypeStr, Default: pgautoctl.SSLSelfSigned, Choices: []string{pgautoctl.SSLSelfSigned, pgautoctl.SSLFiles, pgautoctl.SSLDisabled}},
		{Name: "ssl_mode", Type: ansible.TypeStr, Choices: pgautoctl.SSLModes},
		{Name: "ssl_ca_file", Type: ansible.TypeStr},
		{Name: "ssl_crl_file", Type: ansible.TypeStr},
		{Name: "server_cert", Type: ansible.TypeStr},
		{Name: "server_key", Type: ansible.TypeStr},
		{Name: "settings", Type: ansible.TypeDict},
		{Name: "pg_bin_dir", Type: ansible.TypeStr},
		{Name: "os_user", Type: ansible.TypeStr, Default: "postgres"},
	},
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
	for _, w := range o.sec.Warnings() {
		m.Result.Warn(w)
	}
	r, err := pgautoctl.NewRunner(o.osUser, o.binDir)
	if err != nil {
		return err
	}
	if err := r.DropPrivileges(); err != nil {
		return err
	}

	// Observe what exists at pgdata, then decide.
	local, err := r.Inspect(o.pgdata)
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
	}

	// Act on the files (create, config), unless in check mode.
	if p.create != "" && !m.CheckMode() {
		if err := createMonitor(ctx, r, o); err != nil {
			return fmt.Errorf("%s monitor at %s: %w", p.create, o.pgdata, err)
		}
		if local, err = r.Inspect(o.pgdata); err != nil {
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
		}
	}

	// The settings and the password live in the running monitor.
	if err := converge(ctx, m, r, o, local, p, rep); err != nil {
		return err
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
}

func readOptions(p ansible.Params) (options, error) {
	o := options{
		state: p.String("state"), pgdata: p.String("pgdata"), hostname: p.String("hostname"),
		listen: p.String("listen_addresses"), binDir: p.String("pg_bin_dir"), osUser: p.String("os_user"),
		password: p.String("autoctl_node_password"), port: p.Int("pgport"), settings: p.Dict("settings"),
		sec: pgautoctl.Security{
			Auth: p.String("auth"), SSL: p.String("ssl"), SSLMode: p.String("ssl_mode"),
			CAFile: p.String("ssl_ca_file"), CRLFile: p.String("ssl_crl_file"),
			ServerCert: p.String("server_cert"), ServerKey: p.String("server_key"),
		},
	}
	if !strings.HasPrefix(o.pgdata, "/") {
		return o, fmt.Errorf("pgdata must be an absolute path, got %q", o.pgdata)
	}
	if o.port < 1 || o.port > 65535 {
		return o, fmt.Errorf("pgport must be between 1 and 65535, got %d", o.port)
	}
	if strings.TrimSpace(o.hostname) == "" || strings.ContainsAny(o.hostname, " /@?") {
		return o, fmt.Errorf("hostname must be the host name or IP address nodes use to reach the monitor, got %q", o.hostname)
	}
	if strings.TrimSpace(o.listen) == "" {
		return o, fmt.Errorf("listen_addresses must not be empty (use '*' or a comma-separated list of addresses)")
	}
	if err := o.sec.Validate(); err != nil {
		return o, err
	}
	switch {
	case o.sec.Auth == pgautoctl.AuthSCRAM && o.password == "":
		return o, fmt.Errorf("auth=%s needs autoctl_node_password: data nodes log in to the monitor as autoctl_node with it", pgautoctl.AuthSCRAM)
	case o.sec.Auth == pgautoctl.AuthTrust && o.password != "":
		return o, fmt.Errorf("autoctl_node_password is only used with auth=%s", pgautoctl.AuthSCRAM)
	case strings.ContainsAny(o.password, "\x00\r\n"):
		return o, fmt.Errorf("autoctl_node_password must not contain NUL or line breaks")
	}
	return o, nil
}
