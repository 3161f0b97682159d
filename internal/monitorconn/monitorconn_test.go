package monitorconn

import (
	"strings"
	"testing"
)

func TestWithPasswordPutsThePasswordIn(t *testing.T) {
	uri := "postgres://autoctl_node@10.0.0.1:5432/pg_auto_failover?sslmode=require"
	got, err := WithPassword(uri, "p@ss/word")
	if err != nil || got != "postgres://autoctl_node:p%40ss%2Fword@10.0.0.1:5432/pg_auto_failover?sslmode=require" {
		t.Errorf("WithPassword = %q, %v", got, err)
	}
	if got, _ := WithPassword(uri, ""); got != uri {
		t.Errorf("without a password the URI changed: %q", got)
	}
}

func TestWithPasswordRefusesAKeyValueString(t *testing.T) {
	_, err := WithPassword("host=10.0.0.1 password=oldsecret dbname=pg_auto_failover", "x")
	if err == nil || !strings.Contains(err.Error(), "must be a postgres:// URI") || strings.Contains(err.Error(), "oldsecret") {
		t.Errorf("err = %v", err)
	}
}
