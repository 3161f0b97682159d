package failover

import (
	"context"
	"fmt"
	"time"
)

// stop is the failover scenario.
func (c *cycle) stop(ctx context.Context, oldPrimary string) {
	c.failover(ctx, oldPrimary, "force-stop", c.power.ForceStop, c.rest.markStopped)
}

// failover applies a fault to the primary's instance that must end in a
// standby's promotion, measures it, restores and verifies.
func (c *cycle) failover(ctx context.Context, oldPrimary, what string, apply func(context.Context, Instance) error, mark func()) {
	promotion := c.inject(ctx, oldPrimary, what, apply, mark)
	if promotion == nil {
		return
	}

	pctx, cancel := context.WithTimeout(ctx, c.cfg.PromotionWait)
	at, err := promotion.Wait(pctx)
	cancel()
	promotedOK := err == nil
	if promotedOK {
		c.recoveredAt(at, "a standby was promoted")
		n, _ := promoted(c.follow.Latest(), oldPrimary)
		c.res.NewPrimary = n.Name
	} else if c.aborted(ctx, "waiting for the promotion") {
		return
	} else {
		c.found.add(OutcomeNoPromotion, fmt.Sprintf("no standby was promoted within %.0f s of the fault", c.cfg.PromotionWait.Seconds()))
	}

	// A cut-off primary stays reachable from clients, read-write and
	// blocked: the probe may only write again once the cut is healed.
	cut := c.rest.isCut()
	if promotedOK && c.probe != nil && !cut {
		c.awaitWrites(ctx, writesResumeWait)
		if c.aborted(ctx, "waiting for writes to resume") {
			return
		}
	}
	if cut {
		// The cut-off primary is what could accept writes beside the new
		// one: keep it cut off a while, with the writers watching.
		if !c.hold(ctx, c.fault.Add(c.cfg.DownFor), "the primary was cut off") {
			return
		}
	}
	// The probe keeps writing during the rejoin: the primary switching
	// back to synchronous replication must not lose or block commits.
	c.rejoin(ctx, func(h Healthy) bool { return !promotedOK || h.Primary.Name != oldPrimary })
	if promotedOK && c.probe != nil && cut {
		c.awaitWrites(ctx, writesResumeWait)
		if ack, ok := c.probe.Ledger().FirstAckAfter(c.recovered); ok && !c.restored.IsZero() && ack.Done.After(c.restored) {
			c.res.Notes = append(c.res.Notes, fmt.Sprintf(
				"writes through the formation URI resumed only %.1f s after the heal: clients still reached the cut-off primary, which stays read-write with its commits waiting for a standby that no longer follows it, until it is demoted",
				ack.Done.Sub(c.restored).Seconds()))
		}
	}
	c.stopProbe()
	c.verify(ctx)
}

// awaitWrites waits for the probe's first acknowledgement after the
// promotion: the dying primary may still acknowledge a few commits after the
// fault request, and those prove nothing about the new one.
func (c *cycle) awaitWrites(ctx context.Context, within time.Duration) {
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if _, err := c.probe.WaitAckAfter(wctx, c.recovered); err != nil && ctx.Err() == nil {
		c.found.add(OutcomeWritesNotResumed, fmt.Sprintf("no write was acknowledged within %.0f s after the promotion", within.Seconds()))
	}
}

// writesResumeWait bounds how long after the promotion the probe may take
// to commit again through the formation URI.
const writesResumeWait = 30 * time.Second

// rejoin undoes the fault and waits until the formation is healthy again
// with the wanted primary; with restart=false a stopped instance stays so.
func (c *cycle) rejoin(ctx context.Context, wanted func(Healthy) bool) {
	if !c.cfg.Restart {
		c.res.Notes = append(c.res.Notes, fmt.Sprintf("restart=false: instance %s left stopped", c.rest.inst))
		return
	}
	asked, ok := c.undo()
	if !ok {
		return
	}
	if c.recovered.IsZero() {
		c.recovered = asked
	}
	if at, ok := c.awaitHealed(ctx, wanted); ok {
		c.res.Rejoin = ptr(Seconds(max(at.Sub(asked), 0)))
	}
}

// undo puts back what the fault broke (start, resume, heal) and returns
// when that was asked; false, with the error recorded, when it failed.
func (c *cycle) undo() (time.Time, bool) {
	ok, asked, err := c.rest.restore()
	if err != nil {
		c.found.add(OutcomeError, err.Error())
		return time.Time{}, false
	}
	if ok {
		c.res.Restored = true
	}
	if asked.IsZero() {
		asked = time.Now()
	}
	c.restored = asked
	return asked, true
}

// awaitHealed waits, within RejoinTimeout, until the formation is healthy
// with a primary that wanted accepts, and returns when that was seen. On
// timeout it records OutcomeRejoinTimeout with what is still wrong.
func (c *cycle) awaitHealed(ctx context.Context, wanted func(Healthy) bool) (time.Time, bool) {
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RejoinTimeout)
	defer cancel()
	at, err := c.follow.Until(rctx, func(m map[string]Node) bool {
		h, err := CheckHealthy(sortedNodes(m))
		return err == nil && wanted(h)
	})
	if err != nil {
		if !c.aborted(ctx, "waiting for the formation to heal") {
			_, why := CheckHealthy(sortedNodes(c.follow.Latest()))
			c.found.add(OutcomeRejoinTimeout, fmt.Sprintf("the formation was not healthy again within %.0f s: %v", c.cfg.RejoinTimeout.Seconds(), why))
		}
		return time.Time{}, false
	}
	if at.After(c.fault) { // else nothing the monitor saw had changed
		c.mark("healed", at)
	}
	return at, true
}
