package pgautoctl

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
)

// Authentication methods pg_autoctl writes into pg_hba.conf for the
// formation's own connections.
const (
	AuthTrust = "trust"
	AuthSCRAM = "scram-sha-256"
)

// TLS setups, as the module option `ssl` names them.
const (
	SSLSelfSigned = "self_signed" // --ssl-self-signed: encryption, no MITM protection
	SSLFiles      = "files"       // --server-cert/--server-key (+ --ssl-ca-file): user's PKI
	SSLDisabled   = "disabled"    // --no-ssl
)

// SSLModes are the libpq sslmode values pg_autoctl accepts.
var SSLModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// Security is the authentication and TLS setup of a monitor or data node.
type Security struct {
	Auth       string
	SSL        string
	SSLMode    string // "" lets pg_autoctl choose (require for self-signed, verify-full with a CA)
	CAFile     string
	CRLFile    string
	ServerCert string
	ServerKey  string
}

// Validate rejects combinations pg_autoctl would refuse, or accept but not
// honour, before anything runs.
func (s Security) Validate() error {
	if s.Auth != AuthTrust && s.Auth != AuthSCRAM {
		return fmt.Errorf("auth must be %s or %s, got %q", AuthSCRAM, AuthTrust, s.Auth)
	}
	if s.SSLMode != "" && !slices.Contains(SSLModes, s.SSLMode) {
		return fmt.Errorf("ssl_mode must be one of %v, got %q", SSLModes, s.SSLMode)
	}
	files := map[string]string{"ssl_ca_file": s.CAFile, "ssl_crl_file": s.CRLFile, "server_cert": s.ServerCert, "server_key": s.ServerKey}
	for name, p := range files {
		if p != "" && !filepath.IsAbs(p) {
			return fmt.Errorf("%s must be an absolute path on the target, got %q", name, p)
		}
	}
	verify := s.SSLMode == "verify-ca" || s.SSLMode == "verify-full"
	switch s.SSL {
	case SSLSelfSigned:
		if s.ServerCert != "" || s.ServerKey != "" {
			return errors.New("server_cert/server_key are only used with ssl=files (ssl=self_signed generates its own certificate)")
		}
		if verify && s.CAFile == "" {
			return fmt.Errorf("ssl_mode=%s cannot verify a self-signed certificate: use require, or ssl=files with ssl_ca_file", s.SSLMode)
		}
	case SSLFiles:
		if s.ServerCert == "" || s.ServerKey == "" {
			return errors.New("ssl=files needs server_cert and server_key (paths on the target, readable by the postgres user)")
		}
		if verify && s.CAFile == "" {
			return fmt.Errorf("ssl_mode=%s needs ssl_ca_file", s.SSLMode)
		}
	case SSLDisabled:
		if s.ServerCert != "" || s.ServerKey != "" || s.CAFile != "" || s.CRLFile != "" {
			return errors.New("ssl=disabled takes no certificate options")
		}
		if s.SSLMode != "" && s.SSLMode != "disable" && s.SSLMode != "allow" && s.SSLMode != "prefer" {
			return fmt.Errorf("ssl_mode=%s needs TLS on the server: set ssl to self_signed or files", s.SSLMode)
		}
	default:
		return fmt.Errorf("ssl must be one of %s, %s, %s; got %q", SSLSelfSigned, SSLFiles, SSLDisabled, s.SSL)
	}
	return nil
}

// Args are the pg_autoctl create options for this setup.
func (s Security) Args() []string {
	args := []string{"--auth", s.Auth}
	switch s.SSL {
	case SSLSelfSigned:
		args = append(args, "--ssl-self-signed")
	case SSLFiles:
		args = append(args, "--server-cert", s.ServerCert, "--server-key", s.ServerKey)
	case SSLDisabled:
		args = append(args, "--no-ssl")
	}
	if s.CAFile != "" {
		args = append(args, "--ssl-ca-file", s.CAFile)
	}
	if s.CRLFile != "" {
		args = append(args, "--ssl-crl-file", s.CRLFile)
	}
	if s.SSLMode != "" {
		args = append(args, "--ssl-mode", s.SSLMode)
	}
	return args
}

// Warnings name the insecure choices, so an operator sees them in every run.
func (s Security) Warnings() []string {
	var w []string
	if s.Auth == AuthTrust {
		w = append(w, "auth=trust: any host allowed by pg_hba.conf can connect to the formation's internal users without a password; use scram-sha-256 outside a throw-away lab")
	}
	if s.SSL == SSLDisabled {
		w = append(w, "ssl=disabled: replication and monitor traffic (including passwords) cross the network unencrypted; use self_signed or files")
	}
	// With a CA every connection can check the server's name: a weaker
	// mode given on top of it throws that away.
	if s.SSL == SSLFiles && s.CAFile != "" && s.SSLMode != "" && s.SSLMode != "verify-full" {
		w = append(w, fmt.Sprintf("ssl_mode=%s with a CA (ssl_ca_file): connections do not check that the server is the member they asked for; leave ssl_mode unset (verify-full)", s.SSLMode))
	}
	return w
}

// AuthDrift says how the authentication method of an existing pg_autoctl
// config differs from s ("" when it does not): pg_autoctl fixes it at
// create time.
func (s Security) AuthDrift(cfg Config) string {
	if got := cfg["postgresql.auth_method"]; got != "" && got != s.Auth {
		return fmt.Sprintf("auth: created with %s, asked %s", got, s.Auth)
	}
	return ""
}

// TLSDrift lists where the TLS setup of an existing pg_autoctl config
// differs from s: `pg_autoctl enable ssl` (EnableSSLArgs) changes it on a
// running node.
func (s Security) TLSDrift(cfg Config) []string {
	var d []string
	active := cfg["ssl.active"] == "1"
	if active != (s.SSL != SSLDisabled) {
		d = append(d, fmt.Sprintf("ssl: TLS active=%v, asked %s", active, s.SSL))
	}
	if active && s.SSL != SSLDisabled && cfg["ssl.sslmode"] != s.EffectiveSSLMode() {
		d = append(d, fmt.Sprintf("ssl_mode: %s, asked %s", cfg["ssl.sslmode"], s.EffectiveSSLMode()))
	}
	if s.SSL == SSLFiles {
		for key, want := range map[string]string{"ssl.cert_file": s.ServerCert, "ssl.key_file": s.ServerKey, "ssl.ca_file": s.CAFile, "ssl.crl_file": s.CRLFile} {
			if cfg[key] != want {
				d = append(d, fmt.Sprintf("%s: %q, asked %q", key, cfg[key], want))
			}
		}
	}
	slices.Sort(d)
	return d
}

// EnableSSLArgs are the pg_autoctl arguments that bring the TLS setup of
// the instance at pgdata to s.
func (s Security) EnableSSLArgs(pgdata string) []string {
	args := []string{"enable", "ssl", "--pgdata", pgdata}
	if s.SSL == SSLDisabled {
		return append(args, "--no-ssl")
	}
	// Args without --auth: TLS only.
	return append(args, s.Args()[2:]...)
}

// VerifiesServers says whether connections check the server certificate
// against the CA (verify-ca, verify-full), and whether its names too.
func (s Security) VerifiesServers() (chain, names bool) {
	switch s.EffectiveSSLMode() {
	case "verify-full":
		return true, true
	case "verify-ca":
		return true, false
	}
	return false, false
}

// EffectiveSSLMode is the sslmode pg_autoctl puts in connection strings
// when ssl_mode is not given.
func (s Security) EffectiveSSLMode() string {
	switch {
	case s.SSLMode != "":
		return s.SSLMode
	case s.SSL == SSLDisabled:
		return "prefer"
	case s.CAFile != "":
		return "verify-full"
	}
	return "require"
}
