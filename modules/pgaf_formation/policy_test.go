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
		if err != nil || p.targetNSS != want || p.change != (want != 0) {
			t.Errorf("%d nodes: plan %+v, %v; want %d", nodes, p, err, want)
		}
	}
}

func TestNumberSyncStandbysOneWithTwoNodesExplainsTheRule(t *testing.T) {
	_, err := planPolicy(group(2), 0, wish{nss: ptr(1)})
	if err == nil || !strings.Contains(err.Error(), "needs at least 2 standby nodes") || !strings.Contains(err.Error(), "synchronous: true") {
		t.Errorf("err = %v", err)
	}
	if p, err := planPolicy(group(3), 0, wish{nss: ptr(1)}); err != nil || !p.change || p.targetNSS != 1 {
		t.Errorf("3 nodes: plan %+v, %v", p, err)
	}
	if p, err := planPolicy(group(3), 1, wish{nss: ptr(1)}); err != nil || p.change {
		t.Errorf("already 1: plan %+v, %v", p, err)
	}
}

func TestSynchronousNeedsAQuorumStandby(t *testing.T) {
	nodes := group(2)
	nodes[1].ReplicationQuorum = false
	_, err := planPolicy(nodes, 0, wish{synchronous: ptr(true)})
	if err == nil || !strings.Contains(err.Error(), "pgaf_node") {
		t.Errorf("synchronous without a quorum standby: %v", err)
	}
}

// Asynchronous replication needs every standby out of the quorum, which is
// pgaf_node's to change: this module says so instead of setting it.
func TestAsynchronousNeedsTheQuorumOffFirst(t *testing.T) {
	_, err := planPolicy(group(3), 1, wish{synchronous: ptr(false)})
	if err == nil || !strings.Contains(err.Error(), "b, c") || !strings.Contains(err.Error(), "replication_quorum=false") {
		t.Errorf("err = %v", err)
	}
	nodes := group(3)
	nodes[1].ReplicationQuorum, nodes[2].ReplicationQuorum = false, false
	// The primary's own flag does not count: it is not a standby.
	p, err := planPolicy(nodes, 1, wish{synchronous: ptr(false)})
	if err != nil || !p.change || p.targetNSS != 0 {
		t.Errorf("plan %+v, %v", p, err)
	}
}

func TestCurrentSettingIsCheckedWhenNothingIsAsked(t *testing.T) {
	nodes := group(3)
	nodes[2].ReplicationQuorum = false
	if _, err := planPolicy(nodes, 1, wish{}); err == nil || !strings.Contains(err.Error(), "the current number_sync_standbys=1") {
		t.Errorf("err = %v", err)
	}
	if _, err := planPolicy(nodes, -1, wish{nss: ptr(-1)}); err == nil {
		t.Error("negative number_sync_standbys accepted")
	}
	nodes = group(2)
	nodes[0].AssignedState = pgaf.StateDraining
	if _, err := planPolicy(nodes, 0, wish{}); err == nil {
		t.Error("group without a primary accepted")
	}
}
