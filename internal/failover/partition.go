package failover

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// partition cuts the primary off from the monitor and every standby: the
// monitor must promote a standby, and the cut-off primary, which the host
// (and so the probe and the writers watcher) still reaches, must not
// acknowledge a write once the standby does. The cut is healed afterwards
// and the old primary must rejoin as a standby.
func (c *cycle) partition(ctx context.Context, h Healthy) {
	primary, others, err := c.cutSides(ctx, h.Secondaries)
	if err != nil {
		c.found.add(OutcomeError, err.Error()+" (nothing was cut)")
		return
	}
	cut := func(ctx context.Context, _ Instance) error { return c.cfg.Network.Cut(ctx, primary, others) }
	c.failover(ctx, h.Primary.Name, "cut the network around", cut, c.rest.markCut)
}

// cutSides returns the addresses of the primary's instance, and those it is
// to be cut off from: the monitor's and the given standbys'.
func (c *cycle) cutSides(ctx context.Context, standbys []Node) (primary, others []string, err error) {
	if c.cfg.Network == nil {
		return nil, nil, errors.New("this scenario cuts the network, and no network control was given")
	}
	if primary, err = c.power.Addresses(ctx, c.rest.inst); err != nil {
		return nil, nil, fmt.Errorf("addresses of instance %s: %w", c.rest.inst, err)
	}
	if others, err = c.monitorAddrs(ctx); err != nil {
		return nil, nil, err
	}
	for _, s := range standbys {
		addrs, err := c.power.Addresses(ctx, c.cfg.Instance(s.Name))
		if err != nil {
			return nil, nil, fmt.Errorf("addresses of standby %s: %w", s.Name, err)
		}
		others = append(others, addrs...)
	}
	return primary, others, nil
}

// monitorPartition cuts only the monitor off from the primary for DownFor,
// then heals. pg_auto_failover may promote the standby (the primary stops
// reporting and fails the monitor's health checks) or not; the result says
// which and when. Writes must resume after the heal, nothing acknowledged
// may be lost, and no two nodes may accept writes at once.
func (c *cycle) monitorPartition(ctx context.Context, oldPrimary string) {
	primary, mon, err := c.cutSides(ctx, nil)
	if err != nil {
		c.found.add(OutcomeError, err.Error()+" (nothing was cut)")
		return
	}
	cut := func(ctx context.Context, _ Instance) error { return c.cfg.Network.Cut(ctx, primary, mon) }
	promotion := c.inject(ctx, oldPrimary, "cut the monitor off from", cut, c.rest.markCut)
	if promotion == nil {
		return
	}
	if !c.hold(ctx, c.fault.Add(c.cfg.DownFor), "the monitor was cut off") {
		return
	}
	healed, ok := c.undo()
	if !ok {
		return
	}
	c.recovered = healed
	if at, err := promotion.Wait(expired()); err == nil {
		c.res.RTO = ptr(Seconds(at.Sub(c.fault)))
		n, _ := promoted(c.follow.Latest(), oldPrimary)
		c.res.NewPrimary = n.Name
		c.res.Notes = append(c.res.Notes, fmt.Sprintf("the monitor promoted %s %.1f s into the cut", n.Name, at.Sub(c.fault).Seconds()))
	} else {
		c.res.NewPrimary = oldPrimary
		c.res.Notes = append(c.res.Notes, "no failover during the cut")
	}
	if c.probe != nil {
		c.awaitWrites(ctx, writesResumeWait)
	}
	if c.aborted(ctx, "waiting for writes after the heal") {
		return
	}
	if at, ok := c.awaitHealed(ctx, func(Healthy) bool { return true }); ok {
		c.res.Rejoin = ptr(Seconds(max(at.Sub(healed), 0)))
	}
	if latest, err := CheckHealthy(sortedNodes(c.follow.Latest())); err == nil {
		c.res.NewPrimary = latest.Primary.Name
	}
	c.stopProbe()
	c.verify(ctx)
}

// monitorAddrs are the monitor's IPv4 addresses: the IP hosts of the
// monitor URI, and the monitor instance's addresses when it is known.
func (c *cycle) monitorAddrs(ctx context.Context) ([]string, error) {
	var out []string
	for _, h := range c.cfg.MonitorHosts {
		if ip := net.ParseIP(h); ip != nil && ip.To4() != nil {
			out = append(out, ip.String())
		}
	}
	if c.cfg.MonitorInstance.Name != "" {
		addrs, err := c.power.Addresses(ctx, c.cfg.MonitorInstance)
		if err != nil {
			return nil, fmt.Errorf("addresses of the monitor's instance %s: %w", c.cfg.MonitorInstance, err)
		}
		out = append(out, addrs...)
	}
	if len(out) == 0 {
		return nil, errors.New("the monitor's address is not known: the monitor URI names no IPv4 address and monitor_instance is not set")
	}
	return out, nil
}
