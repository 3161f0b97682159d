package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// hostLoss takes down the primary's whole failure domain (its Incus host):
// every instance on it is force-stopped at the same moment, as a power cut
// would, and the cycle then goes as for stop. The restore starts them all
// again: the host coming back, with whatever else ran on it.
func (c *cycle) hostLoss(ctx context.Context, primary string) {
	members := []Instance{c.rest.inst}
	if c.cfg.HostOf != nil {
		members = c.cfg.HostOf(c.rest.inst)
	}
	for _, m := range members {
		if c.cfg.MonitorInstance.Name != "" && m.same(c.cfg.MonitorInstance) {
			c.found.add(OutcomeError, fmt.Sprintf("the primary's host %q also runs the monitor (%s): its loss cannot be survived; refusing to stop it", c.rest.inst.Domain, m))
			return
		}
	}
	c.res.Notes = append(c.res.Notes, fmt.Sprintf("host %q lost: %s", c.rest.inst.Domain, instanceList(members)))
	host := hostPower{Power: c.power, members: members}
	c.rest.power = host
	c.failover(ctx, primary, "force-stop the host of", host.ForceStop, c.rest.markStopped)
}

// hostPower stops and starts every instance of one host at once, whatever
// instance it is asked about.
type hostPower struct {
	Power
	members []Instance
}

func (h hostPower) ForceStop(ctx context.Context, _ Instance) error {
	return h.each(ctx, h.Power.ForceStop)
}
func (h hostPower) Start(ctx context.Context, _ Instance) error { return h.each(ctx, h.Power.Start) }

func (h hostPower) each(ctx context.Context, do func(context.Context, Instance) error) error {
	errs := make([]error, len(h.members))
	var wg sync.WaitGroup
	for i, m := range h.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := do(ctx, m); err != nil {
				errs[i] = fmt.Errorf("%s: %w", m, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func instanceList(is []Instance) string {
	names := make([]string, len(is))
	for i, inst := range is {
		names[i] = inst.String()
	}
	return strings.Join(names, ", ")
}
