// Command pgaf_failover_test is the failover acceptance test as an Ansible
// module, run on the Incus host: it checks that the formation is healthy,
// injects one fault (by default it kills the primary's container; see
// scenario), measures how long the formation takes to accept writes again
// and how long writes stop, proves that no acknowledged commit was lost and
// that no two nodes accepted writes at once, and puts back what it broke
// until the formation is healthy.
package main

import (
	"context"
	"errors"
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/failover"
	"pgafha/internal/monitorconn"
)

var spec = ansible.Spec{
	Name:           "pgaf_failover_test",
	DefaultTimeout: 600,
	Options: append(monitorconn.Options(), []ansible.Option{
		{Name: "rto_target_seconds", Type: ansible.TypeFloat, Default: 60.0},
		{Name: "rejoin_timeout", Type: ansible.TypeInt, Default: 120},
		{Name: "instances", Type: ansible.TypeDict},
		{Name: "project", Type: ansible.TypeStr, Default: "default"},
		{Name: "restart", Type: ansible.TypeBool, Default: true},
		{Name: "cycles", Type: ansible.TypeInt, Default: 1},
		{Name: "scenario", Type: ansible.TypeStr, Default: failover.ScenarioStop, Choices: failover.Scenarios},
		{Name: "freeze_seconds", Type: ansible.TypeFloat, Default: 3.0},
		{Name: "down_seconds", Type: ansible.TypeFloat, Default: 10.0},
		{Name: "monitor_instance", Type: ansible.TypeDict},
		{Name: "write_probe", Type: ansible.TypeBool, Default: true},
		{Name: "probe_uri", Type: ansible.TypeStr},
		{Name: "ssl_root_cert", Type: ansible.TypeStr},
		{Name: "probe_user", Type: ansible.TypeStr},
		{Name: "probe_database", Type: ansible.TypeStr},
		{Name: "probe_password", Type: ansible.TypeStr, NoLog: true},
	}...),
}

func main() { ansible.Main(spec, run) }

func run(ctx context.Context, m *ansible.Module) error {
	opts, err := parseOptions(m.Params)
	if errors.Is(err, errNoCA) {
		m.Result.Set("outcome", outcomeSetup)
	}
	if err != nil {
		return err
	}
	for _, w := range opts.warnings() {
		m.Result.Warn(w)
	}

	// Observe: the monitor and Incus must both answer before anything else.
	m.Result.Set("outcome", outcomeSetup)
	// opts' URI: its sslrootcert may have been replaced (ssl_root_cert).
	monitorURI, err := monitorconn.WithPassword(opts.monitorURI, m.Params.String("monitor_password"))
	if err != nil {
		return err
	}
	mon, err := connectMonitor(ctx, monitorURI, opts.formation)
	if err != nil {
		return fmt.Errorf("reach the monitor, nothing was stopped: %w", err)
	}
	defer mon.Close()
	for _, inst := range opts.remoteProbes() {
		if _, err := (powerAdapter{}).client(ctx, inst); err != nil {
			m.Result.Set("outcome", outcomeNoIncus)
			return err
		}
	}

	cfg, err := opts.config(ctx, mon)
	if err != nil {
		return err
	}
	power := powerAdapter{}

	// Decide: check mode predicts from the baseline and stops there.
	if m.CheckMode() {
		return predict(ctx, m, cfg, mon, power)
	}

	// Act: the cycles, each restoring what it broke before returning.
	var results []failover.Result
	for i := 1; i <= opts.cycles; i++ {
		r := failover.Run(ctx, i, runID(i), cfg, mon, power)
		results = append(results, r)
		if !failover.Passed(r.Outcome) || ctx.Err() != nil {
			break
		}
	}

	// Report.
	rep := summarize(results, opts)
	rep.set(&m.Result)
	m.Result.Changed = rep.changed
	if !rep.passed {
		m.Result.Fail(rep.msg)
		return nil
	}
	m.Result.Msg = rep.msg
	return nil
}

// outcomeNoIncus tells the entry-point script that a tool is missing.
const outcomeNoIncus = "incus_unavailable"

// outcomeSetup tells it that the arguments cannot reach the formation
// (monitor unreachable, wrong password, unknown formation): nothing was
// stopped, and the formation's health is unknown.
const outcomeSetup = "setup_error"

// predict checks the baseline and the target instance without touching
// either, and says what a real run would do.
func predict(ctx context.Context, m *ansible.Module, cfg failover.Config, mon failover.Monitor, power failover.Power) error {
	p, err := failover.Predict(ctx, cfg, mon, power)
	m.Result.Set("outcome", p.Outcome)
	if err != nil {
		if p.Outcome == failover.OutcomeUnhealthyBaseline {
			return fmt.Errorf("unhealthy baseline: %w", err)
		}
		return err
	}
	m.Result.Set("old_primary", p.Primary)
	m.Result.Changed = true
	m.Result.Msg = fmt.Sprintf("check mode: would %s (primary %s); nothing was changed", plan(cfg.Scenario, p.Instance), p.Primary)
	return nil
}

// plan says what a cycle of the scenario does to the instance.
func plan(scenario, inst string) string {
	switch scenario {
	case failover.ScenarioFreeze:
		return "pause instance " + inst + " and expect no failover"
	case failover.ScenarioKill:
		return "SIGKILL the postmaster in instance " + inst + " and wait for writes to resume"
	case failover.ScenarioStandbyLoss:
		return "force-stop the standby's instance " + inst + " and wait for the primary to go on alone"
	case failover.ScenarioMonitorLoss:
		return "force-stop the monitor's instance " + inst + " and expect no failed write and no role change"
	case failover.ScenarioPartition:
		return "cut instance " + inst + " off from the monitor and the standbys and wait for a standby's promotion"
	case failover.ScenarioMonitorPartition:
		return "cut the monitor off from instance " + inst + " and report what the formation does"
	case failover.ScenarioHostLoss:
		return "force-stop at once every instance on the host of " + inst + " and wait for a standby's promotion"
	}
	return "force-stop instance " + inst + " and wait for a standby's promotion"
}
