package pgautoctl

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const keeperCfg = `[pg_autoctl]
role = keeper
monitor = postgres://autoctl_node@10.66.1.10:5432/pg_auto_failover?sslmode=require
formation = default
name = pgaf-primary

[postgresql]
pgdata = /var/lib/postgresql/15/pgaf-node
port = 5432
listen_addresses = *

[ssl]
active = 1
sslmode = require
`

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig(keeperCfg)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"pg_autoctl.role":             "keeper",
		"pg_autoctl.monitor":          "postgres://autoctl_node@10.66.1.10:5432/pg_auto_failover?sslmode=require",
		"postgresql.listen_addresses": "*",
		"ssl.active":                  "1",
	} {
		if cfg[k] != want {
			t.Errorf("%s = %q, want %q", k, cfg[k], want)
		}
	}
	if cfg.Role() != "keeper" {
		t.Errorf("Role() = %q", cfg.Role())
	}
}

func TestParseConfigRejectsGarbage(t *testing.T) {
	for _, bad := range []string{"key = value before any section\n", "[s]\nnot a pair\n"} {
		if _, err := ParseConfig(bad); err == nil {
			t.Errorf("ParseConfig(%q) accepted", bad)
		}
	}
}

func TestPathsFollowPgautoctlLayout(t *testing.T) {
	r := &Runner{Home: "/var/lib/postgresql"}
	p := r.PathsFor("/var/lib/postgresql/15/pgaf-node/")
	want := Paths{
		Config: "/var/lib/postgresql/.config/pg_autoctl/var/lib/postgresql/15/pgaf-node/pg_autoctl.cfg",
		State:  "/var/lib/postgresql/.local/share/pg_autoctl/var/lib/postgresql/15/pgaf-node/pg_autoctl.state",
		Init:   "/var/lib/postgresql/.local/share/pg_autoctl/var/lib/postgresql/15/pgaf-node/pg_autoctl.init",
		PID:    "/tmp/pg_autoctl/var/lib/postgresql/15/pgaf-node/pg_autoctl.pid",
	}
	if p != want {
		t.Errorf("PathsFor = %+v\nwant %+v", p, want)
	}
}

func TestReadConfigMissingIsNil(t *testing.T) {
	cfg, err := ReadConfig(context.Background(), filepath.Join(t.TempDir(), "nope.cfg"))
	if err != nil || cfg != nil {
		t.Errorf("ReadConfig(missing) = %v, %v; want nil, nil", cfg, err)
	}
}

// pg_autoctl rewrites its config in place: a read that catches it empty is
// repeated until the content is back; one that stays empty fails.
func TestReadConfigWaitsForARewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pg_autoctl.cfg")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(250 * time.Millisecond)
		_ = os.WriteFile(path, []byte("[pg_autoctl]\nrole = keeper\n"), 0o600)
	}()
	cfg, err := ReadConfig(context.Background(), path)
	if err != nil || cfg.Role() != "keeper" {
		t.Fatalf("ReadConfig during a rewrite = %v, %v", cfg, err)
	}

	empty := filepath.Join(t.TempDir(), "empty.cfg")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := ReadConfig(ctx, empty); err == nil || !strings.Contains(err.Error(), "no [pg_autoctl] role") {
		t.Errorf("ReadConfig(empty) = %v, want the parse error", err)
	}
}

func TestDataState(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]DataState{filepath.Join(dir, "missing"): DataMissing}
	empty := filepath.Join(dir, "empty")
	other := filepath.Join(dir, "other")
	cluster := filepath.Join(dir, "cluster")
	for _, d := range []string{empty, other, cluster} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o600))
	must(t, os.WriteFile(filepath.Join(cluster, "PG_VERSION"), []byte("15\n"), 0o600))
	cases[empty], cases[other], cases[cluster] = DataEmpty, DataOther, DataCluster
	for path, want := range cases {
		got, err := dataState(path)
		if err != nil || got != want {
			t.Errorf("dataState(%s) = %v, %v; want %v", filepath.Base(path), got, err, want)
		}
	}
}

func TestLivePgAutoctlIgnoresStaleAndForeignPIDs(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pg_autoctl.pid")
	// This test process is alive but is not pg_autoctl.
	must(t, os.WriteFile(pidFile, []byte(itoa(os.Getpid())+"\n/pgdata\n"), 0o600))
	if pid := livePgAutoctl(pidFile); pid != 0 {
		t.Errorf("a live non-pg_autoctl process counted as the service (pid %d)", pid)
	}
	must(t, os.WriteFile(pidFile, []byte("999999999\n"), 0o600))
	if pid := livePgAutoctl(pidFile); pid != 0 {
		t.Errorf("a dead pid counted as the service (pid %d)", pid)
	}
	if pid := livePgAutoctl(filepath.Join(dir, "none")); pid != 0 {
		t.Errorf("a missing pid file counted as the service (pid %d)", pid)
	}
}

func TestSubcommandHidesOptions(t *testing.T) {
	got := subcommand([]string{"config", "set", "--pgdata", "/x", "pg_autoctl.monitor", "postgres://u:pw@h/db"})
	if got != "config set" {
		t.Errorf("subcommand = %q", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
