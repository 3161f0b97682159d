package failover

import (
	"context"
	"fmt"
	"time"
)

// inject watches for the old primary's promotion from before the fault (so
// its time is the event's, not the moment we looked), applies the fault to
// the primary's instance and starts the clock. The restorer is told in any
// case: even a failed request may have taken effect. It returns nil when the
// request failed, with the error recorded.
func (c *cycle) inject(ctx context.Context, oldPrimary, what string, apply func(context.Context, Instance) error, mark func()) *Watch {
	promotion := c.follow.Watch(func(m map[string]Node) bool { _, ok := promoted(m, oldPrimary); return ok })

	c.fault = time.Now()
	err := apply(ctx, c.rest.inst)
	mark()
	c.res.FaultApplied = true
	c.res.FaultAPISecs = ptr(Seconds(time.Since(c.fault)))
	if err != nil {
		c.found.add(OutcomeError, fmt.Sprintf("%s instance %s: %v", what, c.rest.inst, err))
		return nil
	}
	return promotion
}
