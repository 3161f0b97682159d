package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pgafha/internal/ansible"
)

// testHost lays out a fake host under a temporary directory.
func testHost(t *testing.T) paths {
	t.Helper()
	root := t.TempDir()
	p := paths{
		zoneinfo: filepath.Join(root, "zoneinfo"), localtime: filepath.Join(root, "localtime"),
		timezone: filepath.Join(root, "timezone"), locale: filepath.Join(root, "locale"),
		dpkgStatus: filepath.Join(root, "status"), postgresConf: filepath.Join(root, "postgresql"),
	}
	for _, z := range []string{"Etc/UTC", "Europe/Paris"} {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(p.zoneinfo, z)), 0o755))
		must(t, os.WriteFile(filepath.Join(p.zoneinfo, z), []byte("TZif"), 0o644))
	}
	must(t, os.Symlink(filepath.Join(p.zoneinfo, "Etc/UTC"), p.localtime))
	must(t, os.WriteFile(p.timezone, []byte("Etc/UTC\n"), 0o644))
	status := "Package: postgresql-15\nStatus: install ok installed\nVersion: 15\n\n" +
		"Package: pg-auto-failover-cli\nStatus: deinstall ok config-files\n\n"
	must(t, os.WriteFile(p.dpkgStatus, []byte(status), 0o644))
	must(t, os.MkdirAll(filepath.Join(p.postgresConf, "15", "main"), 0o755))
	must(t, os.WriteFile(filepath.Join(p.postgresConf, "15", "main", "start.conf"), []byte("auto\n"), 0o644))
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestConvergeThenNothingToDo(t *testing.T) {
	ctx := context.Background()
	at := testHost(t)
	o, err := wanted(ansible.Params{"timezone": "Europe/Paris", "locale": "C.UTF-8",
		"packages":          []any{"postgresql-15", "pg-auto-failover-cli", "postgresql-15-auto-failover"},
		"disabled_clusters": []any{"15/main", "16/main"}})
	must(t, err)
	s, err := observe(ctx, o, at)
	must(t, err)
	p := decide(o, s)
	if !p.localtime || !p.timezone || !p.locale || len(p.startConf) != 1 || p.startConf[0].String() != "15/main" {
		t.Fatalf("plan = %+v", p)
	}
	if want := []string{"pg-auto-failover-cli", "postgresql-15-auto-failover"}; !slices.Equal(p.missing, want) {
		t.Errorf("missing = %v, want %v", p.missing, want)
	}
	if _, err := apply(ctx, o, s, p, at); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.Readlink(at.localtime); got != filepath.Join(at.zoneinfo, "Europe/Paris") {
		t.Errorf("localtime -> %q", got)
	}
	s, err = observe(ctx, o, at)
	must(t, err)
	if p := decide(o, s); p.changed() {
		t.Errorf("second run would change: %+v", p)
	}
}

func TestUnknownZoneFailsBeforeAnyChange(t *testing.T) {
	at := testHost(t)
	o, err := wanted(ansible.Params{"timezone": "Mars/Olympus", "locale": "C.UTF-8"})
	must(t, err)
	if _, err := observe(context.Background(), o, at); err == nil || !strings.Contains(err.Error(), "Mars/Olympus") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(at.locale); err == nil {
		t.Error("locale written although the zone is unknown")
	}
}

func TestBadOptionsAreRefused(t *testing.T) {
	for _, p := range []ansible.Params{
		{"timezone": "../../etc/passwd"},
		{"timezone": "/Europe/Paris"},
		{"locale": "C.UTF-8\nLC_ALL=x"},
		{"packages": []any{"postgresql 15"}},
		{"disabled_clusters": []any{"main"}},
		{"disabled_clusters": []any{"15/../x"}},
	} {
		if _, err := wanted(p); err == nil {
			t.Errorf("wanted(%v) accepted", p)
		}
	}
}
