package main

import (
	"strings"
	"testing"

	"pgafha/internal/pgaf"
)

func group(n int) []pgaf.Node {
	nodes := []pgaf.Node{{ID: 1, Name: "a", ReportedState: pgaf.StatePrimary, AssignedState: pgaf.StatePrimary, CandidatePriority: 50, ReplicationQuorum: true}}
	for i := 1; i < n; i++ {
		nodes = append(nodes, pgaf.Node{ID: int64(i + 1), Name: string(rune('a' + i)), ReportedState: pgaf.StateSecondary,
			AssignedState: pgaf.StateSecondary, CandidatePriority: 50, ReplicationQuorum: true})
	}
	return nodes
}

func ptr[T any](v T) *T { return &v }

func TestSynchronousMapsToTheRightNumber(t *testing.T) {
	for nodes, want := range map[int]int{2: 0, 3: 1, 4: 1} {
		p, err := planPolicy(group(nodes), 0, wish{synchronous: ptr(true)})
		if err != nil || p.targetNSS != want {
			t.Errorf("%d nodes: targetNSS %d, %v; want %d", nodes, p.targetNSS, err, want)
		}
	}
	// Two nodes, already right: nothing to call.
	if p, _ := planPolicy(group(2), 0, wish{synchronous: ptr(true)}); len(p.steps) != 0 {
		t.Errorf("steps = %v", p.steps)
	}
}

func TestNumberSyncStandbysOneWithTwoNodesExplainsTheRule(t *testing.T) {
	_, err := planPolicy(group(2), 0, wish{nss: ptr(1)})
	if err == nil || !strings.Contains(err.Error(), "needs at least 2 standby nodes") || !strings.Contains(err.Error(), "synchronous: true") {
		t.Errorf("err = %v", err)
	}
	if p, err := planPolicy(group(3), 0, wish{nss: ptr(1)}); err != nil || len(p.steps) != 1 || *p.steps[0].nss != 1 {
		t.Errorf("3 nodes: plan %+v, %v", p, err)
	}
}

func TestSynchronousNeedsAQuorumStandby(t *testing.T) {
	nodes := group(2)
	nodes[1].ReplicationQuorum = false
	if _, err := planPolicy(nodes, 0, wish{synchronous: ptr(true)}); err == nil {
		t.Error("synchronous accepted without a quorum standby")
	}
	// Turning the quorum back on in the same task makes it valid.
	p, err := planPolicy(nodes, 0, wish{synchronous: ptr(true), nodes: []nodeWish{{name: "b", quorum: ptr(true)}}})
	if err != nil || len(p.steps) != 1 || p.steps[0].node != "b" {
		t.Errorf("plan %+v, %v", p, err)
	}
}

func TestAsynchronousTurnsQuorumOff(t *testing.T) {
	p, err := planPolicy(group(2), 0, wish{synchronous: ptr(false)})
	if err != nil || len(p.steps) != 2 || p.targetNSS != 0 {
		t.Fatalf("plan %+v, %v", p, err)
	}
	if _, err := planPolicy(group(2), 0, wish{synchronous: ptr(false), nodes: []nodeWish{{name: "b", quorum: ptr(true)}}}); err == nil {
		t.Error("synchronous=false with a quorum node accepted")
	}
}

// Lowering number_sync_standbys must come before removing a quorum node,
// raising it after adding one, or the monitor refuses the intermediate state.
func TestStepOrder(t *testing.T) {
	p, err := planPolicy(group(3), 1, wish{nss: ptr(0), nodes: []nodeWish{{name: "c", quorum: ptr(false)}}})
	if err != nil || len(p.steps) != 2 || p.steps[0].nss == nil {
		t.Errorf("lowering: steps %v, %v", p.steps, err)
	}
	nodes := group(3)
	nodes[2].ReplicationQuorum = false
	p, err = planPolicy(nodes, 0, wish{nss: ptr(1), nodes: []nodeWish{{name: "c", quorum: ptr(true)}}})
	if err != nil || len(p.steps) != 2 || p.steps[1].nss == nil {
		t.Errorf("raising: steps %v, %v", p.steps, err)
	}
}

func TestNodeWishesAreValidatedFirst(t *testing.T) {
	for want, w := range map[string]wish{
		"no node named":     {nodes: []nodeWish{{name: "zz", priority: ptr(1)}}},
		"listed twice":      {nodes: []nodeWish{{name: "b", priority: ptr(1)}, {name: "b", priority: ptr(2)}}},
		"between 0 and 100": {nodes: []nodeWish{{name: "b", priority: ptr(101)}}},
		"at least two":      {nodes: []nodeWish{{name: "b", priority: ptr(0)}}},
	} {
		if _, err := planPolicy(group(2), 0, w); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
	nodes := group(2)
	nodes[0].AssignedState = pgaf.StateDraining
	if _, err := planPolicy(nodes, 0, wish{}); err == nil {
		t.Error("group without a primary accepted")
	}
}

func TestReadNodeWish(t *testing.T) {
	nw, err := readNodeWish(map[string]any{"name": "b", "candidate_priority": int64(10), "replication_quorum": false})
	if err != nil || nw.name != "b" || *nw.priority != 10 || *nw.quorum {
		t.Errorf("readNodeWish = %+v, %v", nw, err)
	}
	for _, bad := range []any{"b", map[string]any{"candidate_priority": int64(1)}, map[string]any{"name": "b", "weight": int64(1)},
		map[string]any{"name": "b", "replication_quorum": "maybe"}} {
		if _, err := readNodeWish(bad); err == nil {
			t.Errorf("readNodeWish(%v) accepted", bad)
		}
	}
}
