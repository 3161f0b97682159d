package main

import (
	"fmt"

	"pgafha/internal/pgaf"
)

const (
	stateEnabled  = "enabled"
	stateDisabled = "disabled"
)

// action is what this run does to the node.
type action string

const (
	actionNone             action = "none"
	actionEnable           action = "enable"
	actionSwitchThenEnable action = "switchover_then_enable"
	actionDisable          action = "disable"
)

type plan struct {
	action action
	self   pgaf.Node
	// primary is the group's primary when the run began.
	primary pgaf.Node
}

// decide compares the node's maintenance with the wanted state, from a
// settled snapshot of the monitor.
func decide(nodes []pgaf.Node, selfID int64, want string) (plan, error) {
	self, ok := pgaf.NodeByID(nodes, selfID)
	if !ok {
		return plan{}, fmt.Errorf("this host's node (id %d) is not on the monitor: %s", selfID, pgaf.Summary(nodes))
	}
	p := plan{action: actionNone, self: self}
	primary, hasPrimary := pgaf.PrimaryOf(nodes, self.Group)
	if hasPrimary {
		p.primary = primary
	}
	switch {
	case want == stateEnabled && self.InMaintenance(), want == stateDisabled && !self.InMaintenance():
		return p, nil
	case want == stateDisabled:
		p.action = actionDisable
	case hasPrimary && primary.ID == self.ID:
		p.action = actionSwitchThenEnable
	case self.ReportedState == pgaf.StateSecondary:
		p.action = actionEnable
	default:
		return p, fmt.Errorf("%s is %s: only a secondary or the primary can be put in maintenance (%s)", self.Name, self.ReportedState, pgaf.Summary(nodes))
	}
	return p, nil
}
