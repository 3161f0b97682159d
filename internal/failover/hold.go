package failover

import (
	"context"
	"fmt"
	"time"
)

// hold waits until t while the fault (or its aftermath) lasts, and reports
// false, with the cycle marked aborted, when ctx ends first.
func (c *cycle) hold(ctx context.Context, t time.Time, while string) bool {
	select {
	case <-time.After(time.Until(t)):
	case <-ctx.Done():
	}
	return !c.aborted(ctx, while)
}

// recoveredAt records when writes could resume after the fault, as the
// cycle's RTO, and a missed target; what says what happened then.
func (c *cycle) recoveredAt(at time.Time, what string) {
	c.recovered = at
	rto := at.Sub(c.fault)
	c.res.RTO = ptr(Seconds(rto))
	if rto > c.cfg.RTOTarget {
		c.found.add(OutcomeTargetMissed, fmt.Sprintf("%s %.3f s after the fault, over the %.3f s target", what, rto.Seconds(), c.cfg.RTOTarget.Seconds()))
	}
}
