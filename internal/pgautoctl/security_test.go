package pgautoctl

import (
	"slices"
	"strings"
	"testing"
)

func TestSecurityValidate(t *testing.T) {
	ok := []Security{
		{Auth: AuthSCRAM, SSL: SSLSelfSigned},
		{Auth: AuthSCRAM, SSL: SSLSelfSigned, SSLMode: "require"},
		{Auth: AuthTrust, SSL: SSLDisabled},
		{Auth: AuthSCRAM, SSL: SSLFiles, ServerCert: "/etc/ssl/c.pem", ServerKey: "/etc/ssl/k.pem", CAFile: "/etc/ssl/ca.pem", SSLMode: "verify-full"},
	}
	for _, s := range ok {
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", s, err)
		}
	}
	bad := map[string]Security{
		"unknown auth":                  {Auth: "md5", SSL: SSLSelfSigned},
		"files without cert":            {Auth: AuthSCRAM, SSL: SSLFiles},
		"relative path":                 {Auth: AuthSCRAM, SSL: SSLFiles, ServerCert: "c.pem", ServerKey: "/k.pem"},
		"verify without CA":             {Auth: AuthSCRAM, SSL: SSLFiles, ServerCert: "/c", ServerKey: "/k", SSLMode: "verify-ca"},
		"verify self-signed":            {Auth: AuthSCRAM, SSL: SSLSelfSigned, SSLMode: "verify-full"},
		"cert with self-signed":         {Auth: AuthSCRAM, SSL: SSLSelfSigned, ServerCert: "/c"},
		"require without TLS":           {Auth: AuthSCRAM, SSL: SSLDisabled, SSLMode: "require"},
		"files given with TLS disabled": {Auth: AuthSCRAM, SSL: SSLDisabled, CAFile: "/ca"},
		"unknown ssl":                   {Auth: AuthSCRAM, SSL: "maybe"},
		"unknown sslmode":               {Auth: AuthSCRAM, SSL: SSLSelfSigned, SSLMode: "strict"},
	}
	for name, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("%s: Validate(%+v) accepted", name, s)
		}
	}
}

func TestSecurityArgs(t *testing.T) {
	got := Security{Auth: AuthSCRAM, SSL: SSLFiles, ServerCert: "/c", ServerKey: "/k", CAFile: "/ca", SSLMode: "verify-full"}.Args()
	want := []string{"--auth", "scram-sha-256", "--server-cert", "/c", "--server-key", "/k", "--ssl-ca-file", "/ca", "--ssl-mode", "verify-full"}
	if !slices.Equal(got, want) {
		t.Errorf("Args = %v\nwant %v", got, want)
	}
	if got := (Security{Auth: AuthTrust, SSL: SSLDisabled}).Args(); !slices.Equal(got, []string{"--auth", "trust", "--no-ssl"}) {
		t.Errorf("Args = %v", got)
	}
}

func TestSecurityWarnsOnlyWhenInsecure(t *testing.T) {
	if w := (Security{Auth: AuthSCRAM, SSL: SSLSelfSigned}).Warnings(); len(w) != 0 {
		t.Errorf("secure setup warned: %v", w)
	}
	w := Security{Auth: AuthTrust, SSL: SSLDisabled}.Warnings()
	if len(w) != 2 || !strings.Contains(w[0], "trust") || !strings.Contains(w[1], "unencrypted") {
		t.Errorf("insecure setup warnings = %v", w)
	}
	withCA := Security{Auth: AuthSCRAM, SSL: SSLFiles, CAFile: "/t/ca.crt", ServerCert: "/t/s.crt", ServerKey: "/t/s.key"}
	for mode, warned := range map[string]bool{"": false, "verify-full": false, "verify-ca": true, "require": true} {
		withCA.SSLMode = mode
		if w := withCA.Warnings(); (len(w) == 1 && strings.Contains(w[0], "ssl_mode="+mode)) != warned {
			t.Errorf("ssl=files with a CA, ssl_mode %q: warnings %v", mode, w)
		}
	}
}

func TestSecurityDrift(t *testing.T) {
	cfg := Config{"postgresql.auth_method": "trust", "ssl.active": "1", "ssl.sslmode": "require"}
	same := Security{Auth: AuthTrust, SSL: SSLSelfSigned}
	if a, d := same.AuthDrift(cfg), same.TLSDrift(cfg); a != "" || len(d) != 0 {
		t.Errorf("same setup drifts: %q %v", a, d)
	}
	other := Security{Auth: AuthSCRAM, SSL: SSLDisabled}
	if a, d := other.AuthDrift(cfg), other.TLSDrift(cfg); a == "" || len(d) != 1 {
		t.Errorf("drift = %q %v, want auth and ssl", a, d)
	}
	// self-signed → the formation CA's files: what enable ssl changes.
	ca := Security{Auth: AuthTrust, SSL: SSLFiles, ServerCert: "/t/server.crt", ServerKey: "/t/server.key", CAFile: "/t/ca.crt"}
	d := ca.TLSDrift(cfg)
	if len(d) != 4 || !strings.Contains(strings.Join(d, ";"), "ssl_mode: require, asked verify-full") {
		t.Errorf("self-signed → CA drift = %v", d)
	}
	want := "enable ssl --pgdata /pg --server-cert /t/server.crt --server-key /t/server.key --ssl-ca-file /t/ca.crt"
	if got := strings.Join(ca.EnableSSLArgs("/pg"), " "); got != want {
		t.Errorf("EnableSSLArgs = %q, want %q", got, want)
	}
	if chain, names := ca.VerifiesServers(); !chain || !names {
		t.Errorf("VerifiesServers with a CA = %v %v", chain, names)
	}
}

func TestEffectiveSSLMode(t *testing.T) {
	for s, want := range map[Security]string{
		{SSL: SSLSelfSigned}:                  "require",
		{SSL: SSLDisabled}:                    "prefer",
		{SSL: SSLFiles, CAFile: "/ca"}:        "verify-full",
		{SSL: SSLFiles}:                       "require",
		{SSL: SSLFiles, SSLMode: "verify-ca"}: "verify-ca",
	} {
		if got := s.EffectiveSSLMode(); got != want {
			t.Errorf("EffectiveSSLMode(%+v) = %q, want %q", s, got, want)
		}
	}
}
