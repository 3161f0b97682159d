package failover

import (
	"context"
	"fmt"
)

// standbyLoss force-stops the standby's instance. With synchronous
// replication every commit then waits until the monitor notices and moves
// the primary to wait_primary, which stops waiting: that wait is what
// synchronous replication costs, reported as the RTO. No failover may
// follow; the standby is started again and must rejoin the same primary.
func (c *cycle) standbyLoss(ctx context.Context, primary string) {
	released := c.follow.Watch(func(m map[string]Node) bool { return m[primary].Reported == "wait_primary" })
	promotion := c.inject(ctx, primary, "force-stop", c.power.ForceStop, c.rest.markStopped)
	if promotion == nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, c.cfg.PromotionWait)
	at, err := released.Wait(pctx)
	cancel()
	switch {
	case err == nil:
		c.recoveredAt(at, "the primary went on without its standby")
		if c.probe != nil {
			c.awaitWrites(ctx, writesResumeWait)
		}
	case c.aborted(ctx, "waiting for the primary to go on without its standby"):
		return
	default:
		c.found.add(OutcomeWritesNotResumed, fmt.Sprintf("the primary did not report wait_primary within %.0f s of the standby's stop: commits stay blocked", c.cfg.PromotionWait.Seconds()))
	}
	if c.aborted(ctx, "waiting for writes to resume") {
		return
	}
	c.rejoin(ctx, func(h Healthy) bool { return h.Primary.Name == primary })
	c.judgeNoFailover(ctx, primary, promotion)
}

// judgeNoFailover records a promotion that should not have happened, then
// ends the probe and verifies the commits.
func (c *cycle) judgeNoFailover(ctx context.Context, primary string, promotion *Watch) {
	c.res.NewPrimary = primary
	if n, ok := promoted(c.follow.Latest(), primary); ok {
		c.res.NewPrimary = n.Name
		c.found.add(OutcomeUnexpectedFailover, fmt.Sprintf("the loss of %s led to the promotion of %s", c.rest.inst, n.Name))
	} else if _, err := promotion.Wait(expired()); err == nil {
		c.found.add(OutcomeUnexpectedFailover, fmt.Sprintf("the loss of %s led to a promotion", c.rest.inst))
	}
	c.stopProbe()
	c.verify(ctx)
}

// expired is a context that has already ended: Wait then only reports a
// condition that held already.
func expired() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
