package main

import (
	"fmt"
	"slices"
	"strings"

	"pgafha/internal/pgaf"
)

// wish is the formation-wide policy asked for. Per-node candidate priority
// and replication quorum belong to pgaf_node (each node's own task): this
// module reads them, never sets them.
type wish struct {
	synchronous *bool
	nss         *int
}

// policyPlan is the number_sync_standbys to set (change false: as it is).
type policyPlan struct {
	change    bool
	targetNSS int
	quorumSB  int // standbys that take part in the replication quorum
}

func (p policyPlan) String() string {
	return fmt.Sprintf("set number_sync_standbys to %d", p.targetNSS)
}

// planPolicy checks the wish against the group's nodes and the monitor's
// rule (number_sync_standbys = n needs n+1 standbys in the replication
// quorum) before anything is set.
func planPolicy(nodes []pgaf.Node, currentNSS int, w wish) (policyPlan, error) {
	p := policyPlan{targetNSS: currentNSS}
	primary, ok := pgaf.PrimaryOf(nodes, groupOf(nodes))
	if !ok {
		return p, fmt.Errorf("the group has no primary right now (%s): retry when the formation is stable", pgaf.Summary(nodes))
	}
	var inQuorum []string
	for _, n := range nodes {
		if n.ReplicationQuorum && n.Name != primary.Name {
			inQuorum = append(inQuorum, n.Name)
		}
	}
	slices.Sort(inQuorum)
	p.quorumSB = len(inQuorum)
	switch {
	case w.nss != nil:
		p.targetNSS = *w.nss
		if err := checkNSS(p.targetNSS, p.quorumSB, len(nodes)-1); err != nil {
			return p, err
		}
	case w.synchronous != nil && *w.synchronous:
		if p.quorumSB == 0 {
			return p, fmt.Errorf("synchronous=true needs at least one standby with replication_quorum=true; this group has %d standby node(s) and none takes part in the quorum (replication_quorum is each node's pgaf_node option)", len(nodes)-1)
		}
		// One standby: 0 already makes every commit wait for it (ANY 1).
		// Two or more: 1 keeps a synchronous copy when one standby fails.
		p.targetNSS = min(1, pgaf.MaxSyncStandbys(p.quorumSB))
	case w.synchronous != nil:
		// With number_sync_standbys 0, a standby in the quorum still makes
		// every commit wait for it (ANY 1): asynchronous needs none there.
		if len(inQuorum) > 0 {
			return p, fmt.Errorf("synchronous=false asks for asynchronous replication, but %s still take(s) part in the replication quorum, so commits would keep waiting for them: set replication_quorum=false on those nodes first (pgaf_node's option; the role's postgres_ha_replication_quorum)", strings.Join(inQuorum, ", "))
		}
		p.targetNSS = 0
	default:
		if err := checkNSS(p.targetNSS, p.quorumSB, len(nodes)-1); err != nil {
			return p, fmt.Errorf("with these node settings the current %w", err)
		}
	}
	p.change = p.targetNSS != currentNSS
	return p, nil
}

// checkNSS explains the monitor's rule instead of letting it refuse.
func checkNSS(nss, quorumStandbys, standbys int) error {
	if nss < 0 {
		return fmt.Errorf("number_sync_standbys must be 0 or more, got %d", nss)
	}
	if pgaf.SyncStandbysFit(nss, quorumStandbys) {
		return nil
	}
	return fmt.Errorf("number_sync_standbys=%d needs at least %d standby nodes with replication_quorum=true (so that one may fail without blocking writes), and this group has %d (of %d standbys). "+
		"With a single standby, number_sync_standbys=0 together with replication_quorum=true already makes every commit wait for that standby (synchronous_standby_names = 'ANY 1 (...)'): "+
		"use synchronous: true to ask for zero data loss whatever the number of nodes", nss, nss+1, quorumStandbys, standbys)
}

func groupOf(nodes []pgaf.Node) int {
	if len(nodes) == 0 {
		return 0
	}
	return nodes[0].Group
}
