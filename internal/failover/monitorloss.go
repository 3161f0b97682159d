package failover

import (
	"context"
	"fmt"
	"time"
)

// monitorLoss force-stops the monitor's instance for DownFor. The data
// nodes must carry on as they are: no write may fail, no role may change.
// The monitor is started again and must report the formation healthy with
// the same primary; the rejoin is the time from that start to the first
// answer of the restarted monitor that says so (what the follower last
// saw before the stop proves nothing).
func (c *cycle) monitorLoss(ctx context.Context, primary string) {
	promotion := c.inject(ctx, primary, "force-stop", c.power.ForceStop, c.rest.markStopped)
	if promotion == nil {
		return
	}
	if !c.hold(ctx, c.fault.Add(c.cfg.DownFor), "the monitor was stopped") {
		return
	}
	failed := 0
	if c.probe != nil {
		l := c.probe.Ledger()
		failed = l.FailedAttempts() + l.Count(Unknown)
	}
	if failed > 0 {
		c.found.add(OutcomeWritesFailed, fmt.Sprintf("%d write attempts failed while the monitor was down", failed))
	}
	c.monitorBack(ctx, primary)
	c.judgeNoFailover(ctx, primary, promotion)
}

// monitorBack starts the monitor's instance again and asks the monitor
// itself, until RejoinTimeout, for a healthy formation with primary.
func (c *cycle) monitorBack(ctx context.Context, primary string) {
	asked, ok := c.undo()
	if !ok {
		return
	}
	c.recovered = asked
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RejoinTimeout)
	defer cancel()
	why := "the monitor did not answer"
	for {
		nodes, err := c.mon.Nodes(rctx)
		if err == nil {
			h, herr := CheckHealthy(nodes)
			switch {
			case herr != nil:
				why = herr.Error()
			case h.Primary.Name != primary:
				why = fmt.Sprintf("%s is primary, not %s", h.Primary.Name, primary)
			default:
				c.res.Rejoin = ptr(Seconds(time.Since(asked)))
				return
			}
		} else {
			why = "the monitor did not answer: " + err.Error()
		}
		select {
		case <-rctx.Done():
			if !c.aborted(ctx, "waiting for the monitor to come back") {
				c.found.add(OutcomeRejoinTimeout, fmt.Sprintf("the monitor did not report the formation healthy within %.0f s of its start: %s", c.cfg.RejoinTimeout.Seconds(), why))
			}
			return
		case <-time.After(c.cfg.PollEvery):
		}
	}
}
