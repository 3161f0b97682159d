package failover

import (
	"context"
	"errors"
	"fmt"
)

// Prediction is what a check-mode run reports.
type Prediction struct {
	Outcome  string
	Primary  string
	Instance string
}

// Predict checks the baseline and the instance a cycle would break, and
// changes nothing.
func Predict(ctx context.Context, cfg Config, mon Monitor, power Power) (Prediction, error) {
	nodes, err := mon.Nodes(ctx)
	if err != nil {
		return Prediction{Outcome: OutcomeUnhealthyBaseline}, fmt.Errorf("read the formation state from the monitor: %w", err)
	}
	h, err := CheckHealthy(nodes)
	if err != nil {
		return Prediction{Outcome: OutcomeUnhealthyBaseline}, err
	}
	inst, outcome, err := target(ctx, cfg, power, h)
	p := Prediction{Outcome: OutcomePassed, Primary: h.Primary.Name, Instance: inst.String()}
	if err != nil {
		p.Outcome = outcome
	}
	return p, err
}

// ErrNotRunning is what Power.Addresses wraps for an instance that exists
// but does not run: the formation is then not healthy, whatever the
// monitor (which lags by its health-check timeouts) still says.
var ErrNotRunning = errors.New("instance not running")

// target checks that every node's instance runs and hosts that node, and
// returns the primary's instance once it is sure that breaking it breaks
// the primary and nothing else. A stopped instance is an unhealthy
// baseline; an instance that cannot be found or does not hold its node is
// an error (a wrong `instances` map).
func target(ctx context.Context, cfg Config, power Power, h Healthy) (Instance, string, error) {
	nodes := append([]Node{h.Primary}, h.Secondaries...)
	for _, n := range nodes {
		inst := cfg.Instance(n.Name)
		addrs, err := power.Addresses(ctx, inst)
		if errors.Is(err, ErrNotRunning) {
			return inst, OutcomeUnhealthyBaseline, fmt.Errorf("node %q: %w", n.Name, err)
		}
		if err != nil {
			return inst, OutcomeError, fmt.Errorf("look up instance %s of node %q: %w", inst, n.Name, err)
		}
		if err := checkTarget(addrs, inst, n, cfg.MonitorHosts); err != nil {
			return inst, OutcomeError, err
		}
	}
	return cfg.Instance(h.Primary.Name), "", nil
}
