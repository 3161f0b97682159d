package main

import (
	"fmt"

	"pgafha/internal/pgaf"
	"pgafha/internal/switchover"
)

// removal is what state=absent does, in this order. Everything is decided
// before the first change: a refusal changes nothing.
type removal struct {
	// node is the monitor's record to drop (nil: not registered).
	node *pgaf.Node
	// stepDown: node is the primary; a fenced switchover to takeover comes first.
	stepDown bool
	takeover pgaf.Node
	// nss lowers number_sync_standbys before the drop (nil: it still fits).
	nss *int
	// force: the record has no local node behind it (its keeper can never
	// report `dropped`): the monitor deletes it at once.
	force bool
	// primaryAfter is the group's primary once the node is gone ("" when
	// the group is left empty).
	primaryAfter string
	remaining    int
}

// decideRemoval plans the removal of self from its group (nodes, at rest).
// It refuses what an operator would regret: leaving fewer than two data
// nodes (unless allowSingle), or dropping a primary that no standby can
// take over from.
func decideRemoval(self pgaf.Node, nodes []pgaf.Node, nss int, hasLocal, allowSingle bool) (removal, error) {
	rm := removal{node: &self, force: !hasLocal}
	var others []pgaf.Node
	for _, n := range nodes {
		if n.Group == self.Group && n.ID != self.ID {
			others = append(others, n)
		}
	}
	rm.remaining = len(others)
	if len(others) < 2 && !allowSingle {
		return rm, fmt.Errorf("removing %s would leave %d data node(s) in group %d (%s): without a standby nothing can take over from the primary; set allow_single_node to remove it anyway",
			self.Name, len(others), self.Group, pgaf.Summary(nodes))
	}
	primary, hasPrimary := pgaf.PrimaryOf(nodes, self.Group)
	switch {
	case self.Writable() && len(others) > 0:
		if !hasLocal {
			return rm, fmt.Errorf("the monitor has %s as the primary but this host has no pg_auto_failover node at its pgdata: refusing to drop a primary from a record alone", self.Name)
		}
		target, err := switchover.Candidate(nodes, self)
		if err != nil {
			return rm, fmt.Errorf("remove %s: %w", self.Name, err)
		}
		rm.stepDown, rm.takeover, rm.primaryAfter = true, target, target.Name
	case self.Writable():
		// The group's last node: no primary after it (primaryAfter "").
	case hasPrimary:
		rm.primaryAfter = primary.Name
	default:
		return rm, fmt.Errorf("group %d has no primary right now (%s): retry when the formation is stable", self.Group, pgaf.Summary(nodes))
	}

	// The standbys that take part in the quorum once the node is gone.
	quorum := 0
	for _, n := range others {
		if n.ReplicationQuorum && n.Name != rm.primaryAfter {
			quorum++
		}
	}
	if !pgaf.SyncStandbysFit(nss, quorum) {
		v := pgaf.MaxSyncStandbys(quorum)
		rm.nss = &v
	}
	return rm, nil
}

// steps names the plan, for the result and check mode.
func (rm removal) steps(unit string, unitPresent, destroy bool, pgdata string) []string {
	var s []string
	if rm.node != nil {
		if rm.stepDown {
			s = append(s, fmt.Sprintf("switch over from %s to %s (fenced: no acknowledged commit lost)", rm.node.Name, rm.takeover.Name))
		}
		if rm.nss != nil {
			s = append(s, fmt.Sprintf("lower number_sync_standbys to %d (what %d remaining data node(s) allow)", *rm.nss, rm.remaining))
		}
		how := "its keeper stops PostgreSQL and reports dropped"
		if rm.force {
			how = "forced: no local node behind the record"
		}
		s = append(s, fmt.Sprintf("drop node %s (id %d) at the monitor (%s)", rm.node.Name, rm.node.ID, how))
		if rm.primaryAfter != "" {
			s = append(s, fmt.Sprintf("wait until the remaining standbys have the commits of primary %s", rm.primaryAfter))
		}
	}
	if unitPresent {
		s = append(s, fmt.Sprintf("stop, disable and delete the systemd unit %s", unit))
	}
	if destroy {
		s = append(s, fmt.Sprintf("delete the data directory %s and pg_autoctl's files", pgdata))
	}
	return s
}
