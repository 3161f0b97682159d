package failover

import (
	"context"
	"fmt"
	"time"
)

// kill SIGKILLs the primary's postmaster inside its running instance.
// pg_autoctl restarts PostgreSQL (crash recovery), unless the monitor
// gives up on the node first and promotes the standby: either way, writes
// must resume and nothing acknowledged may be lost. Its RTO is the time
// to the first commit acknowledged on a session opened after the kill: no
// session of the killed postmaster survives it, so that commit was made by
// a PostgreSQL that came back, or by the promoted standby.
func (c *cycle) kill(ctx context.Context, primary Node) {
	if c.probe == nil {
		c.found.add(OutcomeError, "scenario kill measures through the write probe, which is off (nothing was killed)")
		return
	}
	apply := func(ctx context.Context, inst Instance) error { return c.power.KillPostmaster(ctx, inst, primary.Port) }
	promotion := c.inject(ctx, primary.Name, "kill the postmaster in", apply, func() {})
	if promotion == nil {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, c.cfg.PromotionWait)
	ack, err := c.probe.WaitAck(wctx, func(cm Commit) bool { return cm.Connected.After(c.fault) })
	cancel()
	switch {
	case err == nil:
		c.recoveredAt(ack.Done, "writes resumed")
	case c.aborted(ctx, "waiting for writes after the kill"):
		return
	default:
		c.found.add(OutcomeWritesNotResumed, fmt.Sprintf("no write was acknowledged within %.0f s of the kill", c.cfg.PromotionWait.Seconds()))
	}

	// The monitor may decide on a failover after PostgreSQL is back.
	if !c.hold(ctx, time.Now().Add(c.cfg.Settle), "watching the formation after the kill") {
		return
	}
	healedAt, healed := c.awaitHealed(ctx, func(Healthy) bool { return true })
	if healed && !c.recovered.IsZero() {
		c.res.Rejoin = ptr(Seconds(max(healedAt.Sub(c.recovered), 0)))
	}
	if n, ok := promoted(c.follow.Latest(), primary.Name); ok {
		// The write outage then covers both pauses: the restart's and the
		// failover's, whichever is longer.
		c.outageUntil = healedAt
		c.res.NewPrimary = n.Name
		c.res.Notes = append(c.res.Notes, fmt.Sprintf("the monitor promoted %s", n.Name))
	} else {
		c.res.NewPrimary = primary.Name
		c.res.Notes = append(c.res.Notes, "pg_autoctl restarted PostgreSQL in place: no failover")
	}
	c.stopProbe()
	c.verify(ctx)
}
