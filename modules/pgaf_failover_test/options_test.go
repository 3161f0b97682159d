package main

import (
	"strings"
	"testing"
	"time"

	"pgafha/internal/ansible"
	"pgafha/internal/failover"
)

// params builds validated-looking params: the spec defaults plus overrides.
func params(over map[string]any) ansible.Params {
	p := ansible.Params{}
	for _, o := range spec.AllOptions() {
		p[o.Name] = o.Default
	}
	p["monitor_uri"] = "postgres://autoctl_node@10.66.1.10:5432/pg_auto_failover"
	for k, v := range over {
		p[k] = v
	}
	return p
}

func TestParseOptionsDefaults(t *testing.T) {
	o, err := parseOptions(params(nil))
	if err != nil {
		t.Fatal(err)
	}
	if o.rtoTarget != 60*time.Second || o.rejoin != 120*time.Second || o.cycles != 1 || !o.restart || !o.writeProbe {
		t.Errorf("defaults: %+v", o)
	}
	if got := o.instance("pgaf-primary"); got != (failover.Instance{Name: "pgaf-primary", Project: "default"}) {
		t.Errorf("default instance %v", got)
	}
	if len(o.monitorHosts) != 1 || o.monitorHosts[0] != "10.66.1.10" {
		t.Errorf("monitor hosts %v", o.monitorHosts)
	}
	if w := o.warnings(); len(w) != 0 {
		t.Errorf("warnings with defaults: %v", w)
	}
}

func TestParseOptionsInstances(t *testing.T) {
	o, err := parseOptions(params(map[string]any{
		"project": "pgaf-e2e",
		"instances": map[string]any{
			"node_1": "pgaf-primary",
			"node_2": map[string]any{"name": "db2", "project": "other"},
		},
		"rto_target_seconds": 0.001,
		"probe_database":     "app",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.instance("node_1"); got != (failover.Instance{Name: "pgaf-primary", Project: "pgaf-e2e"}) {
		t.Errorf("node_1 -> %v", got)
	}
	if got := o.instance("node_2"); got != (failover.Instance{Name: "db2", Project: "other"}) {
		t.Errorf("node_2 -> %v", got)
	}
	if got := o.instance("node_3"); got != (failover.Instance{Name: "node_3", Project: "pgaf-e2e"}) {
		t.Errorf("node_3 -> %v", got)
	}
	if o.probeDB != "app" {
		t.Errorf("probe database %q", o.probeDB)
	}
	if o.rtoTarget != time.Millisecond {
		t.Errorf("rto target %v", o.rtoTarget)
	}
}

func TestParseOptionsRejects(t *testing.T) {
	cases := []struct {
		over map[string]any
		want string
	}{
		{map[string]any{"rto_target_seconds": 0.0}, "'rto_target_seconds' must be"},
		{map[string]any{"rto_target_seconds": -5.0}, "'rto_target_seconds' must be"},
		{map[string]any{"rejoin_timeout": 0}, "'rejoin_timeout' must be"},
		{map[string]any{"cycles": 0}, "'cycles' must be between 1 and 100"},
		{map[string]any{"cycles": 1000}, "'cycles' must be between 1 and 100"},
		{map[string]any{"freeze_seconds": 0.0}, "'freeze_seconds'"},
		{map[string]any{"formation": ""}, "'formation' must not be empty"},
		{map[string]any{"monitor_uri": "postgres://u:s3cret@h:notaport/db"}, "'monitor_uri' is not a valid"},
		{map[string]any{"instances": map[string]any{"n": 5}}, "'instances': n must be"},
		{map[string]any{"instances": map[string]any{"n": map[string]any{"nme": "x"}}}, `unknown key "nme"`},
		{map[string]any{"instances": map[string]any{"n": map[string]any{"project": "p"}}}, "non-empty instance name"},
	}
	for _, c := range cases {
		_, err := parseOptions(params(c.over))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want %q", c.over, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestWarnings(t *testing.T) {
	o, err := parseOptions(params(map[string]any{"cycles": 5, "timeout": 300, "write_probe": false, "probe_user": "app"}))
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(o.warnings(), "\n")
	if !strings.Contains(w, "timeout=300 s may end the run early") || !strings.Contains(w, "probe_user is ignored") {
		t.Errorf("warnings: %s", w)
	}
}

func TestWithCredentials(t *testing.T) {
	uri := "postgres://10.66.1.11:5432,10.66.1.12:5432/app?target_session_attrs=read-write&sslmode=prefer"
	got, err := withCredentials(uri, "app", "p@ss/w:rd", "probe")
	if err != nil {
		t.Fatal(err)
	}
	want := "postgres://app:p%40ss%2Fw%3Ard@10.66.1.11:5432,10.66.1.12:5432/app?target_session_attrs=read-write&sslmode=prefer"
	if got != want {
		t.Errorf("got %s", got)
	}
	if got, _ := withCredentials(uri, "", "", "probe"); got != uri {
		t.Errorf("no credentials changed the URI: %s", got)
	}
	if got, _ := withCredentials("postgres://app@h/db", "", "pw", "monitor"); got != "postgres://app:pw@h/db" {
		t.Errorf("password only: %s", got)
	}
	if _, err := withCredentials("host=h dbname=app", "app", "pw", "probe"); err == nil {
		t.Error("keyword/value string accepted for probe_user")
	}
}

func TestParseOptionsScenarioNeeds(t *testing.T) {
	for _, c := range []struct {
		over map[string]any
		want string
	}{
		{map[string]any{"scenario": "kill", "write_probe": false}, "write_probe=true"},
		{map[string]any{"scenario": "monitor_loss"}, "'monitor_instance' is required"},
		{map[string]any{"scenario": "monitor_loss", "monitor_instance": map[string]any{"name": "mon"}, "restart": false}, "'restart' must be true"},
		{map[string]any{"scenario": "monitor_loss", "monitor_instance": map[string]any{"nom": "mon"}}, "unknown key \"nom\""},
		{map[string]any{"scenario": "host_loss"}, "'monitor_instance' with its 'domain' is required"},
		{map[string]any{"scenario": "host_loss", "monitor_instance": map[string]any{"name": "mon", "domain": "a"}}, "'instances' (node"},
		{map[string]any{"scenario": "host_loss", "monitor_instance": map[string]any{"name": "mon", "domain": "a"},
			"instances": map[string]any{"n1": map[string]any{"name": "n1", "domain": "b"}, "n2": map[string]any{"name": "n2"}}}, "n2 needs a 'domain'"},
		{map[string]any{"scenario": "host_loss", "monitor_instance": map[string]any{"name": "mon", "domain": "a"},
			"instances": map[string]any{"n1": map[string]any{"name": "n1", "domain": "a"}, "n2": map[string]any{"name": "n2", "domain": "b"}}}, `share failure domain "a"`},
		{map[string]any{"scenario": "host_loss", "restart": false, "monitor_instance": map[string]any{"name": "mon", "domain": "a"},
			"instances": map[string]any{"n1": map[string]any{"name": "n1", "domain": "b"}, "n2": map[string]any{"name": "n2", "domain": "c"}}}, "'restart' must be true"},
		{map[string]any{"down_seconds": 0.0}, "'down_seconds'"},
	} {
		_, err := parseOptions(params(c.over))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to say %q", c.over, err, c.want)
		}
	}
	o, err := parseOptions(params(map[string]any{"scenario": "monitor_loss", "project": "pgaf-e2e", "monitor_instance": map[string]any{"name": "pgaf-monitor"}}))
	if err != nil {
		t.Fatal(err)
	}
	if o.monitorInst != (failover.Instance{Name: "pgaf-monitor", Project: "pgaf-e2e"}) || o.downFor != 10*time.Second {
		t.Errorf("monitor instance %v, down %v", o.monitorInst, o.downFor)
	}
}

func TestParseOptionsHostLoss(t *testing.T) {
	o, err := parseOptions(params(map[string]any{"scenario": "host_loss",
		"monitor_instance": map[string]any{"name": "mon", "domain": "hosta"},
		"instances": map[string]any{
			"n1": map[string]any{"name": "n1", "remote": "hostb", "domain": "hostb"},
			"n2": map[string]any{"name": "n2", "remote": "hostc", "domain": "hostc"},
			"n3": map[string]any{"name": "n3", "remote": "hostc", "domain": "hostc"},
		}}))
	if err != nil {
		t.Fatal(err)
	}
	host := o.hostOf(o.instance("n2"))
	if len(host) != 2 || host[0].Name != "n2" || host[1].Name != "n3" {
		t.Errorf("hostOf(n2) = %v", host)
	}
	if remotes := o.remoteProbes(); len(remotes) != 3 {
		t.Errorf("remoteProbes = %v, want one per remote (hostb, hostc, local)", remotes)
	}
}
