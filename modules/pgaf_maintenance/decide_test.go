package main

import (
	"strings"
	"testing"

	"pgafha/internal/pgaf"
)

func node(id int64, name string, reported, assigned pgaf.State) pgaf.Node {
	return pgaf.Node{ID: id, Name: name, ReportedState: reported, AssignedState: assigned, Health: pgaf.HealthGood, CandidatePriority: 50}
}

func TestDecideFromTheNodesRole(t *testing.T) {
	group := []pgaf.Node{
		node(1, "p", pgaf.StatePrimary, pgaf.StatePrimary),
		node(2, "s", pgaf.StateSecondary, pgaf.StateSecondary),
	}
	inMaint := []pgaf.Node{
		node(1, "p", pgaf.StateWaitPrimary, pgaf.StateWaitPrimary),
		node(2, "s", pgaf.StateMaintenance, pgaf.StateMaintenance),
	}
	cases := []struct {
		nodes []pgaf.Node
		self  int64
		want  string
		act   action
	}{
		{group, 2, stateEnabled, actionEnable},
		{group, 1, stateEnabled, actionSwitchThenEnable},
		{group, 2, stateDisabled, actionNone},
		{inMaint, 2, stateEnabled, actionNone},
		{inMaint, 2, stateDisabled, actionDisable},
		{inMaint, 1, stateDisabled, actionNone},
	}
	for _, c := range cases {
		p, err := decide(c.nodes, c.self, c.want)
		if err != nil || p.action != c.act {
			t.Errorf("node %d, %s: got %s, %v; want %s", c.self, c.want, p.action, err, c.act)
		}
	}
}

func TestDecideRefusesANodeInTransition(t *testing.T) {
	nodes := []pgaf.Node{
		node(1, "p", pgaf.StatePrimary, pgaf.StatePrimary),
		node(2, "s", pgaf.StateCatchingUp, pgaf.StateCatchingUp),
	}
	if _, err := decide(nodes, 2, stateEnabled); err == nil || !strings.Contains(err.Error(), "only a secondary or the primary") {
		t.Errorf("err = %v", err)
	}
	if _, err := decide(nodes, 9, stateEnabled); err == nil || !strings.Contains(err.Error(), "not on the monitor") {
		t.Errorf("err = %v", err)
	}
}
