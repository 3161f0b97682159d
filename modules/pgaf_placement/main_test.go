package main

import (
	"strings"
	"testing"
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
