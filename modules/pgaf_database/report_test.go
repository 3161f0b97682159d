package main

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"pgafha/internal/ansible"
)

func TestReportPredictsInCheckMode(t *testing.T) {
	w := want{role: "app", database: "appdb", password: "pw-1", present: true}
	s := seen{db: dbState{exists: true, owner: "postgres"}}
	m := &ansible.Module{Flags: ansible.Flags{CheckMode: true}}
	report(m, w, s, decide(w, s), "127.0.0.1:5432")
	if !m.Result.Changed || !strings.HasPrefix(m.Result.Msg, "would create role app") {
		t.Errorf("changed=%v msg=%q", m.Result.Changed, m.Result.Msg)
	}
	for key, want := range map[string]any{"role_created": true, "password_changed": true, "owner_changed": true,
		"database_created": false, "owner": "app", "connection_limit": -1, "server": "127.0.0.1:5432"} {
		if got := m.Result.Get(key); got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
}

func TestReportAfterPartialFailure(t *testing.T) {
	w := want{role: "app", database: "appdb", password: "pw-1", present: true}
	m := &ansible.Module{}
	report(m, w, seen{}, plan{createRole: true, setPassword: true}, "h:1")
	if !m.Result.Changed || m.Result.Get("database_created") != false || m.Result.Get("role_created") != true {
		t.Errorf("a failure after creating the role must report exactly that: changed=%v %v", m.Result.Changed, m.Result.Get("actions"))
	}
}

func TestDiffShowsPasswordOnlyAsChanged(t *testing.T) {
	secret := verifierFor(t, "old-pw")
	w := want{role: "app", database: "appdb", password: "new-pw", present: true}
	s := seen{role: roleState{exists: true, login: true, connLimit: -1, secret: secret}}
	p := decide(w, s)
	before, after := roleBefore(w, s, p), roleAfter(w, s, p)
	if before["password"] != "current" || after["password"] != "changed" {
		t.Errorf("password before/after = %v/%v", before["password"], after["password"])
	}
	same := want{role: "app", database: "appdb", password: "old-pw", present: true}
	q := decide(same, s)
	if roleBefore(same, s, q)["password"] != "unchanged" || roleAfter(same, s, q)["password"] != "unchanged" {
		t.Error("an unchanged password does not read unchanged on both sides")
	}
	text := fmt.Sprint(before, after)
	for _, leak := range append(secretParts(secret), "new-pw", "old-pw") {
		if strings.Contains(text, leak) {
			t.Errorf("the diff holds a secret: %s", text)
		}
	}
}

func TestEveryStorageHasAWording(t *testing.T) {
	for _, r := range []roleState{{exists: true}, {exists: true, secret: "md5x"}, {exists: true, secret: "SCRAM-SHA-256$x"}, {exists: true, secret: "?"}} {
		if passwordWas[storage(r)] == "" {
			t.Errorf("no wording for storage %q", storage(r))
		}
	}
}

func TestWarnsOnlyForRemotePlaintext(t *testing.T) {
	cases := []struct {
		s    session
		warn bool
	}{
		{session{server: "10.66.0.11:5432"}, true},
		{session{server: "10.66.0.11:5432", encrypted: true}, false},
		{session{server: "127.0.0.1:5432", local: true}, false},
	}
	for _, c := range cases {
		if got := len(c.s.warnings()) > 0; got != c.warn {
			t.Errorf("%+v: warning=%v, want %v", c.s, got, c.warn)
		}
	}
	if !isLocal(&net.TCPAddr{IP: net.ParseIP("::1")}) || !isLocal(&net.UnixAddr{Name: "/tmp/.s.PGSQL.5432"}) ||
		isLocal(&net.TCPAddr{IP: net.ParseIP("10.66.0.11")}) {
		t.Error("isLocal misjudges an address")
	}
}
