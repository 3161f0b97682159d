package failover

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKillNeedsTheWriteProbe(t *testing.T) {
	mon, pow := lab()
	cfg := testConfig()
	cfg.Scenario = ScenarioKill
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomeError || len(pow.Calls()) != 0 {
		t.Fatalf("outcome %s, calls %v: want an error and nothing killed", r.Outcome, pow.Calls())
	}
}

func TestStandbyLossMeasuresThePrimarysWaitAndRestartsTheStandby(t *testing.T) {
	mon, pow := lab()
	pow.onStop = func() {
		mon.set(Node{Name: "s", Host: "10.0.0.12", Reported: "secondary", Goal: "secondary", Health: 0})
		step(120 * time.Millisecond)
		mon.set(Node{Name: "p", Host: "10.0.0.11", Reported: "wait_primary", Goal: "wait_primary", Health: 1})
	}
	pow.onStart = func() {
		step(30 * time.Millisecond)
		mon.set(Node{Name: "s", Host: "10.0.0.12", Reported: "secondary", Goal: "secondary", Health: 1})
		mon.set(Node{Name: "p", Host: "10.0.0.11", Reported: "primary", Goal: "primary", Health: 1})
	}
	cfg := testConfig()
	cfg.Scenario = ScenarioStandbyLoss
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomePassed {
		t.Fatalf("outcome %s: %v", r.Outcome, r.Failures)
	}
	if want := []string{"stop lab/s", "start lab/s"}; !reflect.DeepEqual(pow.Calls(), want) {
		t.Errorf("calls %v, want %v", pow.Calls(), want)
	}
	if r.RTO == nil || *r.RTO < 0.12 || r.Rejoin == nil || r.NewPrimary != "p" {
		t.Errorf("RTO %v rejoin %v new primary %q", r.RTO, r.Rejoin, r.NewPrimary)
	}
}

func TestStandbyLossThatPromotesIsAFailure(t *testing.T) {
	mon, pow := lab()
	pow.onStop = func() {
		mon.set(Node{Name: "p", Host: "10.0.0.11", Reported: "wait_primary", Goal: "wait_primary", Health: 1})
	}
	pow.onStart = func() { // the standby comes back and is promoted: wrong
		failoverAfter(mon, 10*time.Millisecond)()
		rejoin(mon)()
	}
	cfg := testConfig()
	cfg.Scenario = ScenarioStandbyLoss
	cfg.RejoinTimeout = 300 * time.Millisecond
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome == OutcomePassed || !strings.Contains(strings.Join(r.Failures, "; "), "promotion") {
		t.Fatalf("outcome %s: %v; want the promotion reported", r.Outcome, r.Failures)
	}
}

func TestMonitorLossStopsAndStartsOnlyTheMonitor(t *testing.T) {
	mon, pow := lab()
	cfg := testConfig()
	cfg.Scenario = ScenarioMonitorLoss
	cfg.DownFor = 50 * time.Millisecond
	cfg.MonitorInstance = Instance{Name: "mon", Project: "lab"}
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomePassed {
		t.Fatalf("outcome %s: %v", r.Outcome, r.Failures)
	}
	if want := []string{"stop lab/mon", "start lab/mon"}; !reflect.DeepEqual(pow.Calls(), want) {
		t.Errorf("calls %v, want %v", pow.Calls(), want)
	}
	if r.NewPrimary != "p" {
		t.Errorf("new primary %q, want p", r.NewPrimary)
	}
}

func TestMonitorLossRefusesAnInstanceThatIsNotTheMonitor(t *testing.T) {
	for _, inst := range []Instance{{}, {Name: "s", Project: "lab"}} {
		mon, pow := lab()
		cfg := testConfig()
		cfg.Scenario = ScenarioMonitorLoss
		cfg.MonitorInstance = inst
		r := Run(context.Background(), 1, "run", cfg, mon, pow)
		if r.Outcome != OutcomeError || len(pow.Calls()) != 0 {
			t.Errorf("monitor instance %q: outcome %s, calls %v; want an error and nothing stopped", inst, r.Outcome, pow.Calls())
		}
	}
}

func TestPartitionCutsThePrimaryOffAndAlwaysHeals(t *testing.T) {
	mon, pow := lab()
	nw := &fakeNetwork{pow: pow, onCut: failoverAfter(mon, 50*time.Millisecond)}
	cfg := testConfig()
	cfg.Scenario = ScenarioPartition
	cfg.Network = nw
	cfg.MonitorInstance = Instance{Name: "mon", Project: "lab"}
	// The heal lets the old primary rejoin as a standby.
	pow.onStart = nil
	go func() {
		for !strings.Contains(strings.Join(pow.Calls(), ","), "heal") {
			step(10 * time.Millisecond)
		}
		rejoin(mon)()
	}()
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomePassed {
		t.Fatalf("outcome %s: %v", r.Outcome, r.Failures)
	}
	want := []string{"cut [10.0.0.11]|[10.0.0.10 10.0.0.10 10.0.0.12] /", "heal /"}
	if !reflect.DeepEqual(pow.Calls(), want) {
		t.Errorf("calls %v, want %v", pow.Calls(), want)
	}
	if r.NewPrimary != "s" || !r.Restored {
		t.Errorf("new primary %q restored %t", r.NewPrimary, r.Restored)
	}
}

func TestMonitorPartitionReportsWhatTheMonitorDid(t *testing.T) {
	mon, pow := lab()
	nw := &fakeNetwork{pow: pow}
	cfg := testConfig()
	cfg.Scenario = ScenarioMonitorPartition
	cfg.Network = nw
	cfg.DownFor = 50 * time.Millisecond
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomePassed {
		t.Fatalf("outcome %s: %v", r.Outcome, r.Failures)
	}
	if want := []string{"cut [10.0.0.11]|[10.0.0.10] /", "heal /"}; !reflect.DeepEqual(pow.Calls(), want) {
		t.Errorf("calls %v, want %v", pow.Calls(), want)
	}
	if r.NewPrimary != "p" || r.RTO != nil || !strings.Contains(strings.Join(r.Notes, ";"), "no failover") {
		t.Errorf("new primary %q, RTO %v, notes %v", r.NewPrimary, r.RTO, r.Notes)
	}
}

func TestPartitionWithoutNetworkControlCutsNothing(t *testing.T) {
	mon, pow := lab()
	cfg := testConfig()
	cfg.Scenario = ScenarioPartition
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomeError || len(pow.Calls()) != 0 {
		t.Errorf("outcome %s, calls %v", r.Outcome, pow.Calls())
	}
}

func TestHostLossStopsAndStartsEveryInstanceOfThePrimarysHost(t *testing.T) {
	mon, pow := lab()
	var stopOnce, startOnce sync.Once
	pow.onStop = func() { stopOnce.Do(failoverAfter(mon, 50*time.Millisecond)) }
	pow.onStart = func() { startOnce.Do(rejoin(mon)) }
	cfg := testConfig()
	cfg.Scenario = ScenarioHostLoss
	cfg.Instance = func(node string) Instance {
		return Instance{Name: node, Project: "lab", Remote: "hostb", Domain: "hostb"}
	}
	cfg.HostOf = func(inst Instance) []Instance {
		return []Instance{inst, {Name: "app", Project: "lab", Remote: "hostb", Domain: "hostb"}}
	}
	cfg.MonitorInstance = Instance{Name: "mon", Project: "lab", Domain: "hosta"}
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomePassed {
		t.Fatalf("outcome %s: %v", r.Outcome, r.Failures)
	}
	calls := pow.Calls()
	sort.Strings(calls)
	if want := []string{"start hostb:lab/app", "start hostb:lab/p", "stop hostb:lab/app", "stop hostb:lab/p"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
	if r.NewPrimary != "s" || !r.Restored {
		t.Errorf("new primary %q, restored %v", r.NewPrimary, r.Restored)
	}
}

func TestHostLossRefusesTheMonitorsHost(t *testing.T) {
	mon, pow := lab()
	cfg := testConfig()
	cfg.Scenario = ScenarioHostLoss
	cfg.MonitorInstance = Instance{Name: "mon", Project: "lab"}
	cfg.HostOf = func(inst Instance) []Instance { return []Instance{inst, cfg.MonitorInstance} }
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomeError || len(pow.Calls()) != 0 {
		t.Errorf("outcome %s, calls %v: want an error and nothing stopped", r.Outcome, pow.Calls())
	}
}
