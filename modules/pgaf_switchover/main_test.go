package main

import (
	"strings"
	"testing"

	"pgafha/internal/ansible/ansibletest"
)

var base = map[string]any{
	"primary":     "pgaf-replica",
	"monitor_uri": "postgres://autoctl_node@127.0.0.1:1/pg_auto_failover",
	"pgdata":      "/var/lib/postgresql/15/pgaf-node",
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
		ansibletest.FailsCleanly(t, spec, run, ansibletest.With(base, extra), want)
	}
}

func TestMonitorPasswordNeverEchoed(t *testing.T) {
	out, _, _ := ansibletest.Run(t, spec, run, ansibletest.With(base, map[string]any{"monitor_password": "S3cret-Switch", "catchup_timeout": -5}))
	if strings.Contains(out, "S3cret-Switch") {
		t.Errorf("password in output: %s", out)
	}
}
