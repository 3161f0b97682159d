package localnode

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgafha/internal/ansible"
)

func TestValidateRefusesWhatWouldBreakAConfigFile(t *testing.T) {
	base := func() ansible.Params {
		return ansible.Params{"pgdata": "/pg", "pgport": 5432, "hostname": "10.0.0.1", "listen_addresses": "*",
			"auth": "scram-sha-256", "ssl": "self_signed"}
	}
	if err := Validate(base(), "the nodes"); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	for option, bad := range map[string][]string{
		"hostname":         {"host'x", "a\nlisten_addresses = '*'", "h\x00", "h\"", `h\`},
		"listen_addresses": {"*'; ssl = off", "10.0.0.1\n", "\x00", ""},
		"pgdata":           {"/pg data", "/pg\nExecStartPre=/bin/sh", "/pg'", "relative"},
		"pg_bin_dir":       {"/usr/lib/postgresql/15/bin\n", "/opt/pg bin", "bin"},
		"ssl_ca_file":      {"/t/ca.crt'\nssl = off", "/t/c a.crt"},
		"server_key":       {"/t/k\x00"},
	} {
		for _, v := range bad {
			p := base()
			p[option] = v
			if err := Validate(p, "the nodes"); err == nil || !strings.Contains(err.Error(), option) {
				t.Errorf("%s=%q: got %v, want an error naming %s", option, v, err, option)
			}
		}
	}
	p := base()
	p["listen_addresses"] = "10.0.0.1,127.0.0.1"
	if err := Validate(p, "the nodes"); err != nil {
		t.Errorf("a list of addresses refused: %v", err)
	}
}

func TestEnsureTLSFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	p := ansible.Params{"server_cert": dir + "/server.crt", "server_key": dir + "/server.key", "ssl_ca_file": dir + "/ca.crt",
		"server_cert_pem": "-----BEGIN CERTIFICATE-----\nA\n", "server_key_pem": "-----BEGIN PRIVATE KEY-----\nK\n", "ssl_ca_pem": "-----BEGIN CERTIFICATE-----\nC\n"}
	files := TLSFiles(p)
	if got, err := EnsureTLSFiles(files, true); err != nil || len(got) != 3 {
		t.Fatalf("dry run: %v, %v", got, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("the dry run wrote something")
	}
	if got, err := EnsureTLSFiles(files, false); err != nil || len(got) != 3 {
		t.Fatalf("first write: %v, %v", got, err)
	}
	for path, mode := range map[string]os.FileMode{dir: 0o700, dir + "/server.key": 0o600, dir + "/server.crt": 0o644} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v, want mode %v", path, err, mode)
		}
	}
	if got, err := EnsureTLSFiles(files, false); err != nil || len(got) != 0 {
		t.Errorf("second write changed %v, %v", got, err)
	}
	p["server_cert_pem"] = "-----BEGIN CERTIFICATE-----\nB\n"
	if got, _ := EnsureTLSFiles(TLSFiles(p), false); len(got) != 1 || got[0] != dir+"/server.crt" {
		t.Errorf("a renewed certificate: %v", got)
	}
}

func TestValidateTLSFiles(t *testing.T) {
	base := ansible.Params{"pgdata": "/pg", "pgport": 5432, "hostname": "h", "listen_addresses": "*", "auth": "scram-sha-256",
		"ssl": "files", "server_cert": "/t/s.crt", "server_key": "/t/s.key"}
	p := maps.Clone(base)
	p["server_key_pem"] = "not pem"
	if err := Validate(p, "x"); err == nil || !strings.Contains(err.Error(), "server_key_pem must be PEM") {
		t.Errorf("non-PEM key: %v", err)
	}
	p = maps.Clone(base)
	p["ssl_ca_pem"] = "-----BEGIN CERTIFICATE-----\n"
	if err := Validate(p, "x"); err == nil || !strings.Contains(err.Error(), "ssl_ca_pem needs ssl_ca_file") {
		t.Errorf("content without a path: %v", err)
	}
}
