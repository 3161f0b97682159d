package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
// returns the instance the scenario breaks (the primary's, the first
// standby's, or the monitor's) once it is sure that breaking it breaks that
// member and nothing else. A stopped instance is an unhealthy baseline; an
// instance that cannot be found or does not hold its member is an error (a
// wrong `instances` or `monitor_instance`).
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
	switch cfg.Scenario {
	case ScenarioStandbyLoss:
		return cfg.Instance(h.Secondaries[0].Name), "", nil
	case ScenarioMonitorLoss:
		return monitorTarget(ctx, cfg, power)
	}
	return cfg.Instance(h.Primary.Name), "", nil
}

// monitorTarget checks that the monitor's instance runs and holds one of
// the monitor's addresses.
func monitorTarget(ctx context.Context, cfg Config, power Power) (Instance, string, error) {
	inst := cfg.MonitorInstance
	if inst.Name == "" {
		return inst, OutcomeError, errors.New("scenario monitor_loss needs the monitor's instance (option monitor_instance)")
	}
	addrs, err := power.Addresses(ctx, inst)
	if errors.Is(err, ErrNotRunning) {
		return inst, OutcomeUnhealthyBaseline, fmt.Errorf("the monitor's instance: %w", err)
	}
	if err != nil {
		return inst, OutcomeError, fmt.Errorf("look up the monitor's instance %s: %w", inst, err)
	}
	for _, m := range cfg.MonitorHosts {
		if sameHost(m, inst.Name) {
			return inst, "", nil
		}
		for _, a := range addrs {
			if sameHost(m, a) {
				return inst, "", nil
			}
		}
	}
	return inst, OutcomeError, fmt.Errorf("instance %s (addresses %s) does not hold the monitor (%s); set monitor_instance to the monitor's instance",
		inst, strings.Join(addrs, ", "), strings.Join(cfg.MonitorHosts, ", "))
}
