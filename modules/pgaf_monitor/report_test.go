package main

import (
	"slices"
	"strings"
	"testing"

	"pgafha/internal/ansible"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/service"
)

// What a failed run reports is what apply did before the failure: changed
// is true exactly when that is something, and the message says what.
func TestReportAfterPartialFailure(t *testing.T) {
	o := monitorOptions()
	o.osUser, o.password = "postgres", "pw"
	s := seen{local: pgautoctl.Local{PGData: "/pg/mon"}, gucs: map[string]guc{"pgautofailover.health_check_period": {Name: "pgautofailover.health_check_period", Setting: "5000", Unit: "ms"}}}
	setting := []settingChange{{Name: "pgautofailover.health_check_period", From: "5000", To: "1000"}}
	for name, c := range map[string]struct {
		done plan
		want []string
	}{
		"failed before anything":           {plan{}, nil},
		"failed after the settings":        {plan{settings: setting}, []string{"set 1 monitor setting(s) with ALTER SYSTEM and reload"}},
		"failed after the create":          {plan{pgpass: true, create: "create"}, []string{"update ~/.pgpass of postgres", "create the monitor"}},
		"failed after the password":        {plan{settings: setting, password: true}, []string{"set 1 monitor setting(s) with ALTER SYSTEM and reload", "set the autoctl_node password"}},
		"the unit started, then timed out": {plan{service: service.Plan{Start: true}}, []string{"start pg_autoctl-monitor"}},
	} {
		m := &ansible.Module{}
		acts := report(m, o, "pg_autoctl-monitor", s, c.done)
		if !slices.Equal(acts, c.want) || m.Result.Changed != (len(c.want) > 0) {
			t.Errorf("%s: changed=%v actions %q, want %q", name, m.Result.Changed, acts, c.want)
		}
	}
}

// Settings and password live in the running monitor: before it runs they
// are pending, a change to come in check mode with state=running.
func TestSettingsWaitForTheRunningMonitor(t *testing.T) {
	o := monitorOptions()
	o.settings = map[string]any{"health_check_period": int64(1000)}
	p, err := decide(seen{local: pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataMissing}}, o)
	if err != nil || p.create != "create" || !strings.Contains(p.pending, "not running") {
		t.Fatalf("new monitor: plan %+v, %v", p, err)
	}
	m := &ansible.Module{Flags: ansible.Flags{CheckMode: true}}
	report(m, o, "pg_autoctl-monitor", seen{}, plan{pending: p.pending})
	if !m.Result.Changed || !strings.Contains(m.Result.Msg, "compared once it runs") {
		t.Errorf("check mode: changed=%v msg=%q", m.Result.Changed, m.Result.Msg)
	}
	o.state = "present"
	if p, _ = decide(seen{local: pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataMissing}}, o); !strings.Contains(p.pending, "state=running") {
		t.Errorf("state=present: pending %q", p.pending)
	}
	// Running: compared now, only the difference.
	cfg := pgautoctl.Config{"pg_autoctl.role": "monitor", "pg_autoctl.hostname": "10.0.0.10", "postgresql.pgdata": "/pg/mon",
		"postgresql.port": "5432", "postgresql.listen_addresses": "*", "postgresql.auth_method": "trust", "ssl.active": "1", "ssl.sslmode": "require"}
	running := seen{local: pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataCluster, Config: cfg, ServicePID: 7}, running: true, passwordOK: true,
		gucs: map[string]guc{"pgautofailover.health_check_period": {Name: "pgautofailover.health_check_period", Setting: "5000", Unit: "ms", VarType: "integer", Min: "1", Max: "2147483647"}}}
	o.state = "running"
	p, err = decide(running, o)
	if err != nil || len(p.settings) != 1 || p.password || p.pending != "" {
		t.Errorf("running monitor: plan %+v, %v", p, err)
	}
}
