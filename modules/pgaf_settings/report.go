package main

import (
	"fmt"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/pgsettings"
	"pgafha/internal/switchover"
)

// report builds the module's result; done and predict end a run.
type report struct {
	m        *ansible.Module
	want     map[string]string
	changed  []pgsettings.Change
	timeline switchover.Timeline
	// restarted is true once this host's PostgreSQL was stopped to restart.
	restarted  bool
	switchover *switchover.Report
	// deferred says why a restart this step does not do is left to a later one.
	deferred string
}

func (r *report) mark(what string) { r.timeline.Mark("%s", what) }

// changes records the decision and shows it as a diff of name = value lines.
func (r *report) changes(c []pgsettings.Change) {
	r.changed = c
	if len(c) == 0 {
		return
	}
	var before, after strings.Builder
	for _, ch := range c {
		fmt.Fprintf(&before, "%s = %s\n", ch.Name, ch.From)
		fmt.Fprintf(&after, "%s = %s\n", ch.Name, ch.To)
	}
	r.m.Result.SetDiff(ansible.Diff{Before: before.String(), After: after.String(),
		BeforeHeader: "settings in force (before)", AfterHeader: "settings asked for (after)"})
}

func (r *report) set(pending []string) {
	res := &r.m.Result
	if r.changed == nil {
		r.changed = []pgsettings.Change{}
	}
	if pending == nil {
		pending = []string{}
	}
	res.Set("changes", r.changed)
	res.Set("pending_restart", pending)
	res.Set("restart_pending", len(pending) > 0)
	res.Set("restarted", r.restarted)
	res.Set("timeline", r.timeline.Events())
	if r.switchover != nil {
		res.Set("switchover", r.switchover)
	}
}

func (r *report) noInstanceYet(pgdata string) error {
	r.set(nil)
	r.m.Result.Changed = len(r.want) > 0
	r.m.Result.Msg = fmt.Sprintf("no pg_auto_failover instance at %s yet: the %d settings would be applied once it exists", pgdata, len(r.want))
	return nil
}

func (r *report) predict(role pgsettings.Role, restart bool, step string) error {
	var pending []string
	for _, c := range r.changed {
		if c.Action == pgsettings.Restart {
			pending = append(pending, c.Name)
		}
	}
	r.set(pending)
	r.m.Result.Changed = len(r.changed) > 0
	switch {
	case len(r.changed) == 0:
		r.m.Result.Msg = fmt.Sprintf("all %d settings are in force", len(r.want))
	case !restart:
		r.m.Result.Msg = fmt.Sprintf("would set %s and reload", list(r.changed))
	case step == restartNever:
		r.m.Result.Msg = fmt.Sprintf("would set %s and reload; %s wait for a restart (restart=standby/any)", list(r.changed), strings.Join(pending, ", "))
	case role == pgsettings.Monitor:
		r.m.Result.Msg = fmt.Sprintf("would set %s and restart the monitor's PostgreSQL", list(r.changed))
	default:
		r.m.Result.Msg = fmt.Sprintf("would set %s and restart this data node in maintenance (a primary only with restart=any, after a switchover to a standby)", list(r.changed))
	}
	return nil
}

// done reports a run that wrote, reloaded or restarted what it could.
func (r *report) done(pending []string, err error) error {
	r.set(pending)
	if r.restarted || r.switchover != nil {
		r.m.Result.Changed = true
	}
	if err != nil {
		return err
	}
	if len(pending) > 0 && r.restarted {
		return fmt.Errorf("restarted, but %s still not in force as asked (see pg_settings)", strings.Join(pending, ", "))
	}
	var parts []string
	if applied := appliedNow(r.changed); len(applied) > 0 {
		parts = append(parts, fmt.Sprintf("set %s and reloaded", list(applied)))
	}
	if r.restarted {
		parts = append(parts, "restarted")
	}
	switch {
	case r.deferred != "":
		parts = append(parts, r.deferred)
	case len(pending) > 0:
		parts = append(parts, fmt.Sprintf("%s wait for a restart (restart=standby, then restart=any)", strings.Join(pending, ", ")))
	default:
		parts = append(parts, fmt.Sprintf("all %d settings are in force", len(r.want)))
	}
	r.m.Result.Msg = strings.Join(parts, "; ")
	return nil
}

// appliedNow are the changes a run writes or reloads (not the ones that
// were written before and only wait for a restart).
func appliedNow(c []pgsettings.Change) []pgsettings.Change {
	var out []pgsettings.Change
	for _, ch := range c {
		if ch.Write || ch.Action == pgsettings.Reload {
			out = append(out, ch)
		}
	}
	return out
}

func list(c []pgsettings.Change) string {
	parts := make([]string, 0, len(c))
	for _, ch := range c {
		parts = append(parts, fmt.Sprintf("%s=%s", ch.Name, ch.To))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
