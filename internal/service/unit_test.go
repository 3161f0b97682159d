package service

import (
	"strings"
	"testing"
)

var node = Unit{Name: "pg_autoctl-node", What: "data node (keeper)", PGData: "/var/lib/postgresql/15/pgaf-node",
	User: "postgres", BinDir: "/usr/lib/postgresql/15/bin", PgAutoctl: "/usr/bin/pg_autoctl"}

func TestDecide(t *testing.T) {
	want := node.Content()
	commentsOnly := "# Ansible managed\n" + strings.ReplaceAll(want, "# Keep retrying", "# retry")
	other := strings.ReplaceAll(want, "RestartSec=2s", "RestartSec=5s")
	cases := []struct {
		name    string
		s       State
		restart bool
		want    Plan
	}{
		{"nothing there", State{}, false, Plan{Write: true, Enable: true, Start: true}},
		{"as asked", State{Content: want, Enabled: true, Active: true}, false, Plan{}},
		{"stopped", State{Content: want, Enabled: true}, false, Plan{Start: true}},
		{"disabled", State{Content: want, Active: true}, false, Plan{Enable: true}},
		{"comments differ", State{Content: commentsOnly, Enabled: true, Active: true}, false, Plan{Write: true}},
		{"a directive differs", State{Content: other, Enabled: true, Active: true}, false, Plan{Write: true, Restart: true}},
		{"directive differs, stopped", State{Content: other, Enabled: true}, false, Plan{Write: true, Start: true}},
		{"restart asked", State{Content: want, Enabled: true, Active: true}, true, Plan{Restart: true}},
	}
	for _, c := range cases {
		if got := Decide(node, c.s, c.restart); got != c.want {
			t.Errorf("%s: Decide = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestContent(t *testing.T) {
	c := node.Content()
	for _, line := range []string{
		"Description=pg_auto_failover data node (keeper) (/var/lib/postgresql/15/pgaf-node)",
		"User=postgres", "Environment=PGDATA=/var/lib/postgresql/15/pgaf-node",
		"Environment=PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin",
		"ExecStart=/usr/bin/pg_autoctl run --pgdata /var/lib/postgresql/15/pgaf-node",
	} {
		if !strings.Contains(c, "\n"+line+"\n") {
			t.Errorf("unit lacks %q:\n%s", line, c)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, name := range []string{"", "x.service", "a b", "../etc/passwd"} {
		if err := (Unit{Name: name}).Validate(); err == nil {
			t.Errorf("Validate(%q) = nil", name)
		}
	}
	if err := node.Validate(); err != nil {
		t.Error(err)
	}
}
