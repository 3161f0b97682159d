package main

import (
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/pgaf"
	"pgafha/internal/switchover"
)

type report struct {
	m          *ansible.Module
	plan       plan
	timeline   switchover.Timeline
	switchover *switchover.Report
}

func (r *report) mark(what string) { r.timeline.Mark("%s", what) }

// finish sets the result from the nodes after the run (nil: unknown) and
// ends it with err.
func (r *report) finish(after []pgaf.Node, err error) error {
	res := &r.m.Result
	self := r.plan.self
	res.Set("node", self.Name)
	res.Set("action", string(r.plan.action))
	res.Set("timeline", r.timeline.Events())
	if r.switchover != nil {
		res.Set("switchover", r.switchover)
	}
	if n, ok := pgaf.NodeByID(after, self.ID); ok {
		res.Set("state", string(n.ReportedState))
		res.Set("maintenance", n.InMaintenance())
	}
	if p, ok := pgaf.PrimaryOf(after, self.Group); ok {
		res.Set("primary", p.Name)
	}
	if err != nil {
		return err
	}
	line := map[bool]string{true: "maintenance: enabled\n", false: "maintenance: disabled\n"}
	if r.plan.action != actionNone {
		res.Changed = true
		res.SetDiff(ansible.Diff{Before: line[self.InMaintenance()], After: line[!self.InMaintenance()],
			BeforeHeader: self.Name + " (before)", AfterHeader: self.Name + " (after)"})
	}
	verb := map[bool]string{true: "would ", false: ""}[r.m.CheckMode()]
	switch r.plan.action {
	case actionNone:
		if self.InMaintenance() {
			res.Msg = fmt.Sprintf("%s is in maintenance already", self.Name)
		} else {
			res.Msg = fmt.Sprintf("%s is not in maintenance", self.Name)
		}
	case actionEnable:
		res.Msg = fmt.Sprintf("%sput %s in maintenance (the primary %s commits without waiting for it meanwhile)", verb, self.Name, r.plan.primary.Name)
	case actionSwitchThenEnable:
		res.Msg = fmt.Sprintf("%sswitch over from %s to a standby, fenced (no acknowledged commit lost), then put %s in maintenance", verb, self.Name, self.Name)
	case actionDisable:
		res.Msg = fmt.Sprintf("%stake %s out of maintenance (it catches up and becomes a secondary)", verb, self.Name)
	}
	return nil
}
