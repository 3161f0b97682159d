package main

import (
	"strings"
	"testing"

	"pgafha/internal/pgaf"
)

func member(id int64, name string, st pgaf.State) pgaf.Node {
	return pgaf.Node{ID: id, Name: name, Group: 0, ReportedState: st, AssignedState: st, Health: pgaf.HealthGood,
		CandidatePriority: 50, ReplicationQuorum: true, PgIsRunning: true}
}

var three = []pgaf.Node{
	member(1, "a", pgaf.StatePrimary),
	member(2, "b", pgaf.StateSecondary),
	member(3, "c", pgaf.StateSecondary),
}

func TestRemovalOfAStandbyLowersTheSyncStandbysItNoLongerHas(t *testing.T) {
	rm, err := decideRemoval(three[2], three, 1, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if rm.stepDown || rm.force || rm.primaryAfter != "a" || rm.remaining != 2 {
		t.Errorf("plan %+v: want no switchover, not forced, primary a, 2 remaining", rm)
	}
	if rm.nss == nil || *rm.nss != 0 {
		t.Errorf("number_sync_standbys: got %v, want lowered to 0 (one quorum standby left)", rm.nss)
	}
	// Already 0: nothing to lower.
	if rm, _ := decideRemoval(three[2], three, 0, true, false); rm.nss != nil {
		t.Errorf("number_sync_standbys 0 fits one standby, got a step to %d", *rm.nss)
	}
}

func TestRemovalOfThePrimarySwitchesOverFirst(t *testing.T) {
	rm, err := decideRemoval(three[0], three, 1, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if !rm.stepDown || rm.takeover.Name != "b" || rm.primaryAfter != "b" {
		t.Errorf("plan %+v: want a switchover to b (lowest id of equal priority)", rm)
	}
	steps := strings.Join(rm.steps("pg_autoctl-node", true, false, "/pg"), "\n")
	for _, want := range []string{"switch over from a to b", "lower number_sync_standbys to 0", "drop node a (id 1)", "systemd unit pg_autoctl-node"} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps miss %q:\n%s", want, steps)
		}
	}
}

func TestRemovalRefusals(t *testing.T) {
	two := three[:2]
	noCandidate := []pgaf.Node{three[0], three[1], three[2]}
	noCandidate[1].CandidatePriority, noCandidate[2].CandidatePriority = 0, 0
	cases := []struct {
		name        string
		self        pgaf.Node
		nodes       []pgaf.Node
		hasLocal    bool
		allowSingle bool
		want        string
	}{
		{"below two", two[1], two, true, false, "would leave 1 data node(s)"},
		{"primary without a candidate", noCandidate[0], noCandidate, true, false, "no standby can take over"},
		{"primary from a record alone", three[0], three, false, false, "refusing to drop a primary from a record alone"},
		{"no primary", member(2, "b", pgaf.StateSecondary), []pgaf.Node{member(1, "a", pgaf.StateDraining), member(2, "b", pgaf.StateSecondary), member(3, "c", pgaf.StateSecondary)}, true, false, "has no primary right now"},
	}
	for _, c := range cases {
		_, err := decideRemoval(c.self, c.nodes, 0, c.hasLocal, c.allowSingle)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error with %q", c.name, err, c.want)
		}
	}
	// The override lets the standby of two go, and the primary then has no quorum standby.
	rm, err := decideRemoval(two[1], two, 0, true, true)
	if err != nil || rm.primaryAfter != "a" || rm.nss != nil {
		t.Errorf("allow_single_node: got %+v, %v", rm, err)
	}
}

func TestRemovalOfARecordWithoutLocalNodeIsForced(t *testing.T) {
	rm, err := decideRemoval(three[2], three, 0, false, false)
	if err != nil || !rm.force {
		t.Errorf("got %+v, %v; want a forced drop", rm, err)
	}
}
