package main

import (
	"encoding/json"
	"strings"
	"testing"

	"pgafha/internal/ansible/ansibletest"
)

// execute runs the module in-process on args and returns its JSON result.
func execute(t *testing.T, args map[string]any) (map[string]any, int) {
	t.Helper()
	_, res, code := ansibletest.Run(t, spec, run, args)
	return res, code
}

// Bad options fail before Incus or the monitor is contacted, naming the
// option, and never echo a password.
func TestBadOptionsFailClearly(t *testing.T) {
	cases := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"monitor_uri": "postgres://autoctl_node:topsecret1@10.66.1.10/pg_auto_failover", "cycles": 0}, "'cycles' must be between 1 and 100"},
		{map[string]any{"monitor_uri": "postgres://m/pg_auto_failover", "rto_target_seconds": "soon"}, "rto_target_seconds"},
		{map[string]any{"monitor_uri": "postgres://m/pg_auto_failover", "scenario": "reboot"}, "value of scenario must be one of"},
		{map[string]any{"monitor_uri": "postgres://m/pg_auto_failover", "probe_password": "topsecret1", "probe_uri": "host=a dbname=b", "probe_user": "app", "instances": map[string]any{"n": 1}}, "'instances': n must be"},
		{map[string]any{"rto_target_seconds": 1}, "missing required arguments: monitor_uri"},
	}
	for _, c := range cases {
		res, code := execute(t, c.args)
		msg, _ := res["msg"].(string)
		if code != 1 || res["failed"] != true || !strings.Contains(msg, c.want) {
			t.Errorf("%v: code %d result %v, want failure mentioning %q", c.args, code, res, c.want)
		}
		if out, _ := json.Marshal(res); strings.Contains(string(out), "topsecret1") {
			t.Errorf("password leaked: %s", out)
		}
	}
}

// A monitor that cannot be reached (or refuses the password) is a setup
// error for the entry-point script (exit 3), not an unhealthy formation.
func TestUnreachableMonitorIsASetupError(t *testing.T) {
	res, _ := execute(t, map[string]any{"monitor_uri": "postgres://autoctl_node@127.0.0.1:1/pg_auto_failover?connect_timeout=2"})
	if res["failed"] != true || res["outcome"] != outcomeSetup || res["changed"] == true {
		t.Errorf("result %v, want a failed run with outcome %s", res, outcomeSetup)
	}
}

func TestMissingCAIsASetupError(t *testing.T) {
	_, res, _ := ansibletest.Run(t, spec, run, map[string]any{
		"monitor_uri":   "postgres://autoctl_node@10.0.0.10:5432/pg_auto_failover?sslmode=verify-full&sslrootcert=/elsewhere/ca.crt",
		"ssl_root_cert": "/no/such/ca.crt", "instances": map[string]any{}})
	if res["failed"] != true || res["outcome"] != outcomeSetup || !strings.Contains(res["msg"].(string), "ssl_root_cert") {
		t.Errorf("result %v, want a setup error naming ssl_root_cert", res)
	}
}
