package main

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
)

func nodeOptions(t *testing.T) options {
	t.Helper()
	u, err := parseMonitorURI("postgres://autoctl_node@10.0.0.10:5432/pg_auto_failover?sslmode=require")
	if err != nil {
		t.Fatal(err)
	}
	return options{state: "running", pgdata: "/pg/node", hostname: "10.0.0.11", name: "n1", formation: "default",
		listen: "*", port: 5432, candidatePriority: 50, replicationQuorum: true, monitorURI: u,
		sec:            pgautoctl.Security{Auth: pgautoctl.AuthSCRAM, SSL: pgautoctl.SSLSelfSigned},
		keeperSettings: map[string]string{"timeout.network_partition_timeout": "20"}}
}

func keeperConfig() pgautoctl.Config {
	return pgautoctl.Config{
		"pg_autoctl.role": "keeper", "pg_autoctl.formation": "default", "pg_autoctl.name": "n1",
		"pg_autoctl.monitor": "postgres://autoctl_node@10.0.0.10:5432/pg_auto_failover?sslmode=require",
		"postgresql.pgdata":  "/pg/node", "postgresql.port": "5432", "postgresql.listen_addresses": "*",
		"postgresql.auth_method": "scram-sha-256", "ssl.active": "1", "ssl.sslmode": "require",
		"timeout.network_partition_timeout": "20",
	}
}

func registered(state pgaf.State) registration {
	return registration{
		local: &pgautoctl.LocalNode{NodeID: 1, Name: "n1"},
		node: &pgaf.Node{ID: 1, Name: "n1", Host: "10.0.0.11", Port: 5432, ReportedState: state, AssignedState: state,
			CandidatePriority: 50, ReplicationQuorum: true},
	}
}

func existing() pgautoctl.Local {
	return pgautoctl.Local{PGData: "/pg/node", Config: keeperConfig(), Data: pgautoctl.DataCluster, HasState: true, ServicePID: 7}
}

func TestDecideNewNode(t *testing.T) {
	p, err := decideNode(pgautoctl.Local{PGData: "/pg/node", Data: pgautoctl.DataMissing}, registration{}, nodeOptions(t))
	if err != nil || p.create != "create" {
		t.Errorf("plan %+v, %v; want create", p, err)
	}
}

func TestDecideRefusesWhatItMustNotTouch(t *testing.T) {
	o := nodeOptions(t)
	cases := map[string]struct {
		l   pgautoctl.Local
		reg registration
	}{
		"does not manage":      {pgautoctl.Local{PGData: "/pg/node", Data: pgautoctl.DataCluster, PGVersion: "15"}, registration{}},
		"holds no PostgreSQL":  {pgautoctl.Local{PGData: "/pg/node", Data: pgautoctl.DataOther}, registration{}},
		"pg_autoctl drop node": {pgautoctl.Local{PGData: "/pg/node", Data: pgautoctl.DataMissing}, registration{stale: &pgaf.Node{ID: 3, Name: "n1", Formation: "default"}}},
		"has no such node":     {existing(), registration{local: &pgautoctl.LocalNode{NodeID: 9}}},
		"not a data node":      {func() pgautoctl.Local { l := existing(); l.Config["pg_autoctl.role"] = "monitor"; return l }(), registered(pgaf.StateSecondary)},
		"between formations":   {func() pgautoctl.Local { l := existing(); l.Config["pg_autoctl.formation"] = "other"; return l }(), registered(pgaf.StateSecondary)},
		"to another monitor": {func() pgautoctl.Local {
			l := existing()
			l.Config["pg_autoctl.monitor"] = "postgres://autoctl_node@10.9.9.9:5432/pg_auto_failover"
			return l
		}(), registered(pgaf.StateSecondary)},
		"another authentication method": {func() pgautoctl.Local { l := existing(); l.Config["postgresql.auth_method"] = "trust"; return l }(), registered(pgaf.StateSecondary)},
	}
	for want, c := range cases {
		_, err := decideNode(c.l, c.reg, o)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
}

func TestDecideResumesAnInterruptedCreate(t *testing.T) {
	o := nodeOptions(t)
	l := existing()
	l.ServicePID = 0
	l.InitPending = true
	if p, err := decideNode(l, registration{}, o); err != nil || p.create != "resume" {
		t.Errorf("init file left: plan %+v, %v; want resume", p, err)
	}
	l.InitPending, l.Data = false, pgautoctl.DataMissing
	if p, err := decideNode(l, registration{}, o); err != nil || p.create != "resume" {
		t.Errorf("no data: plan %+v, %v; want resume", p, err)
	}
	l.ServicePID = 99
	if p, err := decideNode(l, registration{}, o); err != nil || p.create != "" || !p.initRunning {
		t.Errorf("keeper running the init itself: plan %+v, %v", p, err)
	}
}

// After a failover the old primary is a secondary: nothing to do.
func TestDecideAfterFailoverChangesNothing(t *testing.T) {
	for _, s := range []pgaf.State{pgaf.StatePrimary, pgaf.StateSecondary} {
		p, err := decideNode(existing(), registered(s), nodeOptions(t))
		if err != nil || p.create != "" || p.policyChange() || len(p.configSets) > 0 || len(p.metadata) > 0 {
			t.Errorf("%s: plan %+v, %v; want nothing", s, p, err)
		}
	}
}

func TestDecideCorrectsOnlyTheDifference(t *testing.T) {
	o := nodeOptions(t)
	o.candidatePriority, o.hostname = 0, "node1.example"
	o.keeperSettings = map[string]string{"timeout.network_partition_timeout": "30"}
	p, err := decideNode(existing(), registered(pgaf.StateSecondary), o)
	if err != nil {
		t.Fatal(err)
	}
	if p.priority == nil || *p.priority != 0 || p.quorum != nil {
		t.Errorf("policy: priority %v quorum %v", p.priority, p.quorum)
	}
	if strings.Join(p.metadata, " ") != "--hostname node1.example" {
		t.Errorf("metadata = %v", p.metadata)
	}
	if len(p.configSets) != 1 || p.configSets[0] != [2]string{"timeout.network_partition_timeout", "30"} {
		t.Errorf("configSets = %v", p.configSets)
	}
	o.keeperSettings = map[string]string{"timeout.no_such_key": "1"}
	if _, err := decideNode(existing(), registered(pgaf.StateSecondary), o); err == nil {
		t.Error("unknown keeper setting accepted")
	}
}

func TestMonitorURIOptionsAddedByPgautoctlAreNotADifference(t *testing.T) {
	o := nodeOptions(t)
	o.monitorURI, _ = url.Parse("postgres://autoctl_node@10.0.0.10:5432/pg_auto_failover")
	if sets := configChanges(keeperConfig(), o); len(sets) != 0 {
		t.Errorf("configChanges = %v", sets)
	}
	o.monitorURI, _ = url.Parse("postgres://autoctl_node@10.0.0.10:5432/pg_auto_failover?sslmode=verify-ca")
	if sets := configChanges(keeperConfig(), o); len(sets) != 1 || sets[0][0] != "pg_autoctl.monitor" {
		t.Errorf("configChanges = %v", sets)
	}
}

func TestReadOptions(t *testing.T) {
	base := func() ansible.Params {
		return ansible.Params{"state": "running", "pgdata": "/pg/node", "pgport": 5432, "hostname": "10.0.0.11", "name": "n1",
			"formation": "default", "monitor_uri": "postgres://10.0.0.10:5432/pg_auto_failover", "listen_addresses": "*",
			"candidate_priority": 50, "replication_quorum": true, "auth": "scram-sha-256", "ssl": "self_signed",
			"replication_password": "r", "os_user": "postgres", "catchup_timeout": 30}
	}
	o, err := readOptions(base())
	if err != nil {
		t.Fatal(err)
	}
	if o.monitorURI.User.Username() != "autoctl_node" {
		t.Errorf("default monitor user = %q", o.monitorURI.User.Username())
	}
	bad := map[string]func(ansible.Params){
		"password":           func(p ansible.Params) { p["monitor_uri"] = "postgres://autoctl_node:pw@h/pg_auto_failover" },
		"postgres:// URI":    func(p ansible.Params) { p["monitor_uri"] = "h:5432" },
		"candidate_priority": func(p ansible.Params) { p["candidate_priority"] = 101 },
		"name must":          func(p ansible.Params) { p["name"] = "bad name" },
		"replication_password": func(p ansible.Params) {
			delete(p, "replication_password")
		},
		"absolute":       func(p ansible.Params) { p["pgdata"] = "pgdata" },
		"single monitor": func(p ansible.Params) { p["monitor_uri"] = "postgres://a:1,b:2/pg_auto_failover" },
		"section.name":   func(p ansible.Params) { p["keeper_settings"] = map[string]any{"nodot": "1"} },
		"must not contain quotes": func(p ansible.Params) {
			p["keeper_settings"] = map[string]any{"timeout.network_partition_timeout": "20\n[ssl]\nactive = 0"}
		},
		"line breaks":      func(p ansible.Params) { p["monitor_password"] = "a\nb" },
		"pgport must":      func(p ansible.Params) { p["pgport"] = 0 },
		"lower-case ident": func(p ansible.Params) { p["formation"] = "Bad-Name" },
		"catchup_timeout":  func(p ansible.Params) { p["catchup_timeout"] = 0 },
	}
	// Removing a node needs no replication password.
	absent := base()
	absent["state"], absent["replication_password"] = stateAbsent, ""
	if _, err := readOptions(absent); err != nil {
		t.Errorf("state=absent without replication_password: %v", err)
	}
	for want, mutate := range bad {
		p := base()
		mutate(p)
		if _, err := readOptions(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
}

func TestPassEntries(t *testing.T) {
	o := nodeOptions(t)
	o.monitorPassword, o.replicationPassword = "m", "r"
	e, own := passEntries(o, nil)
	if len(e) != 2 || e[0] != (pgautoctl.PassEntry{Host: "10.0.0.10", Port: "5432", DB: "pg_auto_failover", User: "autoctl_node", Password: "m"}) ||
		e[1].User != replicationUser || e[1].Host != "*" || own != nil {
		t.Errorf("passEntries without replication_hosts = %+v, %v", e, own)
	}

	// replication_hosts: the listed nodes and the ones the monitor knows,
	// each once; the replicator's other lines are to go.
	// Sorted, whatever order they come in (Ansible's difference filter
	// returns them in set order).
	o.replicationPeers = []peer{{"10.0.0.12", 5433}, {"10.0.0.11", 5432}}
	formation := []pgaf.Node{{Host: "10.0.0.13", Port: 5432}, {Host: "10.0.0.11", Port: 5432}}
	e, own = passEntries(o, formation)
	var got []string
	for _, x := range e[1:] {
		if x.User != replicationUser || x.DB != "*" || x.Password != "r" {
			t.Errorf("replication entry %+v", x)
		}
		got = append(got, x.Host+":"+x.Port)
	}
	if want := []string{"10.0.0.11:5432", "10.0.0.12:5433", "10.0.0.13:5432"}; !slices.Equal(got, want) || !slices.Equal(own, []string{replicationUser}) {
		t.Errorf("replication entries %v (own %v), want %v", got, own, want)
	}
	// A node this run removes is no longer offered the password.
	formation[0].Name = "n3"
	o.leaving = []string{"n3"}
	if e, _ = passEntries(o, formation); len(e) != 3 || e[len(e)-1].Host != "10.0.0.12" {
		t.Errorf("with n3 leaving: %+v", e)
	}
}

func TestParsePeer(t *testing.T) {
	for in, want := range map[string]peer{"10.0.0.11:5432": {"10.0.0.11", 5432}, "node-2:6543": {"node-2", 6543}, "fd00::2:5432": {"fd00::2", 5432}, "[fd00::2]:5432": {"fd00::2", 5432}} {
		if got, err := parsePeer(in); err != nil || got != want {
			t.Errorf("parsePeer(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"10.0.0.11", ":5432", "h:0", "h:70000", "h x:5432", "h\n:5432", "h:port"} {
		if _, err := parsePeer(in); err == nil {
			t.Errorf("parsePeer(%q) accepted", in)
		}
	}
}

func TestStatePresentLeavesAPolicyDifferencePending(t *testing.T) {
	o := nodeOptions(t)
	o.candidatePriority = 0
	p, err := decideNode(existing(), registered(pgaf.StateSecondary), o)
	if err != nil || p.priority == nil {
		t.Fatalf("decide: %+v, %v", p, err)
	}
	for state, wantChange := range map[string]bool{"running": true, "present": false} {
		o.state = state
		c := describe(o, "pg_autoctl-node", p)
		if got := len(c.actions) > 0; got != wantChange || (c.pending != "") == wantChange {
			t.Errorf("state=%s: actions %q, pending %q, want a change: %t", state, c.actions, c.pending, wantChange)
		}
	}
}

// A create rewrites what a reload or an authentication check would look
// at: those are decided again after it, not predicted from before it.
func TestDecideLeavesHostChecksToAfterTheCreate(t *testing.T) {
	o := nodeOptions(t)
	s := seen{local: pgautoctl.Local{PGData: "/pg/node", Data: pgautoctl.DataMissing}, pgpass: true,
		auth: localnode.AuthChange{NoTrust: true}, tlsReload: true, replicationPassword: true}
	p, err := decide(s, o)
	if err != nil || p.create != "create" || !p.pgpass || p.auth.Changed() || p.tlsReload || p.replicationPassword {
		t.Errorf("new node: plan %+v, %v", p, err)
	}
	s.local, s.reg = existing(), registered(pgaf.StatePrimary)
	p, err = decide(s, o)
	if err != nil || p.create != "" || !p.auth.Changed() || !p.tlsReload || !p.replicationPassword {
		t.Errorf("existing node: plan %+v, %v", p, err)
	}
}

// What a failed run reports is what apply did before the failure: changed
// is true exactly when that is something, and the message says what.
func TestReportAfterPartialFailure(t *testing.T) {
	o := nodeOptions(t)
	o.osUser = "postgres"
	planned := plan{pgpass: true, create: "create", replicationPassword: true}
	for name, c := range map[string]struct {
		done plan
		want []string
	}{
		"failed before anything": {plan{}, nil},
		"failed after the files": {plan{pgpass: true}, []string{"update ~/.pgpass of postgres"}},
		"failed after the create": {plan{pgpass: true, create: "create"},
			[]string{"update ~/.pgpass of postgres", "create and register node n1"}},
		"done": {planned, []string{"update ~/.pgpass of postgres", "create and register node n1", "set the password of pgautofailover_replicator"}},
	} {
		m := &ansible.Module{}
		acts := report(context.Background(), m, o, "pg_autoctl-node", seen{}, c.done)
		if !slices.Equal(acts, c.want) || m.Result.Changed != (len(c.want) > 0) || m.Result.Get("created") != (c.done.create != "") {
			t.Errorf("%s: changed=%v created=%v actions %q, want %q", name, m.Result.Changed, m.Result.Get("created"), acts, c.want)
		}
	}
	// In check mode the plan is the prediction.
	m := &ansible.Module{Flags: ansible.Flags{CheckMode: true}}
	report(context.Background(), m, o, "pg_autoctl-node", seen{}, planned)
	if !m.Result.Changed || !strings.HasPrefix(m.Result.Msg, "would update ~/.pgpass") || m.Result.Get("created") != false {
		t.Errorf("check mode: changed=%v msg=%q created=%v", m.Result.Changed, m.Result.Msg, m.Result.Get("created"))
	}
}

func TestDecideTLSChangeIsAPlanNotARefusal(t *testing.T) {
	o := nodeOptions(t)
	if p, err := decideNode(existing(), registered(pgaf.StateSecondary), o); err != nil || len(p.tls) != 0 {
		t.Fatalf("same TLS setup: plan %+v, %v", p, err)
	}
	// A self-signed node asked to use the formation CA's files.
	o.sec = pgautoctl.Security{Auth: pgautoctl.AuthSCRAM, SSL: pgautoctl.SSLFiles,
		ServerCert: "/t/server.crt", ServerKey: "/t/server.key", CAFile: "/t/ca.crt"}
	p, err := decideNode(existing(), registered(pgaf.StateSecondary), o)
	if err != nil || !strings.Contains(strings.Join(p.tls, ";"), "asked verify-full") {
		t.Errorf("self-signed → CA: plan %+v, %v", p, err)
	}
}
