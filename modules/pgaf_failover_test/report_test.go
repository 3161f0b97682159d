package main

import (
	"strings"
	"testing"

	"pgafha/internal/failover"
)

func f(v float64) *float64 { return &v }

func TestSummarizeOneCycle(t *testing.T) {
	o, _ := parseOptions(params(nil))
	r := failover.Result{Cycle: 1, Scenario: "stop", Outcome: failover.OutcomePassed, OldPrimary: "pgaf-primary", NewPrimary: "pgaf-replica",
		Stopped: true, FaultApplied: true, Verified: true, RTO: f(4.2), WriteOutage: f(5.1), Rejoin: f(3.3), Acknowledged: 900, Unknown: 1,
		Timeline: []failover.Event{{T: 4.2, Node: "pgaf-replica", Reported: "wait_primary"}}}
	rep := summarize([]failover.Result{r}, o)
	if !rep.passed || !rep.changed {
		t.Errorf("passed %v changed %v", rep.passed, rep.changed)
	}
	v := rep.values
	if v["rto_seconds"] != 4.2 || v["write_outage_seconds"] != 5.1 || v["lost_commits"] != 0 || v["acknowledged_commits"] != 900 {
		t.Errorf("values %v", v)
	}
	if v["commits_verified"] != true {
		t.Errorf("commits_verified %v", v["commits_verified"])
	}
	if _, ok := v["summary"]; ok {
		t.Error("summary with one cycle")
	}
	if tl, ok := v["timeline"].([]failover.Event); !ok || len(tl) != 1 {
		t.Errorf("timeline %v", v["timeline"])
	}
	for _, want := range []string{"PASSED", "pgaf-primary -> pgaf-replica", "RTO 4.20 s", "write outage 5.10 s", "lost_commits=0"} {
		if !strings.Contains(rep.msg, want) {
			t.Errorf("msg %q lacks %q", rep.msg, want)
		}
	}
}

func TestSummarizeCycles(t *testing.T) {
	o, _ := parseOptions(params(map[string]any{"cycles": 3}))
	var rs []failover.Result
	for i, rto := range []float64{4, 6, 5} {
		rs = append(rs, failover.Result{Cycle: i + 1, Outcome: failover.OutcomePassed, Stopped: true, FaultApplied: true, RTO: f(rto), WriteOutage: f(rto + 1), Rejoin: f(3), Acknowledged: 100})
	}
	rep := summarize(rs, o)
	sum := rep.values["summary"].(map[string]any)
	if sp := sum["rto_seconds"].(failover.Spread); sp.Median != 5 || sp.Max != 6 || sp.N != 3 {
		t.Errorf("rto spread %+v", sp)
	}
	if rep.values["rto_seconds"] != 6.0 || rep.values["acknowledged_commits"] != 300 {
		t.Errorf("values %v", rep.values)
	}
	if !strings.Contains(rep.msg, "RTO median 5.00 s max 6.00 s") {
		t.Errorf("msg %q", rep.msg)
	}
}

func TestSummarizeFailure(t *testing.T) {
	o, _ := parseOptions(params(map[string]any{"cycles": 2}))
	rs := []failover.Result{
		{Cycle: 1, Outcome: failover.OutcomePassed, Stopped: true, FaultApplied: true, RTO: f(4)},
		{Cycle: 2, Outcome: failover.OutcomeTargetMissed, Stopped: true, FaultApplied: true, RTO: f(61), Failures: []string{"promotion took 61.000 s, over the 60.000 s target"}},
	}
	rep := summarize(rs, o)
	if rep.passed || rep.values["outcome"] != failover.OutcomeTargetMissed {
		t.Errorf("outcome %v passed %v", rep.values["outcome"], rep.passed)
	}
	if !strings.HasPrefix(rep.msg, "FAILED (target_missed) in cycle 2 of 2: promotion took 61.000 s") {
		t.Errorf("msg %q", rep.msg)
	}

	aborted := []failover.Result{{Cycle: 1, Outcome: failover.OutcomeAborted, Stopped: true, FaultApplied: true, Acknowledged: 80}}
	if rep := summarize(aborted, o); !strings.Contains(rep.msg, "lost_commits=0 (not verified)") || rep.values["commits_verified"] != false {
		t.Errorf("aborted cycle: msg %q verified %v", rep.msg, rep.values["commits_verified"])
	}

	base := []failover.Result{{Cycle: 1, Outcome: failover.OutcomeUnhealthyBaseline, Failures: []string{"unhealthy baseline, nothing was stopped: no healthy secondary"}}}
	rep = summarize(base, o)
	if rep.passed || rep.changed || strings.Contains(rep.msg, "RTO") {
		t.Errorf("unhealthy baseline: %+v", rep)
	}
}
