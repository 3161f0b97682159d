package main

import (
	"strings"
	"testing"

	"pgafha/internal/ansible"
)

func params(kv ...any) ansible.Params {
	p := ansible.Params{"state": "present"}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return p
}

func TestWantedAccepts(t *testing.T) {
	w, err := wanted(params("role", "app", "database", "appdb", "password", "pw", "connection_limit", -1))
	if err != nil {
		t.Fatal(err)
	}
	if w.role != "app" || w.database != "appdb" || !w.present || w.connLimit == nil || *w.connLimit != -1 {
		t.Errorf("wanted = %+v", w)
	}
	w, err = wanted(params("role", "app", "database", "appdb", "state", "absent"))
	if err != nil {
		t.Fatalf("absent without a password: %v", err)
	}
	if w.present || w.connLimit != nil {
		t.Errorf("wanted = %+v", w)
	}
}

func TestWantedRejects(t *testing.T) {
	long := strings.Repeat("x", 64)
	cases := []struct {
		p    ansible.Params
		want string
	}{
		{params("role", "", "database", "d", "password", "pw"), "option role must not be empty"},
		{params("role", long, "database", "d", "password", "pw"), "option role is 64 bytes long"},
		{params("role", "a", "database", long, "password", "pw"), "option database is 64 bytes long"},
		{params("role", "a\x00b", "database", "d", "password", "pw"), "NUL"},
		{params("role", "pg_app", "database", "d", "password", "pw"), "reserves"},
		{params("role", "public", "database", "d", "password", "pw"), "reserved role name"},
		{params("role", "a", "database", "", "password", "pw"), "option database must not be empty"},
		{params("role", "a", "database", "d"), "option password is required"},
		{params("role", "a", "database", "d", "password", "pw", "connection_limit", -2), "option connection_limit must be -1"},
	}
	for _, c := range cases {
		_, err := wanted(c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("wanted(%v) error = %v, want one containing %q", c.p, err, c.want)
		}
	}
}
