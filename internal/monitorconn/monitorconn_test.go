package monitorconn

import (
	"strings"
	"testing"

	"pgafha/internal/ansible"
)

func TestURIPutsThePasswordIn(t *testing.T) {
	p := ansible.Params{"monitor_uri": "postgres://autoctl_node@10.0.0.1:5432/pg_auto_failover?sslmode=require", "monitor_password": "p@ss/word"}
	got, err := URI(p)
	if err != nil || got != "postgres://autoctl_node:p%40ss%2Fword@10.0.0.1:5432/pg_auto_failover?sslmode=require" {
		t.Errorf("URI = %q, %v", got, err)
	}
	p["monitor_password"] = ""
	if got, _ := URI(p); got != p["monitor_uri"] {
		t.Errorf("without a password the URI changed: %q", got)
	}
}

func TestURIRefusesAKeyValueStringWithAPassword(t *testing.T) {
	p := ansible.Params{"monitor_uri": "host=10.0.0.1 password=oldsecret dbname=pg_auto_failover", "monitor_password": "x"}
	_, err := URI(p)
	if err == nil || !strings.Contains(err.Error(), "must be a postgres:// URI") || strings.Contains(err.Error(), "oldsecret") {
		t.Errorf("err = %v", err)
	}
}
