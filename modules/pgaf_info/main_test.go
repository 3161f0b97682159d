package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgafha/internal/ansible"
	"pgafha/internal/ansible/ansibletest"
	"pgafha/internal/pgaf"
)

// execute runs the module in-process on args and returns its JSON result.
func execute(t *testing.T, args map[string]any) (map[string]any, int) {
	t.Helper()
	_, res, code := ansibletest.Run(t, spec, run, args)
	return res, code
}

func TestUnreachableMonitorFailsWithoutPassword(t *testing.T) {
	// Port 1 on loopback: nothing listens there, the refusal is immediate.
	res, code := execute(t, map[string]any{"monitor_uri": "postgres://autoctl_node:Hunter2-pw@127.0.0.1:1/pg_auto_failover"})
	msg, _ := res["msg"].(string)
	if code != 1 || res["failed"] != true {
		t.Fatalf("code %d, result %v: want a failure", code, res)
	}
	if !strings.Contains(msg, "connect to monitor autoctl_node@127.0.0.1:1/pg_auto_failover") || !strings.Contains(msg, "refused") {
		t.Errorf("msg = %q", msg)
	}
	all, _ := json.Marshal(res)
	if strings.Contains(string(all), "Hunter2-pw") {
		t.Errorf("password in output: %s", all)
	}
	if res["changed"] != false {
		t.Errorf("changed = %v", res["changed"])
	}
}

func TestMissingMonitorURI(t *testing.T) {
	res, code := execute(t, map[string]any{"formation": "default"})
	if code != 1 || !strings.Contains(res["msg"].(string), "missing required arguments: monitor_uri") {
		t.Errorf("code %d, msg %v", code, res["msg"])
	}
}

func sample() formationInfo {
	primary := pgaf.Node{ID: 1, Name: "node1", Host: "10.0.0.1", Port: 5432, ReportedState: pgaf.StatePrimary,
		AssignedState: pgaf.StatePrimary, Health: pgaf.HealthGood, PgIsRunning: true}
	standby := pgaf.Node{ID: 2, Name: "node2", Host: "10.0.0.2", Port: 5432, ReportedState: pgaf.StateSecondary,
		AssignedState: pgaf.StateSecondary, Health: pgaf.HealthGood, PgIsRunning: true}
	nodes := []pgaf.Node{primary, standby}
	sync := "ANY 1 (pgautofailover_standby_2)"
	return formationInfo{
		monitorVersion: "2.0",
		formation:      pgaf.Formation{Name: "default", Kind: "pgsql", DBName: "postgres", OptSecondary: true},
		nodes:          nodes, primary: &primary, syncNames: &sync,
		uri:    "postgres://10.0.0.1:5432,10.0.0.2:5432/postgres?target_session_attrs=read-write",
		status: pgaf.Assess(nodes),
	}
}

func TestSummary(t *testing.T) {
	fi := sample()
	if got, want := fi.summary(), "formation default: node1 primary, node2 secondary; healthy"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	fi.nodes[1].ReportedState = pgaf.StateCatchingUp
	fi.status = pgaf.Assess(fi.nodes)
	if got := fi.summary(); !strings.Contains(got, "not healthy: node2 is catchingup, assigned secondary") {
		t.Errorf("summary = %q", got)
	}
}

func TestReportShape(t *testing.T) {
	// report writes into a Result, which only Execute sets up.
	path := filepath.Join(t.TempDir(), "args.json")
	if err := os.WriteFile(path, []byte(`{"monitor_uri": "x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ansible.Execute(context.Background(), spec, []string{path}, &out, func(_ context.Context, m *ansible.Module) error {
		sample().report(&m.Result)
		return nil
	})
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if p := res["primary"].(map[string]any); p["name"] != "node1" || p["port"] != float64(5432) {
		t.Errorf("primary = %v", p)
	}
	nodes := res["nodes"].([]any)
	n2 := nodes[1].(map[string]any)
	for k, want := range map[string]any{"name": "node2", "role": "standby", "reported_state": "secondary",
		"assigned_state": "secondary", "health": "good"} {
		if n2[k] != want {
			t.Errorf("nodes[1].%s = %v, want %v", k, n2[k], want)
		}
	}
	if res["healthy"] != true || res["number_sync_standbys"] != float64(0) || res["changed"] != false {
		t.Errorf("healthy %v, number_sync_standbys %v, changed %v", res["healthy"], res["number_sync_standbys"], res["changed"])
	}
	if ps, ok := res["problems"].([]any); !ok || len(ps) != 0 {
		t.Errorf("problems = %#v, want an empty list", res["problems"])
	}
	if res["synchronous_standby_names"] != "ANY 1 (pgautofailover_standby_2)" {
		t.Errorf("synchronous_standby_names = %v", res["synchronous_standby_names"])
	}
}
