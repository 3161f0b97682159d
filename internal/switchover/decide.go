// Package switchover moves the primary role of a pg_auto_failover group to
// a chosen standby without losing an acknowledged commit.
//
// pg_auto_failover 2.0's own switchover (perform_failover/perform_promotion)
// can lose commits: the monitor may assign the draining primary
// wait_primary from a stale copy of its row (node_active reads it before
// taking the group lock), and in wait_primary the primary commits without
// waiting for the standby while the standby is promoted. So the old primary
// is fenced first, from its own host: new transactions are read-only
// (default_transaction_read_only, the switch pg_auto_failover itself uses
// on a standby it promotes), the sessions from before are ended, and the
// promotion is requested only once the standby has flushed everything the
// old primary wrote. Whatever state the monitor then assigns, the old
// primary cannot acknowledge a commit the new primary will not have. The
// fence is lifted once the old primary is a secondary, or at once when
// the promotion was never requested.
package switchover

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"pgafha/internal/pgaf"
)

// Action is what this host does for a wanted primary.
type Action string

const (
	// Nothing: the wanted node is the primary already.
	Nothing Action = "none"
	// Switch: this host runs the primary; it fences it and has the wanted
	// node promoted.
	Switch Action = "switchover"
	// AwaitPromotion: this host runs the wanted node; the primary's host
	// does the switchover, this one waits for the result.
	AwaitPromotion Action = "await_promotion"
	// NotInvolved: a third node; nothing happens here.
	NotInvolved Action = "not_involved"
)

// Plan is the decision for one host, from a settled group.
type Plan struct {
	Action  Action
	Primary pgaf.Node
	Target  pgaf.Node
	Self    pgaf.Node
	// Candidates are the standbys the monitor may promote (candidate
	// priority above 0), Target among them. perform_promotion falls back to
	// another one when Target is not healthy at that moment, so the fence
	// waits until every one of them has the old primary's WAL.
	Candidates []pgaf.Node
}

// Decide tells what the host whose node id is self does so that the node
// named target becomes the primary of group. nodes must be a settled
// snapshot (pgaf.GroupSettled). A target that cannot be promoted is an
// error on every host, so that each one's report says why.
func Decide(nodes []pgaf.Node, group int, self int64, target string) (Plan, error) {
	var p Plan
	var names []string
	foundSelf, foundTarget := false, false
	for _, n := range nodes {
		if n.Group != group {
			continue
		}
		names = append(names, n.Name)
		if n.ID == self {
			p.Self, foundSelf = n, true
		}
		if n.Name == target {
			p.Target, foundTarget = n, true
		}
	}
	if !foundTarget {
		return p, fmt.Errorf("primary: %q is not a data node of group %d (its nodes: %s)", target, group, strings.Join(names, ", "))
	}
	if !foundSelf {
		return p, fmt.Errorf("this host's node (id %d) is not in group %d on the monitor (its nodes: %s)", self, group, strings.Join(names, ", "))
	}
	primary, ok := pgaf.PrimaryOf(nodes, group)
	if !ok {
		return p, fmt.Errorf("group %d has no primary to switch over from: %s", group, pgaf.Summary(nodes))
	}
	p.Primary = primary
	for _, n := range nodes {
		if n.Group == group && n.ID != primary.ID && n.CandidatePriority > 0 {
			p.Candidates = append(p.Candidates, n)
		}
	}
	if primary.ID == p.Target.ID {
		p.Action = Nothing
		return p, nil
	}
	if err := promotable(p.Target); err != nil {
		return p, err
	}
	switch p.Self.ID {
	case primary.ID:
		p.Action = Switch
	case p.Target.ID:
		p.Action = AwaitPromotion
	default:
		p.Action = NotInvolved
	}
	return p, nil
}

// promotable refuses, before anything is touched, a node the monitor would
// not promote or that would lose data if it were.
func promotable(n pgaf.Node) error {
	switch {
	case n.ReportedState != pgaf.StateSecondary || n.AssignedState != pgaf.StateSecondary:
		return fmt.Errorf("primary: node %q cannot be promoted: it is %s (assigned %s), not a secondary", n.Name, n.ReportedState, n.AssignedState)
	case n.Health != pgaf.HealthGood:
		return fmt.Errorf("primary: node %q cannot be promoted: the monitor's health check reports it %s", n.Name, n.Health)
	case n.CandidatePriority == 0:
		return fmt.Errorf("primary: node %q has candidate_priority 0, so pg_auto_failover never promotes it; give it a priority above 0 first", n.Name)
	case !n.PgIsRunning:
		return fmt.Errorf("primary: node %q cannot be promoted: its keeper reports PostgreSQL not running", n.Name)
	}
	return nil
}

// Candidate picks the standby that takes over when the primary self steps
// down (for a restart or maintenance): a healthy secondary at rest that may
// be promoted, the highest candidate_priority first, then the lowest id.
func Candidate(nodes []pgaf.Node, self pgaf.Node) (pgaf.Node, error) {
	var ok []pgaf.Node
	for _, n := range nodes {
		if n.Group == self.Group && n.ID != self.ID && n.ReportedState == pgaf.StateSecondary &&
			n.Settled() && n.Health == pgaf.HealthGood && n.CandidatePriority > 0 {
			ok = append(ok, n)
		}
	}
	if len(ok) == 0 {
		return pgaf.Node{}, fmt.Errorf("%s is the primary and no standby can take over (a healthy secondary at rest with candidate_priority above 0 is needed): %s", self.Name, pgaf.Summary(nodes))
	}
	slices.SortStableFunc(ok, func(a, b pgaf.Node) int {
		if a.CandidatePriority != b.CandidatePriority {
			return b.CandidatePriority - a.CandidatePriority
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return ok[0], nil
}
