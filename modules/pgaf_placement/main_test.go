package main

import (
	"fmt"
	"strings"
	"testing"

	"pgafha/internal/ansible/ansibletest"
)

func TestParseMembers(t *testing.T) {
	ms, err := parseMembers("mon", map[string]any{"mon": "a", "n1": "b", "n2": "c"})
	if err != nil || len(ms) != 3 || ms[0].Name != "mon" || ms[0].Role != "monitor" || ms[1].Role != "node" {
		t.Fatalf("parseMembers = %+v, %v", ms, err)
	}
	for _, c := range []struct {
		monitor string
		domains map[string]any
		want    string
	}{
		{"mon", map[string]any{"n1": "b"}, `no entry for the monitor "mon"`},
		{"mon", map[string]any{"mon": "a", "n1": ""}, `member "n1" needs a non-empty failure domain`},
		{"mon", map[string]any{"mon": "a", "n1": 3}, `member "n1" needs a non-empty failure domain`},
	} {
		if _, err := parseMembers(c.monitor, c.domains); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseMembers(%q, %v) = %v, want %q", c.monitor, c.domains, err, c.want)
		}
	}
}

// The module as Ansible runs it: a placement that survives passes, one that
// does not fails (enforce) or warns (warn), never changed.
func TestRun(t *testing.T) {
	oneHost := map[string]any{"mon": "local", "n1": "local", "n2": "local"}
	cases := []struct {
		args             map[string]any
		failed, survives bool
		msg, warning     string
	}{
		{map[string]any{"monitor": "mon", "domains": map[string]any{"mon": "a", "n1": "b", "n2": "c"}}, false, true, "survives the loss of any one of its 3 failure domains", ""},
		{map[string]any{"monitor": "mon", "domains": oneHost}, true, false, `share failure domain "local"`, ""},
		{map[string]any{"monitor": "mon", "domains": oneHost, "check": "warn"}, false, false, "accepted although", `share failure domain "local"`},
		{map[string]any{"monitor": "mon", "domains": oneHost, "check": "maybe"}, true, false, "value of check must be one of", ""},
	}
	for _, c := range cases {
		_, res, _ := ansibletest.Run(t, spec, run, c.args)
		msg, _ := res["msg"].(string)
		if (res["failed"] == true) != c.failed || res["changed"] == true || !strings.Contains(msg, c.msg) {
			t.Errorf("%v: result %v, want failed=%v and msg with %q", c.args, res, c.failed, c.msg)
		}
		if !c.failed && res["survives_domain_loss"] != c.survives {
			t.Errorf("%v: survives_domain_loss %v, want %v", c.args, res["survives_domain_loss"], c.survives)
		}
		if c.warning != "" && !strings.Contains(fmt.Sprint(res["warnings"]), c.warning) {
			t.Errorf("%v: warnings %v, want one with %q", c.args, res["warnings"], c.warning)
		}
	}
}
