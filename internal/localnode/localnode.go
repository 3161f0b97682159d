// Package localnode holds what the modules that manage a pg_autoctl instance
// on their own host (pgaf_monitor, pgaf_node, and on an existing node
// pgaf_settings, pgaf_maintenance, pgaf_switchover) share: the options that
// place and secure the instance, their validation, the unprivileged runner,
// the waits for the instance's service and its PostgreSQL, and the node's
// group at rest on the monitor.
package localnode

import (
	"fmt"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/pghba"
)

// InstanceOptions find the local instance: its data directory, its port,
// and the OS user and binaries that run it. Modules that only act on an
// existing instance (pgaf_switchover) take these alone.
func InstanceOptions() []ansible.Option {
	return []ansible.Option{
		{Name: "pgdata", Type: ansible.TypeStr, Required: true},
		{Name: "pgport", Type: ansible.TypeInt, Default: 5432},
		{Name: "pg_bin_dir", Type: ansible.TypeStr},
		{Name: "os_user", Type: ansible.TypeStr, Default: "postgres"},
	}
}

// Options are the shared option declarations of the modules that create
// and configure the instance, appended to each module's own.
func Options() []ansible.Option {
	return append(InstanceOptions(), []ansible.Option{
		{Name: "hostname", Type: ansible.TypeStr, Required: true},
		{Name: "listen_addresses", Type: ansible.TypeStr, Default: "*"},
		{Name: "auth", Type: ansible.TypeStr, Default: pgautoctl.AuthSCRAM, Choices: []string{pgautoctl.AuthSCRAM, pgautoctl.AuthTrust}},
		{Name: "ssl", Type: ansible.TypeStr, Default: pgautoctl.SSLSelfSigned, Choices: []string{pgautoctl.SSLSelfSigned, pgautoctl.SSLFiles, pgautoctl.SSLDisabled}},
		{Name: "ssl_mode", Type: ansible.TypeStr, Choices: pgautoctl.SSLModes},
		{Name: "ssl_ca_file", Type: ansible.TypeStr},
		{Name: "ssl_crl_file", Type: ansible.TypeStr},
		{Name: "server_cert", Type: ansible.TypeStr},
		{Name: "server_key", Type: ansible.TypeStr},
		// Contents to keep at ssl_ca_file, server_cert and server_key (the
		// postgres_ha role's formation CA); unset leaves those files alone.
		{Name: "ssl_ca_pem", Type: ansible.TypeStr},
		{Name: "server_cert_pem", Type: ansible.TypeStr},
		{Name: "server_key_pem", Type: ansible.TypeStr, NoLog: true},
		// Unset: the module's pg_hba.conf lines are left as they are (HBARules).
		{Name: "hba_rules", Type: ansible.TypeList, Elements: ansible.TypeStr},
	}...)
}

// Security reads the TLS and authentication options.
func Security(p ansible.Params) pgautoctl.Security {
	return pgautoctl.Security{
		Auth: p.String("auth"), SSL: p.String("ssl"), SSLMode: p.String("ssl_mode"),
		CAFile: p.String("ssl_ca_file"), CRLFile: p.String("ssl_crl_file"),
		ServerCert: p.String("server_cert"), ServerKey: p.String("server_key"),
	}
}

// ValidateInstance checks the InstanceOptions. The paths end up in the
// keeper's systemd unit and pg_autoctl's config as they are.
func ValidateInstance(p ansible.Params) error {
	if pgdata := p.String("pgdata"); !strings.HasPrefix(pgdata, "/") || !PathSafe(pgdata) {
		return fmt.Errorf("pgdata must be an absolute path without spaces, quotes, backslashes or control characters, got %q", pgdata)
	}
	if bin := p.String("pg_bin_dir"); bin != "" && (!strings.HasPrefix(bin, "/") || !PathSafe(bin)) {
		return fmt.Errorf("pg_bin_dir must be an absolute path without spaces, quotes, backslashes or control characters, got %q", bin)
	}
	if port := p.Int("pgport"); port < 1 || port > 65535 {
		return fmt.Errorf("pgport must be between 1 and 65535, got %d", port)
	}
	return nil
}

// Validate checks the placement options; reachedBy says who uses hostname,
// for the error message.
func Validate(p ansible.Params, reachedBy string) error {
	if err := ValidateInstance(p); err != nil {
		return err
	}
	// A comma would turn the host into a multi-host list in every URI built from it.
	if h := p.String("hostname"); strings.TrimSpace(h) == "" || strings.ContainsAny(h, " /@?,") || !ConfigSafe(h) {
		return fmt.Errorf("hostname must be the host name or IP address %s use to reach this host, got %q", reachedBy, h)
	}
	if l := p.String("listen_addresses"); strings.TrimSpace(l) == "" || !ConfigSafe(l) {
		return fmt.Errorf("listen_addresses must be '*' or a comma-separated list of addresses, without quotes or control characters, got %q", l)
	}
	if err := pghba.CheckRules("hba_rules", HBARules(p)); err != nil {
		return err
	}
	for _, name := range []string{"ssl_ca_file", "ssl_crl_file", "server_cert", "server_key"} {
		if v := p.String(name); !PathSafe(v) {
			return fmt.Errorf("%s must be a path without spaces, quotes, backslashes or control characters (pg_autoctl writes it into postgresql.conf as it is), got %q", name, v)
		}
	}
	sec := Security(p)
	for _, f := range TLSFiles(p) {
		if f.Path == "" {
			return fmt.Errorf("%s needs %s: the path on this host to keep it at", f.Option, f.PathOption)
		}
		if !strings.Contains(f.Content, "-----BEGIN ") {
			return fmt.Errorf("%s must be PEM text (-----BEGIN ...)", f.Option)
		}
	}
	return sec.Validate()
}

// ConfigSafe reports whether v may be written into a configuration file
// as it is: pg_autoctl copies hostname, listen_addresses and its settings
// unescaped into its own config and postgresql.conf, where a quote, a
// backslash or a line break would end the value and start another setting.
func ConfigSafe(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\'' || r == '"' || r == '\\' })
}

// PathSafe is ConfigSafe without spaces either: a path also goes into a
// systemd unit's command line, where a space splits it.
func PathSafe(v string) bool { return ConfigSafe(v) && !strings.Contains(v, " ") }

// Runner returns a pg_autoctl runner for osUser, with this process already
// switched to that user: pg_autoctl refuses to run as root, and files the
// module writes must belong to the instance's owner.
func Runner(osUser, binDir string) (*pgautoctl.Runner, error) {
	r, err := pgautoctl.NewRunner(osUser, binDir)
	if err != nil {
		return nil, err
	}
	if err := r.DropPrivileges(); err != nil {
		return nil, err
	}
	return r, nil
}
