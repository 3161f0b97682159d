package pgsettings

import (
	"strings"
	"testing"
)

func cur(m Meta, setting string, written *string, pending bool) Current {
	return Current{Meta: m, Setting: setting, Shown: setting, Written: written, PendingRestart: pending}
}

func str(s string) *string { return &s }

var maxConn = Meta{Name: "max_connections", Vartype: "integer", Context: "postmaster", Min: f(1), Max: f(262143)}

func TestDecidePicksTheActionPerSetting(t *testing.T) {
	have := map[string]Current{
		"work_mem":        cur(workMem, "4096", nil, false),
		"shared_buffers":  cur(sharedBuffers, "16384", nil, false),
		"max_connections": cur(maxConn, "100", str("120"), true),
		"log_statement":   cur(logStatement, "ddl", str("ddl"), false),
	}
	want := map[string]string{"work_mem": "8MB", "shared_buffers": "128MB", "max_connections": "120", "log_statement": "DDL"}
	changes, err := Decide(want, have, DataNode)
	if err != nil {
		t.Fatal(err)
	}
	// shared_buffers and log_statement are in force as asked; work_mem is
	// written and reloaded; max_connections was written and waits for a restart.
	if len(changes) != 2 {
		t.Fatalf("changes = %+v", changes)
	}
	if c := changes[0]; c.Name != "max_connections" || c.Write || c.Action != Restart {
		t.Errorf("max_connections: %+v", c)
	}
	if c := changes[1]; c.Name != "work_mem" || !c.Write || c.Action != Reload {
		t.Errorf("work_mem: %+v", c)
	}
	if !NeedRestart(changes) || !NeedApply(changes) {
		t.Error("NeedRestart and NeedApply should both hold")
	}
	if NeedApply(changes[:1]) {
		t.Error("a change that only waits for a restart needs no write or reload")
	}
}

func TestDecideRunningValueWithAnotherPendingIsReloadedNotRestarted(t *testing.T) {
	have := map[string]Current{"max_connections": cur(maxConn, "120", str("150"), true)}
	changes, err := Decide(map[string]string{"max_connections": "120"}, have, DataNode)
	if err != nil || len(changes) != 1 || !changes[0].Write || changes[0].Action != Reload {
		t.Fatalf("changes = %+v, %v", changes, err)
	}
}

func TestDecideReportsEveryMistakeAndChangesNothing(t *testing.T) {
	have := map[string]Current{
		"work_mem":             cur(workMem, "4096", nil, false),
		"server_version_num":   cur(Meta{Name: "server_version_num", Vartype: "integer", Context: "internal"}, "150000", nil, false),
		"synchronous_commit":   cur(Meta{Name: "synchronous_commit", Vartype: "enum", Context: "user", EnumVals: []string{"on", "off"}}, "on", nil, false),
		"hot_standby_feedback": cur(hotFeedback, "on", nil, false),
	}
	want := map[string]string{
		"work_mem": "8MB", "no_such_thing": "1", "server_version_num": "1",
		"synchronous_commit": "off", "hot_standby_feedback": "sometimes", "recovery_target_lsn": "0/0",
		"default_transaction_read_only": "on",
	}
	changes, err := Decide(want, have, DataNode)
	if err == nil || changes != nil {
		t.Fatalf("changes = %+v, err = %v", changes, err)
	}
	for _, frag := range []string{
		"settings.no_such_thing: PostgreSQL has no such setting",
		"settings.server_version_num: cannot be changed",
		"settings.synchronous_commit: not settable here on a data node",
		"settings.hot_standby_feedback: \"sometimes\" is not a boolean",
		"settings.recovery_target_lsn: not settable",
		"settings.default_transaction_read_only: not settable here on a data node: it is the switchover's write fence",
	} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error lacks %q:\n%v", frag, err)
		}
	}
	if strings.Contains(err.Error(), "work_mem") {
		t.Errorf("a good setting is reported as a mistake: %v", err)
	}
}

func TestRefusedDependsOnTheRole(t *testing.T) {
	if Refused("synchronous_standby_names", Monitor) != "" {
		t.Error("the monitor has no synchronous standbys: nothing owns the setting there")
	}
	if Refused("shared_preload_libraries", DataNode) != "" {
		t.Error("data nodes may load more libraries")
	}
	for _, name := range []string{"shared_preload_libraries", "pgautofailover.health_check_period", "listen_addresses"} {
		if Refused(name, Monitor) == "" {
			t.Errorf("%s should be refused on the monitor", name)
		}
	}
}

func TestPendingListsWhatIsNotInForce(t *testing.T) {
	have := map[string]Current{
		"work_mem":        cur(workMem, "8192", nil, false),
		"max_connections": cur(maxConn, "100", str("120"), true),
	}
	got := Pending(have, map[string]string{"work_mem": "8MB", "max_connections": "120", "gone": "1"})
	if strings.Join(got, ",") != "gone,max_connections" {
		t.Errorf("Pending = %v", got)
	}
}

func TestDecideRefusesLoweringWhatAStandbyNeedsAtLeast(t *testing.T) {
	have := map[string]Current{"max_connections": cur(maxConn, "120", str("120"), false)}
	_, err := Decide(map[string]string{"max_connections": "110"}, have, DataNode)
	if err == nil || !strings.Contains(err.Error(), "lowering it (120 → 110) is not rolled out") {
		t.Errorf("err = %v", err)
	}
	if c, err := Decide(map[string]string{"max_connections": "130"}, have, DataNode); err != nil || len(c) != 1 || c[0].Action != Restart {
		t.Errorf("raising: %+v, %v", c, err)
	}
	if c, err := Decide(map[string]string{"max_connections": "110"}, have, Monitor); err != nil || len(c) != 1 {
		t.Errorf("the monitor has no standby: %+v, %v", c, err)
	}
}

func TestMissingLibrariesFindsWhatWouldStopTheStart(t *testing.T) {
	have := map[string]bool{"/lib/pg_stat_statements.so": true, "/lib/auto_explain.so": true}
	exists := func(p string) bool { return have[p] }
	got := MissingLibraries(` pg_stat_statements, "auto_explain",pg_stat_statments,$libdir/auto_explain `, "/lib", exists)
	if strings.Join(got, ",") != "pg_stat_statments" {
		t.Errorf("missing = %v", got)
	}
	if got := MissingLibraries("", "/lib", exists); len(got) != 0 {
		t.Errorf("an empty list misses %v", got)
	}
}
