package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgafha/internal/ansible/ansibletest"
)

func args(dir string) map[string]any {
	return map[string]any{
		"dir": dir,
		"members": map[string]any{
			"pgaf-monitor": []any{"10.66.0.10", "pgaf-monitor", "10.66.0.10"},
			"pgaf-primary": []any{"10.66.0.11", "pgaf-primary"},
		},
	}
}

func TestCreatesThenChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")

	// Check mode predicts and writes nothing.
	out, res, _ := ansibletest.Run(t, spec, run, ansibletest.With(args(dir), map[string]any{"_ansible_check_mode": true}))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("check mode on an empty dir: %s", out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("check mode created %s", dir)
	}

	out, res, _ = ansibletest.Run(t, spec, run, args(dir))
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("first run: %s", out)
	}
	for _, f := range []string{"ca.key", "pgaf-monitor.key", "pgaf-primary.key"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", f, err, fi.Mode().Perm())
		}
		key, _ := os.ReadFile(filepath.Join(dir, f))
		if strings.Contains(out, strings.TrimSpace(string(key))[40:80]) {
			t.Errorf("the result holds (part of) %s", f)
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", fi.Mode().Perm())
	}
	members, _ := res["members"].(map[string]any)
	mon, _ := members["pgaf-monitor"].(map[string]any)
	if mon["cert"] != filepath.Join(dir, "pgaf-monitor.crt") || mon["not_after"] == nil || !strings.HasPrefix(mon["action"].(string), "issued") {
		t.Errorf("members[pgaf-monitor] = %v", mon)
	}

	out, res, _ = ansibletest.Run(t, spec, run, args(dir))
	if res["changed"] != false {
		t.Fatalf("second run changed: %s", out)
	}
}

func TestReissuesOnlyWhatIsStale(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	ansibletest.Run(t, spec, run, args(dir))
	ca, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	primary, _ := os.ReadFile(filepath.Join(dir, "pgaf-primary.crt"))

	// The monitor's address changed: only its certificate is issued again.
	a := args(dir)
	a["members"].(map[string]any)["pgaf-monitor"] = []any{"10.66.0.20", "pgaf-monitor"}
	out, res, _ := ansibletest.Run(t, spec, run, a)
	members := res["members"].(map[string]any)
	if res["changed"] != true || !strings.Contains(members["pgaf-monitor"].(map[string]any)["action"].(string), "names") ||
		members["pgaf-primary"].(map[string]any)["action"] != "kept" {
		t.Fatalf("after an address change: %s", out)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "ca.crt")); string(now) != string(ca) {
		t.Error("the CA was replaced")
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "pgaf-primary.crt")); string(now) != string(primary) {
		t.Error("an unchanged member got a new certificate")
	}

	// Within the renewal margin: issued again.
	out, res, _ = ansibletest.Run(t, spec, run, ansibletest.With(a, map[string]any{"cert_valid_days": 60, "renew_before_days": 59}))
	if res["changed"] != false {
		t.Fatalf("397-day certificates are not due with a 59-day margin: %s", out)
	}
	// 397 days left is within a 398-day margin (of 400-day certificates).
	out, res, _ = ansibletest.Run(t, spec, run, ansibletest.With(a, map[string]any{"cert_valid_days": 400, "renew_before_days": 398}))
	if res["changed"] != true {
		t.Fatalf("a 398-day margin did not renew 397-day certificates: %s", out)
	}
}

func TestNeverReplacesABrokenCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	ansibletest.Run(t, spec, run, args(dir))
	os.WriteFile(filepath.Join(dir, "ca.key"), []byte("garbage"), 0o600)
	ansibletest.FailsCleanly(t, spec, run, args(dir), "never replaced silently")
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	for want, extra := range map[string]map[string]any{
		"dir must be an absolute path":        {"dir": "pki"},
		"members must name at least one":      {"members": map[string]any{}},
		"is not a member name":                {"members": map[string]any{"bad name": []any{"h"}}},
		"must be a non-empty list":            {"members": map[string]any{"m": []any{}}},
		"is not a host name or address":       {"members": map[string]any{"m": []any{"a b"}}},
		"renew_before_days must be between 0": {"renew_before_days": 400},
		"cert_valid_days must be at least 1":  {"cert_valid_days": 0},
		"common_name must be":                 {"common_name": "a\nb"},
	} {
		ansibletest.FailsCleanly(t, spec, run, ansibletest.With(args(dir), extra), want)
	}
}
