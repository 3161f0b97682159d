package main

import (
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/switchover"
)

// report fills the module's result; each method ends one path of run.
type report struct {
	m    *ansible.Module
	plan switchover.Plan
}

func (r *report) set(primary string) {
	res := &r.m.Result
	res.Set("node", r.plan.Self.Name)
	res.Set("action", string(r.plan.Action))
	res.Set("primary", primary)
	res.Set("previous_primary", r.plan.Primary.Name)
}

// diff shows the role change on the hosts whose role changes.
func (r *report) diff() {
	r.m.Result.SetDiff(ansible.Diff{
		Before:       fmt.Sprintf("primary: %s\n", r.plan.Primary.Name),
		After:        fmt.Sprintf("primary: %s\n", r.plan.Target.Name),
		BeforeHeader: "formation primary (before)",
		AfterHeader:  "formation primary (after)",
	})
}

func (r *report) nothing() error {
	r.set(r.plan.Primary.Name)
	r.m.Result.Msg = fmt.Sprintf("%s is the primary already", r.plan.Primary.Name)
	return nil
}

func (r *report) notInvolved() error {
	r.set(r.plan.Primary.Name)
	r.m.Result.Msg = fmt.Sprintf("%s is promoted from %s's host; nothing to do on %s", r.plan.Target.Name, r.plan.Primary.Name, r.plan.Self.Name)
	return nil
}

func (r *report) predict() error {
	r.set(r.plan.Primary.Name)
	r.diff()
	r.m.Result.Changed = true
	if r.plan.Action == switchover.Switch {
		r.m.Result.Msg = fmt.Sprintf("would switch over from %s to %s: refuse writes on %s, wait until %s has flushed all of its WAL, have the monitor promote %s, then let %s take writes again as a secondary",
			r.plan.Primary.Name, r.plan.Target.Name, r.plan.Primary.Name, r.plan.Target.Name, r.plan.Target.Name, r.plan.Primary.Name)
	} else {
		r.m.Result.Msg = fmt.Sprintf("would be promoted in place of %s (the switchover runs on %s's host)", r.plan.Primary.Name, r.plan.Primary.Name)
	}
	return nil
}

func (r *report) awaited(err error) error {
	if err != nil {
		r.set(r.plan.Primary.Name)
		return err
	}
	r.set(r.plan.Target.Name)
	r.diff()
	r.m.Result.Changed = true
	r.m.Result.Msg = fmt.Sprintf("%s is the primary now (promoted in place of %s)", r.plan.Target.Name, r.plan.Primary.Name)
	return nil
}

func (r *report) switched(res switchover.Report, err error) error {
	m := &r.m.Result
	m.Set("started_at", res.Started)
	m.Set("timeline", res.Timeline)
	m.Set("sessions_ended", res.Terminated)
	m.Set("caught_up_lsn", res.CaughtUpLSN)
	m.Set("fenced_seconds", res.FencedSeconds)
	m.Set("fence_lifted", res.FenceLifted)
	// Sessions were ended and, after the request, roles may have changed:
	// only a run that lifted its fence before asking changed nothing lasting.
	m.Changed = m.Changed || res.Requested || !res.FenceLifted
	if err != nil {
		r.set(r.plan.Primary.Name)
		return err
	}
	if res.Promoted != r.plan.Target.Name {
		// No commit was lost (every candidate had the WAL), but not what was asked.
		r.set(res.Promoted)
		return fmt.Errorf("the monitor promoted %q instead of %q (it was not healthy at that moment?); %s is a secondary, nothing was lost: run again to move the primary to %q",
			res.Promoted, r.plan.Target.Name, r.plan.Primary.Name, r.plan.Target.Name)
	}
	r.set(r.plan.Target.Name)
	r.diff()
	m.Msg = fmt.Sprintf("switched over from %s to %s; %s refused writes for %.2f s until %s took them, with every commit %s had made",
		r.plan.Primary.Name, r.plan.Target.Name, r.plan.Primary.Name, deref(res.FencedSeconds), r.plan.Target.Name, r.plan.Primary.Name)
	return nil
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}
