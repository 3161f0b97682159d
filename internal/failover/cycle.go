package failover

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// probeWarmup is how long the probe writes before the fault.
const probeWarmup = time.Second

// cycle is the state of one run of the sequence.
type cycle struct {
	cfg   Config
	mon   Monitor
	power Power
	runID string
	res   Result
	found findings

	follow      *Follower
	probe       *Probe
	probeClosed bool
	writers     *Writers
	rest        *restorer
	fault       time.Time
	// recovered is when writes could resume: the promotion, or the restore
	// of the broken instance when there was none.
	recovered time.Time
	// restored is when the rejoin asked for the fault to be undone.
	restored time.Time
	// outageUntil, when later than recovered, extends the search for the
	// longest write pause to it: a failover decided after writes came back
	// is a second pause the same fault caused.
	outageUntil time.Time
}

// Run executes one cycle: baseline, probe, fault, promotion, restore,
// rejoin, verification. It never returns with the instance left stopped
// or paused unless cfg.Restart is false; problems become the outcome.
func Run(ctx context.Context, n int, runID string, cfg Config, mon Monitor, power Power) Result {
	c := &cycle{cfg: cfg, mon: mon, power: power, runID: runID}
	c.res = Result{Cycle: n, Scenario: cfg.Scenario}
	c.run(ctx)
	return c.res
}

func (c *cycle) run(ctx context.Context) {
	success := OutcomePassed
	if c.cfg.Scenario == ScenarioFreeze {
		success = OutcomeRiddenOut
	}
	defer func() {
		c.res.Outcome, c.res.Failures = c.found.classify(success)
		if c.res.Timeline == nil {
			c.res.Timeline = []Event{}
		}
		if c.res.WriteWindows == nil {
			c.res.WriteWindows = []WindowReport{}
		}
		if c.res.SplitBrain == nil {
			c.res.SplitBrain = []string{}
		}
	}()

	c.follow = NewFollower(c.mon, c.cfg.PollEvery)
	nodes, err := c.follow.Start(ctx)
	if err != nil {
		c.found.add(OutcomeUnhealthyBaseline, err.Error())
		return
	}
	defer c.follow.Stop()
	h, err := CheckHealthy(nodes)
	if err != nil {
		c.found.add(OutcomeUnhealthyBaseline, "unhealthy baseline, nothing was stopped: "+err.Error())
		return
	}
	c.res.OldPrimary = h.Primary.Name
	inst, outcome, err := target(ctx, c.cfg, c.power, h)
	if err != nil {
		c.found.add(outcome, err.Error()+" (nothing was stopped)")
		return
	}
	c.res.Instance = inst.String()

	if c.cfg.Probe != nil {
		c.probe = NewProbe(c.cfg.Probe, c.runID, c.cfg.ProbeInterval, c.cfg.ProbeAttemptTimeout)
		if err := c.probe.Start(ctx); err != nil {
			c.found.add(OutcomeError, err.Error()+" (nothing was stopped)")
			c.probe = nil
			return
		}
		c.writers = StartWriters(ctx, c.cfg.Probe, c.runID, append([]Node{h.Primary}, h.Secondaries...), c.cfg.ProbeAttemptTimeout)
		// A steady flow of commits before the fault, as an application has.
		select {
		case <-time.After(probeWarmup):
		case <-ctx.Done():
			c.stopProbe()
			c.found.add(OutcomeAborted, "interrupted before the fault; nothing was stopped")
			return
		}
	}

	c.rest = &restorer{power: c.power, net: c.cfg.Network, inst: inst, restart: c.cfg.Restart}
	defer c.finish()
	switch c.cfg.Scenario {
	case ScenarioFreeze:
		c.freeze(ctx, h.Primary.Name)
	case ScenarioKill:
		c.kill(ctx, h.Primary)
	case ScenarioStandbyLoss:
		c.standbyLoss(ctx, h.Primary.Name)
	case ScenarioMonitorLoss:
		c.monitorLoss(ctx, h.Primary.Name)
	case ScenarioPartition:
		c.partition(ctx, h)
	case ScenarioMonitorPartition:
		c.monitorPartition(ctx, h.Primary.Name)
	case ScenarioHostLoss:
		c.hostLoss(ctx, h.Primary.Name)
	default:
		c.stop(ctx, h.Primary.Name)
	}
}

// finish puts back what the cycle broke, then completes the report. It runs
// deferred so that an interrupted cycle still restores.
func (c *cycle) finish() {
	c.stopProbe()
	if ok, _, err := c.rest.restore(); ok {
		c.res.Restored = true
	} else if err != nil {
		c.found.add(OutcomeError, err.Error())
	}
	c.res.Stopped = c.rest.stopped || c.rest.paused || c.rest.isCut()
	if c.probe != nil {
		c.res.ProbeErrors = c.probe.Errors()
	}
	c.res.Notes = append(c.res.Notes, c.follow.Notes()...)
	origin := c.fault
	if origin.IsZero() {
		origin = time.Now()
	}
	c.res.Timeline = c.follow.Timeline(origin)
	c.mark("recovered", c.recovered)
	c.mark("restored", c.restored)
}

// mark records when something happened, in seconds from the fault.
func (c *cycle) mark(name string, at time.Time) {
	if c.fault.IsZero() || at.IsZero() {
		return
	}
	if c.res.Marks == nil {
		c.res.Marks = map[string]float64{"fault": 0}
	}
	c.res.Marks[name] = Seconds(at.Sub(c.fault))
}

// stopProbe ends the probe and the writers watcher, and records the write
// figures and any split brain.
func (c *cycle) stopProbe() {
	if c.probe == nil || c.probeClosed {
		return
	}
	c.probeClosed = true
	l := c.probe.Stop()
	c.judgeWriters()
	c.res.Acknowledged = l.Count(Acked)
	c.res.Unknown = l.Count(Unknown)
	c.res.FailedAttempts = l.FailedAttempts()
	c.res.Incidents = incidents(l, c.fault)
	if !c.fault.IsZero() {
		c.res.Acks = ptrTo(l.AckHistogram(c.fault, 100*time.Millisecond))
	}
	// Without a promotion or a restore there is no "after" to measure.
	if c.recovered.IsZero() {
		return
	}
	until := c.recovered
	if last, ok := l.LastAck(); ok && c.outageUntil.After(until) {
		// Up to the last acknowledgement at most: the probe may stop
		// before it acknowledges anything after outageUntil.
		until = c.outageUntil
		if last.Done.Before(until) {
			until = last.Done
		}
		if until.Before(c.recovered) {
			until = c.recovered
		}
	}
	if o, ok := l.WriteOutage(c.fault, until); ok {
		c.res.WriteOutage = ptr(Seconds(o.Duration()))
		c.res.OutageServers = []string{o.OldServer, o.NewServer}
		c.mark("last_ack_before", o.LastAckBefore)
		c.mark("first_ack_after", o.FirstAckAfter)
	}
}

// judgeWriters stops the writers watcher and fails the cycle when two
// nodes accepted writes at the same time.
func (c *cycle) judgeWriters() {
	if c.writers == nil {
		return
	}
	ws, splits, notes := c.writers.Stop()
	c.writers = nil
	origin := c.fault
	if origin.IsZero() {
		origin = time.Now()
	}
	c.res.WriteWindows = reportWindows(ws, origin)
	c.res.Notes = append(c.res.Notes, notes...)
	for _, s := range splits {
		d := s.describe(origin)
		c.res.SplitBrain = append(c.res.SplitBrain, d)
		c.found.add(OutcomeSplitBrain, "two nodes accepted writes at the same time: "+d)
	}
}

// aborted records an interrupted or timed-out run and reports whether ctx ended.
func (c *cycle) aborted(ctx context.Context, while string) bool {
	if ctx.Err() == nil {
		return false
	}
	why := "interrupted"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		why = "the module's timeout expired"
	}
	c.found.add(OutcomeAborted, fmt.Sprintf("%s while %s; the instance is restored without waiting", why, while))
	return true
}

func ptr(f float64) *float64 { return &f }

func ptrTo[T any](v T) *T { return &v }
