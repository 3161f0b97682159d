package main

import (
	"fmt"
	"strings"
	"time"

	"pgafha/internal/ansible"
	"pgafha/internal/failover"
)

// report is the module's answer over all cycles.
type report struct {
	passed  bool
	changed bool
	msg     string
	values  map[string]any
}

// summarize folds the cycles into one result: the worst outcome, sums of
// commits, and the worst figure of each kind (with median and max when
// more than one cycle ran).
func summarize(results []failover.Result, o *options) report {
	var outcomes []string
	var rto, outage, rejoin []float64
	acked, lost, unknown, splits := 0, 0, 0, 0
	changed, verified := false, true
	for _, r := range results {
		verified = verified && (r.Verified || !r.FaultApplied)
		outcomes = append(outcomes, r.Outcome)
		rto = appendSet(rto, r.RTO)
		outage = appendSet(outage, r.WriteOutage)
		rejoin = appendSet(rejoin, r.Rejoin)
		acked += r.Acknowledged
		lost += r.Lost
		unknown += r.Unknown
		splits += len(r.SplitBrain)
		changed = changed || r.FaultApplied
	}
	outcome := failover.Worst(outcomes)
	rep := report{passed: failover.Passed(outcome) && len(results) > 0, changed: changed}
	v := map[string]any{
		"outcome":              outcome,
		"passed":               rep.passed,
		"scenario":             o.scenario,
		"rto_target_seconds":   o.rtoTarget.Seconds(),
		"rto_seconds":          worst(rto),
		"write_outage_seconds": worst(outage),
		"rejoin_seconds":       worst(rejoin),
		"acknowledged_commits": acked,
		"lost_commits":         lost,
		"commits_verified":     o.writeProbe && verified,
		"unknown_commits":      unknown,
		"split_brain_windows":  splits,
		"cycles":               results,
		"cycles_run":           len(results),
		"write_probe":          o.writeProbe,
	}
	if len(results) > 0 {
		first, last := results[0], results[len(results)-1]
		v["old_primary"] = first.OldPrimary
		v["new_primary"] = last.NewPrimary
		v["failures"] = last.Failures
		if len(results) == 1 {
			v["timeline"] = first.Timeline
		}
	}
	if o.cycles > 1 {
		v["summary"] = map[string]any{
			"rto_seconds":          spread(rto),
			"write_outage_seconds": spread(outage),
			"rejoin_seconds":       spread(rejoin),
		}
	}
	rep.values = v
	lostText := fmt.Sprint(lost)
	if !verified {
		lostText += " (not verified)"
	}
	rep.msg = message(results, outcome, o, rto, outage, rejoin, acked, lostText, unknown)
	return rep
}

func (r report) set(res *ansible.Result) {
	for k, v := range r.values {
		res.Set(k, v)
	}
}

func appendSet(s []float64, v *float64) []float64 {
	if v == nil {
		return s
	}
	return append(s, *v)
}

// worst is the largest figure, nil when none was measured.
func worst(v []float64) any {
	if sp, ok := failover.SpreadOf(v); ok {
		return sp.Max
	}
	return nil
}

func spread(v []float64) any {
	if sp, ok := failover.SpreadOf(v); ok {
		return sp
	}
	return nil
}

// message is the one-paragraph human summary.
func message(results []failover.Result, outcome string, o *options, rto, outage, rejoin []float64, acked int, lost string, unknown int) string {
	var b strings.Builder
	if len(results) == 0 {
		return "no cycle ran"
	}
	last := results[len(results)-1]
	if !failover.Passed(outcome) {
		fmt.Fprintf(&b, "FAILED (%s) in cycle %d of %d: %s. ", outcome, last.Cycle, o.cycles, strings.Join(last.Failures, "; "))
	} else {
		fmt.Fprintf(&b, "PASSED: %s. ", passedText(len(results), o))
	}
	if !last.FaultApplied && len(results) == 1 {
		return strings.TrimSpace(b.String())
	}
	if last.OldPrimary != "" && last.NewPrimary != "" {
		fmt.Fprintf(&b, "%s -> %s. ", last.OldPrimary, last.NewPrimary)
	}
	fmt.Fprintf(&b, "RTO %s, write outage %s, rejoin %s", figure(rto), figure(outage), figure(rejoin))
	if o.writeProbe {
		fmt.Fprintf(&b, "; acknowledged_commits=%d lost_commits=%s unknown_commits=%d", acked, lost, unknown)
	}
	return b.String()
}

// passedText says what n passed cycles of the scenario proved.
func passedText(n int, o *options) string {
	switch o.scenario {
	case failover.ScenarioFreeze:
		return fmt.Sprintf("%d freeze(s) of %s ridden out without failover", n, fmtDur(o.freezeFor))
	case failover.ScenarioKill:
		return fmt.Sprintf("%d postmaster kill(s), writes back within the %s target", n, fmtDur(o.rtoTarget))
	case failover.ScenarioStandbyLoss:
		return fmt.Sprintf("%d standby loss(es), the primary went on alone within the %s target and kept its role", n, fmtDur(o.rtoTarget))
	case failover.ScenarioMonitorLoss:
		return fmt.Sprintf("%d monitor loss(es) of %s, no failed write and no role change", n, fmtDur(o.downFor))
	case failover.ScenarioPartition:
		return fmt.Sprintf("%d partition(s) of the primary, failover within the %s target, no split brain", n, fmtDur(o.rtoTarget))
	case failover.ScenarioMonitorPartition:
		return fmt.Sprintf("%d cut(s) of %s between monitor and primary, writes back after the heal, no split brain", n, fmtDur(o.downFor))
	case failover.ScenarioHostLoss:
		return fmt.Sprintf("%d loss(es) of the primary's whole host, failover within the %s target, the host's instances back and rejoined", n, fmtDur(o.rtoTarget))
	}
	return fmt.Sprintf("%d failover(s) within the %s target", n, fmtDur(o.rtoTarget))
}

// figure renders one value, or median/max over several cycles.
func figure(v []float64) string {
	sp, ok := failover.SpreadOf(v)
	switch {
	case !ok:
		return "n/a"
	case sp.N == 1:
		return fmt.Sprintf("%.2f s", sp.Max)
	}
	return fmt.Sprintf("median %.2f s max %.2f s", sp.Median, sp.Max)
}

func fmtDur(d time.Duration) string { return fmt.Sprintf("%g s", d.Seconds()) }

// runID tags a cycle's probe rows; unique across runs and cycles.
func runID(cycle int) string {
	return fmt.Sprintf("%x-%d", time.Now().UnixNano(), cycle)
}
