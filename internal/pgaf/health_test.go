package pgaf

import (
	"strings"
	"testing"
)

func node(name string, group int, reported, assigned State) Node {
	return Node{Name: name, Group: group, ReportedState: reported, AssignedState: assigned,
		Health: HealthGood, PgIsRunning: true}
}

func TestAssess(t *testing.T) {
	bad := node("node2", 0, StateSecondary, StateSecondary)
	bad.Health = HealthBad
	down := node("node2", 0, StateSecondary, StateSecondary)
	down.PgIsRunning = false
	tests := []struct {
		name     string
		nodes    []Node
		primary  string   // name of group 0's primary, "" for none
		problems []string // fragments, one per expected problem
	}{
		{"healthy pair", []Node{node("node1", 0, StatePrimary, StatePrimary), node("node2", 0, StateSecondary, StateSecondary)},
			"node1", nil},
		{"lone single node", []Node{node("node1", 0, StateSingle, StateSingle)}, "node1", nil},
		{"empty", nil, "", []string{"no nodes"}},
		{"standby lost", []Node{node("node1", 0, StateWaitPrimary, StateWaitPrimary), node("node2", 0, StateCatchingUp, StateCatchingUp)},
			"node1", []string{"node1 is wait_primary", "node2 is in state catchingup"}},
		{"failover in progress", []Node{node("node1", 0, StatePrimary, StateDraining), node("node2", 0, StateSecondary, StatePreparePromotion)},
			"", []string{"node1 is primary, assigned draining", "node2 is secondary, assigned prepare_promotion", "group 0 has no primary"}},
		{"bad health", []Node{node("node1", 0, StatePrimary, StatePrimary), bad}, "node1", []string{"node2 failed the monitor's health check (bad)"}},
		{"postgres down", []Node{node("node1", 0, StatePrimary, StatePrimary), down}, "node1", []string{"node2 reports Postgres is not running"}},
		{"two primaries", []Node{node("node1", 0, StatePrimary, StatePrimary), node("node2", 0, StatePrimary, StatePrimary)},
			"node2", []string{"group 0 has 2 nodes in a primary state"}},
		{"pair still a single", []Node{node("node1", 0, StateSingle, StateSingle), node("node2", 0, StateWaitStandby, StateWaitStandby)},
			"node1", []string{"node1 is in state single", "node2 is in state wait_standby"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Assess(tt.nodes)
			if p, ok := st.Primaries[0]; (ok && p.Name != tt.primary) || (!ok && tt.primary != "") {
				t.Errorf("primary = %q (found %t), want %q", p.Name, ok, tt.primary)
			}
			if len(st.Problems) != len(tt.problems) {
				t.Fatalf("problems = %q, want %d matching %q", st.Problems, len(tt.problems), tt.problems)
			}
			for i, frag := range tt.problems {
				if !strings.Contains(st.Problems[i], frag) {
					t.Errorf("problem %d = %q, want it to contain %q", i, st.Problems[i], frag)
				}
			}
			if Healthy(tt.nodes) != (len(tt.problems) == 0) {
				t.Errorf("Healthy = %t with problems %q", Healthy(tt.nodes), st.Problems)
			}
		})
	}
}

func TestPrimaryOf(t *testing.T) {
	nodes := []Node{
		node("a", 0, StatePrimary, StateDraining),
		node("b", 0, StateWaitPrimary, StateWaitPrimary),
		node("c", 1, StatePrimary, StatePrimary),
	}
	if p, ok := PrimaryOf(nodes, 0); !ok || p.Name != "b" {
		t.Errorf("group 0: %q %t, want b (a is being demoted)", p.Name, ok)
	}
	if p, ok := PrimaryOf(nodes, 1); !ok || p.Name != "c" {
		t.Errorf("group 1: %q %t, want c", p.Name, ok)
	}
	if _, ok := PrimaryOf(nodes, 2); ok {
		t.Error("group 2 has no nodes but a primary was found")
	}
}

func TestSummary(t *testing.T) {
	bad := node("node2", 0, StateCatchingUp, StateSecondary)
	bad.Health = HealthBad
	got := Summary([]Node{node("node1", 0, StatePrimary, StatePrimary), bad})
	want := "node1 primary, node2 catchingup→secondary (bad)"
	if got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if Summary(nil) != "no nodes" {
		t.Errorf("Summary(nil) = %q", Summary(nil))
	}
}

func TestSettled(t *testing.T) {
	n := Node{ReportedState: StateSecondary, AssignedState: StateSecondary}
	if !n.Settled() {
		t.Error("secondary/secondary not settled")
	}
	n.ReportedState = StateCatchingUp
	if n.Settled() {
		t.Error("catchingup/secondary settled")
	}
	nodes := []Node{
		{Group: 0, ReportedState: StatePrimary, AssignedState: StateApplySettings},
		{Group: 0, ReportedState: StateSecondary, AssignedState: StateSecondary},
	}
	if GroupSettled(nodes, 0) {
		t.Error("group with a primary in apply_settings is settled")
	}
	if !GroupSettled(nodes, 1) {
		t.Error("empty group not settled")
	}
}
