package failover

import (
	"context"
	"fmt"
	"time"
)

// freeze pauses the primary's instance for FreezeFor, resumes it, and
// checks that the formation rode it out without a failover.
func (c *cycle) freeze(ctx context.Context, oldPrimary string) {
	promotion := c.inject(ctx, oldPrimary, "pause", c.power.Pause, c.rest.markPaused)
	if promotion == nil {
		return
	}
	select {
	case <-time.After(time.Until(c.fault.Add(c.cfg.FreezeFor))):
	case <-ctx.Done():
		c.aborted(ctx, "the instance was paused")
		return
	}
	ok, resumed, err := c.rest.restore()
	if err != nil {
		c.found.add(OutcomeError, err.Error())
		return
	}
	c.res.Restored = ok
	c.recovered = resumed

	select {
	case <-time.After(c.cfg.FreezeSettle):
	case <-ctx.Done():
	}
	if c.aborted(ctx, "watching the formation after the resume") {
		return
	}
	// A failover decided during the freeze shows up as a promotion.
	wctx, cancel := context.WithTimeout(ctx, 0)
	at, perr := promotion.Wait(wctx)
	cancel()
	failedOver := perr == nil
	if failedOver {
		c.res.RTO = ptr(Seconds(at.Sub(c.fault)))
		n, _ := promoted(c.follow.Latest(), oldPrimary)
		c.res.NewPrimary = n.Name
		c.found.add(OutcomeUnexpectedFailover, fmt.Sprintf("a %.1f s freeze of %s led to the promotion of %s", c.cfg.FreezeFor.Seconds(), oldPrimary, n.Name))
	}

	healedAt, healed := c.awaitHealed(ctx, func(h Healthy) bool { return !failedOver || h.Primary.Name != oldPrimary })
	if healed && failedOver {
		c.res.Rejoin = ptr(Seconds(healedAt.Sub(resumed)))
	}
	c.stopProbe()
	c.verify(ctx)
}
