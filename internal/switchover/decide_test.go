package switchover

import (
	"strings"
	"testing"

	"pgafha/internal/pgaf"
)

func node(id int64, name string, state pgaf.State) pgaf.Node {
	return pgaf.Node{ID: id, Name: name, ReportedState: state, AssignedState: state,
		Health: pgaf.HealthGood, CandidatePriority: 50, PgIsRunning: true}
}

func lab() []pgaf.Node {
	return []pgaf.Node{node(1, "a", pgaf.StatePrimary), node(2, "b", pgaf.StateSecondary), node(3, "c", pgaf.StateSecondary)}
}

func TestDecideByHost(t *testing.T) {
	cases := []struct {
		self   int64
		target string
		want   Action
	}{
		{1, "a", Nothing}, {2, "a", Nothing},
		{1, "b", Switch}, {2, "b", AwaitPromotion}, {3, "b", NotInvolved},
	}
	for _, c := range cases {
		p, err := Decide(lab(), 0, c.self, c.target)
		if err != nil {
			t.Fatalf("self %d target %s: %v", c.self, c.target, err)
		}
		if p.Action != c.want || p.Primary.Name != "a" || p.Target.Name != c.target {
			t.Errorf("self %d target %s: got %s (primary %s, target %s), want %s", c.self, c.target, p.Action, p.Primary.Name, p.Target.Name, c.want)
		}
	}
}

func TestDecideRefusesWhatCannotBePromoted(t *testing.T) {
	cases := map[string]func([]pgaf.Node){
		`"x" is not a data node of group 0 (its nodes: a, b, c)`: nil,
		"candidate_priority 0":        func(n []pgaf.Node) { n[1].CandidatePriority = 0 },
		"health check reports it bad": func(n []pgaf.Node) { n[1].Health = pgaf.HealthBad },
		"it is maintenance (assigned maintenance)": func(n []pgaf.Node) {
			n[1].ReportedState, n[1].AssignedState = pgaf.StateMaintenance, pgaf.StateMaintenance
		},
		"PostgreSQL not running": func(n []pgaf.Node) { n[1].PgIsRunning = false },
	}
	for want, mutate := range cases {
		nodes, target := lab(), "b"
		if mutate == nil {
			target = "x"
		} else {
			mutate(nodes)
		}
		// Every host refuses, so that each report says why.
		for self := int64(1); self <= 3; self++ {
			if _, err := Decide(nodes, 0, self, target); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("self %d: err = %v, want %q", self, err, want)
			}
		}
	}
}

func TestDecideNeedsThisNodeAndAPrimary(t *testing.T) {
	if _, err := Decide(lab(), 0, 9, "b"); err == nil || !strings.Contains(err.Error(), "id 9") {
		t.Errorf("unknown self: err = %v", err)
	}
	nodes := lab()
	nodes[0].ReportedState, nodes[0].AssignedState = pgaf.StateDemoted, pgaf.StateDemoted
	if _, err := Decide(nodes, 0, 2, "b"); err == nil || !strings.Contains(err.Error(), "no primary") {
		t.Errorf("no primary: err = %v", err)
	}
	// Nodes of another group are not candidates.
	other := append(lab(), pgaf.Node{ID: 4, Name: "d", Group: 1})
	if _, err := Decide(other, 0, 1, "d"); err == nil || !strings.Contains(err.Error(), "not a data node of group 0") {
		t.Errorf("other group: err = %v", err)
	}
}

func TestStandbyName(t *testing.T) {
	if got := StandbyName(2); got != "pgautofailover_standby_2" {
		t.Errorf("StandbyName(2) = %q", got)
	}
}

func TestIsPrimaryNeedsTheNodeAtRest(t *testing.T) {
	nodes := lab()
	if !IsPrimary(nodes, 1, 0) || IsPrimary(nodes, 2, 0) {
		t.Error("primary a at rest not recognised")
	}
	nodes[0].AssignedState = pgaf.StateDraining
	if IsPrimary(nodes, 1, 0) {
		t.Error("a draining primary counts as the primary at rest")
	}
}

func TestCandidatePrefersPriorityThenID(t *testing.T) {
	nodes := lab()
	nodes[2].CandidatePriority = 80
	got, err := Candidate(nodes, nodes[0])
	if err != nil || got.Name != "c" {
		t.Fatalf("Candidate = %s, %v; want c (priority 80)", got.Name, err)
	}
	nodes[2].CandidatePriority = 50
	if got, _ := Candidate(nodes, nodes[0]); got.Name != "b" {
		t.Errorf("Candidate = %s; want b (same priority, lower id)", got.Name)
	}
}

func TestCandidateSkipsWhatCannotTakeOver(t *testing.T) {
	nodes := lab()
	nodes[1].CandidatePriority = 0
	nodes[2].Health = pgaf.HealthBad
	if got, err := Candidate(nodes, nodes[0]); err == nil || !strings.Contains(err.Error(), "no standby can take over") {
		t.Errorf("Candidate = %s, %v; want the refusal", got.Name, err)
	}
}

func TestDecideListsEveryNodeTheMonitorMayPromote(t *testing.T) {
	nodes := []pgaf.Node{
		{ID: 1, Name: "a", ReportedState: pgaf.StatePrimary, AssignedState: pgaf.StatePrimary, Health: pgaf.HealthGood, CandidatePriority: 50, PgIsRunning: true},
		{ID: 2, Name: "b", ReportedState: pgaf.StateSecondary, AssignedState: pgaf.StateSecondary, Health: pgaf.HealthGood, CandidatePriority: 50, PgIsRunning: true},
		{ID: 3, Name: "c", ReportedState: pgaf.StateSecondary, AssignedState: pgaf.StateSecondary, Health: pgaf.HealthGood, CandidatePriority: 100, PgIsRunning: true},
		{ID: 4, Name: "d", ReportedState: pgaf.StateSecondary, AssignedState: pgaf.StateSecondary, Health: pgaf.HealthGood, CandidatePriority: 0, PgIsRunning: true},
	}
	p, err := Decide(nodes, 0, 1, "b")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range p.Candidates {
		names = append(names, c.Name)
	}
	// The fence waits for c too: the monitor promotes it if b is unhealthy at that moment.
	if strings.Join(names, ",") != "b,c" {
		t.Errorf("candidates = %v, want b,c (not the primary, not priority 0)", names)
	}
}
