package main

import (
	"testing"

	"pgafha/internal/ansible/ansibletest"
)

// Bad input fails with the option's name and changes nothing.
func TestBadInputFailsClearly(t *testing.T) {
	base := map[string]any{"monitor_uri": "postgres://autoctl_node@127.0.0.1:1/pg_auto_failover", "pgdata": "/var/lib/postgresql/15/pgaf-node"}
	cases := map[string]map[string]any{
		"state must be one of":            {"state": "on"},
		"catchup_timeout must be between": {"catchup_timeout": 0},
		"pgdata must be an absolute":      {"pgdata": "x"},
		"Unsupported parameters":          {"stat": "enabled"},
	}
	for want, extra := range cases {
		ansibletest.FailsCleanly(t, spec, run, ansibletest.With(base, extra), want)
	}
}
