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
	if !c.hold(ctx, c.fault.Add(c.cfg.FreezeFor), "the instance was paused") {
		return
	}
	resumed, ok := c.undo()
	if !ok {
		return
	}
	c.recovered = resumed

	if !c.hold(ctx, time.Now().Add(c.cfg.Settle), "watching the formation after the resume") {
		return
	}
	// Heal first, whoever is primary: a failover decided late (a slow
	// demotion, a longer freeze) is still in progress after the settle time.
	healedAt, healed := c.awaitHealed(ctx, func(Healthy) bool { return true })
	// A failover decided during or after the freeze shows up as a promotion
	// (the watch has been registered since the fault), or as another primary.
	wctx, cancel := context.WithTimeout(ctx, 0)
	at, perr := promotion.Wait(wctx)
	cancel()
	latest, _ := CheckHealthy(sortedNodes(c.follow.Latest()))
	if perr != nil && healed && latest.Primary.Name != "" && latest.Primary.Name != oldPrimary {
		at, perr = healedAt, nil
	}
	if perr == nil {
		c.res.RTO = ptr(Seconds(at.Sub(c.fault)))
		n, _ := promoted(c.follow.Latest(), oldPrimary)
		if n.Name == "" {
			n = latest.Primary
		}
		c.res.NewPrimary = n.Name
		c.found.add(OutcomeUnexpectedFailover, fmt.Sprintf("a %.1f s freeze of %s led to the promotion of %s", c.cfg.FreezeFor.Seconds(), oldPrimary, n.Name))
		if healed {
			c.res.Rejoin = ptr(Seconds(healedAt.Sub(resumed)))
		}
	}
	c.stopProbe()
	c.verify(ctx)
}
