package main

import (
	"fmt"
	"sort"
	"strings"

	"pgafha/internal/pgaf"
)

// nodeWish is what the task asks for one node; nil fields are left alone.
type nodeWish struct {
	name     string
	priority *int
	quorum   *bool
}

// wish is the whole policy asked for.
type wish struct {
	synchronous *bool
	nss         *int
	nodes       []nodeWish
}

// step is one monitor setter call.
type step struct {
	node     string // "" for the formation-wide number_sync_standbys
	priority *int
	quorum   *bool
	nss      *int
}

func (s step) String() string {
	switch {
	case s.nss != nil:
		return fmt.Sprintf("set number_sync_standbys to %d", *s.nss)
	case s.priority != nil:
		return fmt.Sprintf("set candidate_priority of %s to %d", s.node, *s.priority)
	default:
		return fmt.Sprintf("set replication_quorum of %s to %t", s.node, *s.quorum)
	}
}

// policyPlan is the ordered list of setter calls, and the resulting
// number_sync_standbys.
type policyPlan struct {
	steps     []step
	targetNSS int
	quorumSB  int // standbys that would take part in the replication quorum
}

// planPolicy checks the wish against the group's nodes and the monitor's
// rule (number_sync_standbys = n needs n+1 standbys in the replication
// quorum), and orders the setters so that no intermediate state breaks that
// rule. Everything is validated before any step is returned.
func planPolicy(nodes []pgaf.Node, currentNSS int, w wish) (policyPlan, error) {
	var p policyPlan
	byName := map[string]pgaf.Node{}
	names := []string{}
	for _, n := range nodes {
		byName[n.Name] = n
		names = append(names, n.Name)
	}
	sort.Strings(names)
	primary, ok := pgaf.PrimaryOf(nodes, groupOf(nodes))
	if !ok {
		return p, fmt.Errorf("the group has no primary right now (%s): retry when the formation is stable", pgaf.Summary(nodes))
	}

	quorum := map[string]bool{}
	for _, n := range nodes {
		quorum[n.Name] = n.ReplicationQuorum
	}
	var nodeSteps []step
	seen := map[string]bool{}
	for _, nw := range w.nodes {
		n, ok := byName[nw.name]
		if !ok {
			return p, fmt.Errorf("nodes: no node named %q in this group (nodes: %s)", nw.name, strings.Join(names, ", "))
		}
		if seen[nw.name] {
			return p, fmt.Errorf("nodes: %q is listed twice", nw.name)
		}
		seen[nw.name] = true
		if nw.priority != nil {
			if *nw.priority < 0 || *nw.priority > 100 {
				return p, fmt.Errorf("nodes: candidate_priority of %s must be between 0 and 100, got %d", nw.name, *nw.priority)
			}
			if *nw.priority != n.CandidatePriority {
				nodeSteps = append(nodeSteps, step{node: nw.name, priority: nw.priority})
			}
		}
		if nw.synchronousConflict(w.synchronous) {
			return p, fmt.Errorf("nodes: %s asks replication_quorum=true but synchronous=false asks for asynchronous replication", nw.name)
		}
		if nw.quorum != nil {
			quorum[nw.name] = *nw.quorum
			if *nw.quorum != n.ReplicationQuorum {
				nodeSteps = append(nodeSteps, step{node: nw.name, quorum: nw.quorum})
			}
		}
	}
	if w.synchronous != nil && !*w.synchronous {
		for _, name := range names {
			if quorum[name] && !seen[name] {
				f := false
				quorum[name] = false
				nodeSteps = append(nodeSteps, step{node: name, quorum: &f})
			}
		}
	}
	if err := checkCandidates(nodes, nodeSteps); err != nil {
		return p, err
	}

	for name, q := range quorum {
		if q && name != primary.Name {
			p.quorumSB++
		}
	}
	p.targetNSS = currentNSS
	switch {
	case w.nss != nil:
		p.targetNSS = *w.nss
		if err := checkNSS(p.targetNSS, p.quorumSB, len(nodes)-1); err != nil {
			return p, err
		}
	case w.synchronous != nil && *w.synchronous:
		if p.quorumSB == 0 {
			return p, fmt.Errorf("synchronous=true needs at least one standby with replication_quorum=true; this group has %d standby node(s) and none takes part in the quorum", len(nodes)-1)
		}
		// One standby: 0 already makes every commit wait for it (ANY 1).
		// Two or more: 1 keeps a synchronous copy when one standby fails.
		p.targetNSS = min(1, pgaf.MaxSyncStandbys(p.quorumSB))
	case w.synchronous != nil:
		p.targetNSS = 0
	default:
		if err := checkNSS(p.targetNSS, p.quorumSB, len(nodes)-1); err != nil {
			return p, fmt.Errorf("with these node settings the current %w", err)
		}
	}

	// Lowering number_sync_standbys first, raising it last, keeps every
	// intermediate state acceptable to the monitor.
	var nssStep []step
	if p.targetNSS != currentNSS {
		v := p.targetNSS
		nssStep = []step{{nss: &v}}
	}
	if p.targetNSS < currentNSS {
		p.steps = append(nssStep, nodeSteps...)
	} else {
		p.steps = append(nodeSteps, nssStep...)
	}
	return p, nil
}

func (nw nodeWish) synchronousConflict(sync *bool) bool {
	return sync != nil && !*sync && nw.quorum != nil && *nw.quorum
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

// checkCandidates keeps at least one node other than the primary eligible
// for promotion only when someone asked for priorities; the monitor itself
// refuses a group where no node can be promoted.
func checkCandidates(nodes []pgaf.Node, steps []step) error {
	prio := map[string]int{}
	for _, n := range nodes {
		prio[n.Name] = n.CandidatePriority
	}
	touched := false
	for _, s := range steps {
		if s.priority != nil {
			prio[s.node] = *s.priority
			touched = true
		}
	}
	if !touched || len(nodes) < 2 {
		return nil
	}
	eligible := 0
	for _, v := range prio {
		if v > 0 {
			eligible++
		}
	}
	if eligible < 2 {
		return fmt.Errorf("nodes: at least two nodes need candidate_priority > 0, or no standby could ever take over from the primary")
	}
	return nil
}

func groupOf(nodes []pgaf.Node) int {
	if len(nodes) == 0 {
		return 0
	}
	return nodes[0].Group
}
