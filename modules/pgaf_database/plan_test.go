package main

import (
	"strings"
	"testing"

	"pgafha/internal/scram"
)

func verifierFor(t *testing.T, password string) string {
	t.Helper()
	v, err := scram.New(password, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return v.String()
}

func intp(n int) *int { return &n }

func TestDecide(t *testing.T) {
	current := verifierFor(t, "right-pw")
	app := want{role: "app", database: "appdb", password: "right-pw", present: true}
	existing := roleState{exists: true, login: true, connLimit: -1, secret: current}
	ownedDB := dbState{exists: true, owner: "app"}

	cases := []struct {
		name string
		w    want
		s    seen
		want plan
	}{
		{"nothing exists", app, seen{}, plan{createRole: true, setPassword: true, createDB: true}},
		{"all as requested", app, seen{role: existing, db: ownedDB}, plan{}},
		{"different password", want{role: "app", database: "appdb", password: "new-pw", present: true},
			seen{role: existing, db: ownedDB}, plan{setPassword: true}},
		{"md5 password is upgraded even if it would match", app,
			seen{role: roleState{exists: true, login: true, connLimit: -1, secret: "md5" + strings.Repeat("0", 32)}, db: ownedDB},
			plan{setPassword: true}},
		{"no password at all", app, seen{role: roleState{exists: true, login: true, connLimit: -1}, db: ownedDB},
			plan{setPassword: true}},
		{"corrupt verifier", app, seen{role: roleState{exists: true, login: true, connLimit: -1, secret: current[:40]}, db: ownedDB},
			plan{setPassword: true}},
		{"NOLOGIN role", app, seen{role: roleState{exists: true, connLimit: -1, secret: current}, db: ownedDB},
			plan{grantLogin: true}},
		{"database owned by someone else", app, seen{role: existing, db: dbState{exists: true, owner: "postgres"}},
			plan{setOwner: true}},
		{"role exists, database missing", app, seen{role: existing}, plan{createDB: true}},
		{"connection limit differs", want{role: "app", database: "appdb", password: "right-pw", present: true, connLimit: intp(5)},
			seen{role: existing, db: ownedDB}, plan{setConnLimit: true}},
		{"connection limit already right", want{role: "app", database: "appdb", password: "right-pw", present: true, connLimit: intp(-1)},
			seen{role: existing, db: ownedDB}, plan{}},
		{"unset connection limit leaves the role's", app,
			seen{role: roleState{exists: true, login: true, connLimit: 7, secret: current}, db: ownedDB}, plan{}},
		{"new role with limit", want{role: "app", database: "appdb", password: "right-pw", present: true, connLimit: intp(3)},
			seen{}, plan{createRole: true, setPassword: true, setConnLimit: true, createDB: true}},
		{"new role with -1 needs no clause", want{role: "app", database: "appdb", password: "right-pw", present: true, connLimit: intp(-1)},
			seen{}, plan{createRole: true, setPassword: true, createDB: true}},
		{"absent: drop both", want{role: "app", database: "appdb"}, seen{role: existing, db: ownedDB},
			plan{dropDB: true, dropRole: true}},
		{"absent: already gone", want{role: "app", database: "appdb"}, seen{}, plan{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := decide(c.w, c.s)
			if got != c.want {
				t.Errorf("decide = %+v, want %+v", got, c.want)
			}
			if got.changed() != (c.want != plan{}) {
				t.Errorf("changed() = %v for %+v", got.changed(), got)
			}
		})
	}
}

func TestRoleSQL(t *testing.T) {
	v, err := scram.Derive("pw", []byte("0123456789abcdef"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	lit := "'" + v.String() + "'"
	w := want{role: `we"ird role`, database: "d", password: "pw", present: true, connLimit: intp(4)}
	cases := []struct {
		p    plan
		want string
	}{
		{plan{createRole: true, setPassword: true, setConnLimit: true},
			`CREATE ROLE "we""ird role" WITH LOGIN PASSWORD ` + lit + ` CONNECTION LIMIT 4`},
		{plan{createRole: true, setPassword: true}, `CREATE ROLE "we""ird role" WITH LOGIN PASSWORD ` + lit},
		{plan{setPassword: true}, `ALTER ROLE "we""ird role" WITH PASSWORD ` + lit},
		{plan{grantLogin: true, setConnLimit: true}, `ALTER ROLE "we""ird role" WITH LOGIN CONNECTION LIMIT 4`},
		{plan{createDB: true}, ""},
	}
	for _, c := range cases {
		if got := roleSQL(w, c.p, v); got != c.want {
			t.Errorf("roleSQL(%+v) =\n  %s\nwant\n  %s", c.p, got, c.want)
		}
	}
	if strings.Contains(roleSQL(w, plan{setPassword: true}, v), "'pw'") {
		t.Error("the statement carries the plaintext password")
	}
}

func TestDBSQL(t *testing.T) {
	w := want{role: "app", database: `my"db`}
	cases := map[string]plan{
		`CREATE DATABASE "my""db" OWNER "app"`:   {createDB: true},
		`ALTER DATABASE "my""db" OWNER TO "app"`: {setOwner: true},
		`DROP DATABASE "my""db"`:                 {dropDB: true},
		``:                                       {setPassword: true},
	}
	for want, p := range cases {
		if got := dbSQL(w, p); got != want {
			t.Errorf("dbSQL(%+v) = %q, want %q", p, got, want)
		}
	}
}

func TestActionsNeverNamePasswords(t *testing.T) {
	secret := verifierFor(t, "old-secret")
	w := want{role: "app", database: "appdb", password: "new-secret", present: true, connLimit: intp(2)}
	s := seen{role: roleState{exists: true, connLimit: 9, secret: secret}, db: dbState{exists: true, owner: "postgres"}}
	p := decide(w, s)
	acts := actions(w, s, p)
	expected := []string{
		"grant LOGIN to role app",
		"set a new SCRAM-SHA-256 password for role app (the stored one does not match)",
		"set the connection limit of role app to 2 (was 9)",
		"change the owner of database appdb from postgres to app",
	}
	if strings.Join(acts, "\n") != strings.Join(expected, "\n") {
		t.Fatalf("actions =\n%s\nwant\n%s", strings.Join(acts, "\n"), strings.Join(expected, "\n"))
	}
	all := strings.Join(acts, " ") + summary(acts, true)
	for _, leak := range append(secretParts(secret), "new-secret", "old-secret") {
		if strings.Contains(all, leak) {
			t.Errorf("a description contains a secret: %s", all)
		}
	}
	absent := want{role: "app", database: "appdb"}
	if got := actions(absent, s, decide(absent, s)); strings.Join(got, ";") != "drop database appdb;drop role app" {
		t.Errorf("absent actions = %v, want the database dropped before the role", got)
	}
	if got := summary(nil, false); got != "role and database are already as requested" {
		t.Errorf("summary of nothing = %q", got)
	}
}

func TestStorage(t *testing.T) {
	cases := map[string]roleState{
		"absent":        {},
		"none":          {exists: true},
		"md5":           {exists: true, secret: "md5" + strings.Repeat("a", 32)},
		"scram-sha-256": {exists: true, secret: verifierFor(t, "x-pw")},
		"other":         {exists: true, secret: "plaintext?"},
	}
	for want, r := range cases {
		if got := storage(r); got != want {
			t.Errorf("storage = %q, want %q", got, want)
		}
	}
}

func TestSecretParts(t *testing.T) {
	v := verifierFor(t, "pw-123")
	parts := secretParts(v)
	pieces := strings.FieldsFunc(v, func(r rune) bool { return r == '$' || r == ':' })
	// SCRAM-SHA-256, iterations, salt, StoredKey, ServerKey: the last three are kept.
	for _, p := range pieces[2:] {
		found := false
		for _, q := range parts {
			found = found || q == p
		}
		if !found {
			t.Errorf("piece %q of the verifier is not registered as a secret", p)
		}
	}
	md5 := "md5" + strings.Repeat("f", 32)
	if got := secretParts(md5); len(got) != 2 || got[1] != strings.Repeat("f", 32) {
		t.Errorf("secretParts(md5) = %v", got)
	}
}
