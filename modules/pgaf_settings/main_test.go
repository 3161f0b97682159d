package main

import (
	"strings"
	"testing"

	"pgafha/internal/ansible/ansibletest"
)

var base = map[string]any{
	"settings":    map[string]any{"work_mem": "8MB"},
	"monitor_uri": "postgres://autoctl_node@127.0.0.1:1/pg_auto_failover",
	"pgdata":      "/var/lib/postgresql/15/pgaf-node",
}

// Bad input fails with the option's name and changes nothing: the checks
// run before the module drops privileges or connects anywhere.
func TestBadInputFailsClearly(t *testing.T) {
	cases := map[string]map[string]any{
		"settings.work_mem: no value":           {"settings": map[string]any{"work_mem": nil}},
		"settings.work_mem: a []interface":      {"settings": map[string]any{"work_mem": []any{"8MB"}}},
		`settings: "work mem" is not a setting`: {"settings": map[string]any{"work mem": "8MB"}},
		"settings.application_name: the value":  {"settings": map[string]any{"application_name": "a\x00b"}},
		"catchup_timeout must be between":       {"catchup_timeout": 0},
		"restart must be one of":                {"restart": "always"},
		"pgdata must be an absolute":            {"pgdata": "relative/path"},
		"missing required arguments: settings":  {"settings": nil},
		"Unsupported parameters":                {"setings": map[string]any{}},
	}
	for want, extra := range cases {
		ansibletest.FailsCleanly(t, spec, run, ansibletest.With(base, extra), want)
	}
}

func TestMonitorPasswordNeverEchoed(t *testing.T) {
	out, _, _ := ansibletest.Run(t, spec, run, ansibletest.With(base, map[string]any{"monitor_password": "S3cret-Settings", "catchup_timeout": -5}))
	if strings.Contains(out, "S3cret-Settings") {
		t.Errorf("password in output: %s", out)
	}
}
