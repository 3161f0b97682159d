package failover

import (
	"strings"
	"testing"
	"time"
)

func n(name, reported, goal string, health int) Node {
	return Node{Name: name, Host: "10.66.1." + name, Port: 5432, Reported: reported, Goal: goal, Health: health}
}

func TestCheckHealthy(t *testing.T) {
	good := []Node{n("a", "primary", "primary", 1), n("b", "secondary", "secondary", 1)}
	h, err := CheckHealthy(good)
	if err != nil || h.Primary.Name != "a" || len(h.Secondaries) != 1 {
		t.Fatalf("healthy formation rejected: %+v %v", h, err)
	}
	bad := []struct {
		name  string
		nodes []Node
		want  string
	}{
		{"empty", nil, "no data node"},
		{"standby down", []Node{n("a", "wait_primary", "wait_primary", 1), n("b", "secondary", "catchingup", 0)}, "b secondary/catchingup health 0"},
		{"unhealthy secondary", []Node{n("a", "primary", "primary", 1), n("b", "secondary", "secondary", 0)}, "health 0"},
		{"primary alone", []Node{n("a", "single", "single", 1)}, "a single/single"},
		{"no secondary", []Node{n("a", "primary", "primary", 1)}, "no healthy secondary"},
		{"keeper silent", []Node{n("a", "primary", "primary", 1), {Name: "b", Reported: "secondary", Goal: "secondary", Health: 1, ReportAge: time.Minute}}, "b has not reported to the monitor for 60 s"},
		{"two primaries", []Node{n("a", "primary", "primary", 1), n("b", "primary", "primary", 1)}, "exactly one primary, found 2"},
	}
	for _, c := range bad {
		if _, err := CheckHealthy(c.nodes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

func TestPromoted(t *testing.T) {
	m := map[string]Node{"a": n("a", "draining", "demoted", 0), "b": n("b", "stop_replication", "wait_primary", 1)}
	if _, ok := promoted(m, "a"); ok {
		t.Error("stop_replication counted as promoted")
	}
	m["b"] = n("b", "wait_primary", "wait_primary", 1)
	if p, ok := promoted(m, "a"); !ok || p.Name != "b" {
		t.Errorf("promoted = %v %v", p, ok)
	}
	if _, ok := promoted(map[string]Node{"a": n("a", "primary", "primary", 1)}, "a"); ok {
		t.Error("the old primary counted as its own successor")
	}
}

func TestCheckTarget(t *testing.T) {
	node := Node{Name: "pgaf-primary", Host: "10.66.1.11"}
	inst := Instance{Name: "pgaf-primary", Project: "pgaf-e2e"}
	mon := []string{"10.66.1.10"}
	if err := checkTarget([]string{"10.66.1.11", "fd42::11"}, inst, node, mon); err != nil {
		t.Errorf("right instance refused: %v", err)
	}
	if err := checkTarget([]string{"10.66.1.12"}, inst, node, mon); err == nil || !strings.Contains(err.Error(), "does not host node") {
		t.Errorf("wrong instance accepted: %v", err)
	}
	monInst := Instance{Name: "pgaf-monitor", Project: "pgaf-e2e"}
	if err := checkTarget([]string{"10.66.1.10", "10.66.1.11"}, monInst, node, mon); err == nil || !strings.Contains(err.Error(), "monitor") {
		t.Errorf("monitor instance accepted: %v", err)
	}
	byName := Node{Name: "n1", Host: "pgaf-primary.lab.example"}
	if err := checkTarget([]string{"10.66.1.11"}, inst, byName, mon); err != nil {
		t.Errorf("node registered by host name refused: %v", err)
	}
}
