package main

import (
	"strings"
	"testing"

	"pgafha/internal/pgautoctl"
)

var gucs = map[string]guc{
	"pgautofailover.health_check_period":               {Name: "pgautofailover.health_check_period", Setting: "5000", Unit: "ms", VarType: "integer", Min: "1", Max: "2147483647"},
	"pgautofailover.health_check_max_retries":          {Name: "pgautofailover.health_check_max_retries", Setting: "2", VarType: "integer", Min: "1", Max: "100"},
	"pgautofailover.node_considered_unhealthy_timeout": {Name: "pgautofailover.node_considered_unhealthy_timeout", Setting: "20000", Unit: "ms", VarType: "integer", Min: "1", Max: "2147483647"},
}

func TestPlanSettingsOnlyDifferences(t *testing.T) {
	changes, err := planSettings(map[string]any{
		"health_check_period":                              "5s",     // same as 5000 ms
		"pgautofailover.health_check_max_retries":          int64(1), // differs
		"pgautofailover.node_considered_unhealthy_timeout": "2000",   // differs, no unit
	}, gucs)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || changes[0] != (settingChange{"pgautofailover.health_check_max_retries", "2", "1"}) ||
		changes[1] != (settingChange{"pgautofailover.node_considered_unhealthy_timeout", "20000", "2000"}) {
		t.Errorf("changes = %+v", changes)
	}
}

func TestPlanSettingsRejectsBeforeChanging(t *testing.T) {
	for name, want := range map[string]map[string]any{
		"not a setting of the pgautofailover": {"health_check_period": 1000, "bogus": 1},
		"outside the allowed range":           {"health_check_max_retries": 0},
		"not a whole number":                  {"health_check_period": "1500us"},
		"not an integer":                      {"health_check_period": 1.5},
	} {
		_, err := planSettings(want, gucs)
		if err == nil || !strings.Contains(err.Error(), strings.Split(name, " (")[0]) {
			t.Errorf("%v: err = %v, want it to mention %q", want, err, name)
		}
	}
}

func TestToBaseUnit(t *testing.T) {
	for in, want := range map[string]int64{"250": 250, "2s": 2000, "1min": 60000, " 3 s ": 3000} {
		got, err := toBaseUnit("ms", in)
		if err != nil || got != want {
			t.Errorf("toBaseUnit(ms, %q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if got, err := toBaseUnit("s", "2000ms"); err != nil || got != 2 {
		t.Errorf("toBaseUnit(s, 2000ms) = %d, %v", got, err)
	}
	if _, err := toBaseUnit("s", "1500ms"); err == nil {
		t.Error("1500ms accepted as whole seconds")
	}
}

func TestMonitorURI(t *testing.T) {
	if got := monitorURI("10.66.1.10", 5432, "require", "", ""); got != "postgres://autoctl_node@10.66.1.10:5432/pg_auto_failover?sslmode=require" {
		t.Errorf("monitorURI = %s", got)
	}
	if got := monitorURI("::1", 5433, "verify-full", "/ca.pem", ""); got != "postgres://autoctl_node@[::1]:5433/pg_auto_failover?sslmode=verify-full&sslrootcert=/ca.pem" {
		t.Errorf("monitorURI = %s", got)
	}
}

func monitorOptions() options {
	return options{state: "running", pgdata: "/pg/mon", hostname: "10.0.0.10", listen: "*", port: 5432,
		sec: pgautoctl.Security{Auth: pgautoctl.AuthTrust, SSL: pgautoctl.SSLSelfSigned}}
}

func TestDecideRefusesForeignData(t *testing.T) {
	o := monitorOptions()
	_, err := decideFiles(pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataCluster, PGVersion: "15"}, o)
	if err == nil || !strings.Contains(err.Error(), "does not manage") {
		t.Errorf("foreign cluster: err = %v", err)
	}
	_, err = decideFiles(pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataCluster, Config: pgautoctl.Config{"pg_autoctl.role": "keeper"}}, o)
	if err == nil || !strings.Contains(err.Error(), "not a monitor") {
		t.Errorf("keeper config: err = %v", err)
	}
}

func TestDecideCreateResumeOrNothing(t *testing.T) {
	o := monitorOptions()
	p, err := decideFiles(pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataMissing}, o)
	if err != nil || p.create != "create" {
		t.Errorf("empty host: plan %+v, %v", p, err)
	}
	cfg := pgautoctl.Config{"pg_autoctl.role": "monitor", "pg_autoctl.hostname": "10.0.0.10", "postgresql.pgdata": "/pg/mon",
		"postgresql.port": "5432", "postgresql.listen_addresses": "*", "postgresql.auth_method": "trust", "ssl.active": "1", "ssl.sslmode": "require"}
	p, err = decideFiles(pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataEmpty, Config: cfg}, o)
	if err != nil || p.create != "resume" {
		t.Errorf("config without data: plan %+v, %v", p, err)
	}
	p, err = decideFiles(pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataCluster, Config: cfg, ServicePID: 42}, o)
	if err != nil || p.create != "" || len(p.configSets) != 0 {
		t.Errorf("running monitor: plan %+v, %v", p, err)
	}
	o.listen = "10.0.0.10"
	p, _ = decideFiles(pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataCluster, Config: cfg, ServicePID: 42}, o)
	if len(p.configSets) != 1 || !p.restart {
		t.Errorf("new listen_addresses: plan %+v", p)
	}
	o.port = 5433
	if _, err := decideFiles(pgautoctl.Local{PGData: "/pg/mon", Data: pgautoctl.DataCluster, Config: cfg}, o); err == nil {
		t.Error("port change accepted")
	}
}
