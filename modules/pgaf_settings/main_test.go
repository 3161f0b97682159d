package main

import (
	"strings"
	"testing"

	"pgafha/internal/ansible/ansibletest"
)

func args(extra map[string]any) map[string]any {
	a := map[string]any{
		"settings":    map[string]any{"work_mem": "8MB"},
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
	out, _, _ := ansibletest.Run(t, spec, run, args(map[string]any{"monitor_password": "S3cret-Settings", "catchup_timeout": -5}))
	if strings.Contains(out, "S3cret-Settings") {
		t.Errorf("password in output: %s", out)
	}
}
