// pgaf_monitor ensures a pg_auto_failover monitor exists at pgdata, with its
// failure-detection settings, and returns the URI data nodes register with.
package main

import (
	"context"
	"fmt"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/pghba"
)

var spec = ansible.Spec{
	Name:           "pgaf_monitor",
	DefaultTimeout: 120,
	Options: append([]ansible.Option{
		{Name: "state", Type: ansible.TypeStr, Default: "running", Choices: []string{"present", "running"}},
		{Name: "autoctl_node_password", Type: ansible.TypeStr, NoLog: true},
		{Name: "settings", Type: ansible.TypeDict},
		localnode.ServiceOption("pg_autoctl-monitor"),
	}, localnode.Options()...),
}

// The monitor's database and the role data nodes log in as.
const (
	monitorDB   = "pg_auto_failover"
	autoctlUser = "autoctl_node"
)

func main() { ansible.Main(spec, run) }

func run(ctx context.Context, m *ansible.Module) error {
	o, err := readOptions(m.Params)
	if err != nil {
		return err
	}
	for _, w := range append(o.sec.Warnings(), pghba.RuleWarnings("hba_rules", o.hbaRules)...) {
		m.Result.Warn(w)
	}
	r, err := localnode.Runner(o.osUser, o.binDir)
	if err != nil {
		return err
	}
	unit, manageUnit, err := localnode.Unit(m.Params, r, "monitor")
	if err != nil {
		return err
	}
	// The monitor's unit is kept with state=running only.
	h := localnode.Host{Runner: r, Unit: unit, ManageUnit: manageUnit && o.state == "running", TLSFiles: localnode.TLSFiles(m.Params)}

	// Observe the files at pgdata, this host's files and, when the monitor
	// runs, its database.
	s, err := observe(ctx, h, o)
	if err != nil {
		return err
	}

	// Decide: one plan holds every change.
	p, err := decide(s, o)
	if err != nil {
		return err
	}

	// Act unless in check mode: the plan is then the prediction.
	done := p
	if !m.CheckMode() {
		done, err = apply(ctx, h, &s, p, o)
	}
	if acts := report(m, o, h.Unit.Name, s, done); err != nil && len(acts) > 0 {
		return fmt.Errorf("%w (done before the failure: %s)", err, strings.Join(acts, "; "))
	}
	return err
}
