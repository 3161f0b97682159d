package main

import (
	"strings"
	"testing"

	"pgafha/internal/ansible/ansibletest"
)

func args(extra map[string]any) map[string]any {
	a := map[string]any{
		"primary":     "pgaf-replica",
		"monitor_uri": "postgres://autoctl_node@127.0.0.1:1/pg_auto_failover",
		"pgdata":      "/var/lib/postgresql/15/pgaf-node",
	}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// Bad input fails with the option's name and changes nothing: the checks
// run before the module drops privileges or connects anywhere.
func TestBadInputFailsClearly(t *testing.T) {
	cases := map[string]map[string]any{
		"primary must name":          {"primary": ""},
		"catchup_timeout must be":    {"catchup_timeout": 0},
		"race_hold_seconds must be":  {"race_hold_seconds": 11},
		"group must be 0 or more":    {"group": -1},
		"pgdata must be an absolute": {"pgdata": "relative/path"},
		"pgport must be between":     {"pgport": 70000},
		"missing required":           {"primary": nil},
		"Unsupported parameters":     {"primry": "x"},
		"timeout' must be a number":  {"timeout": 0},
	}
	for want, extra := range cases {
		a := args(extra)
		for k, v := range extra {
			if v == nil {
				delete(a, k)
			}
		}
		out, res, _ := ansibletest.Run(t, spec, run, a)
		if res["failed"] != true || res["changed"] == true {
			t.Errorf("%s: not a clean failure: %s", want, out)
			continue
		}
		if msg, _ := res["msg"].(string); !strings.Contains(strings.ToLower(msg), strings.ToLower(want)) {
			t.Errorf("%s: msg = %q", want, msg)
		}
	}
}

func TestMonitorPasswordNeverEchoed(t *testing.T) {
	out, _, _ := ansibletest.Run(t, spec, run, args(map[string]any{"monitor_password": "S3cret-Switch", "catchup_timeout": -5}))
	if strings.Contains(out, "S3cret-Switch") {
		t.Errorf("password in output: %s", out)
	}
}
