// Package ansibletest runs a module in-process the way Ansible runs its
// binary, for the modules' own tests.
package ansibletest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgafha/internal/ansible"
)

// Run writes args to an args file, runs the module on it and returns the raw
// output, the decoded result and the exit code.
func Run(t *testing.T, spec ansible.Spec, run ansible.RunFunc, args map[string]any) (string, map[string]any, int) {
	t.Helper()
	data, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "args.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := ansible.Execute(context.Background(), spec, []string{path}, &out, run)
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	return out.String(), res, code
}

// FailsCleanly runs the module on args and checks that it failed without
// a change, with a msg that holds want (case-insensitive): how every module
// answers bad input.
func FailsCleanly(t *testing.T, spec ansible.Spec, run ansible.RunFunc, args map[string]any, want string) {
	t.Helper()
	out, res, _ := Run(t, spec, run, args)
	if res["failed"] != true || res["changed"] == true {
		t.Errorf("%s: not a clean failure: %s", want, out)
		return
	}
	if msg, _ := res["msg"].(string); !strings.Contains(strings.ToLower(msg), strings.ToLower(want)) {
		t.Errorf("%s: msg = %q", want, msg)
	}
}

// With returns a copy of base with extra set on it; a nil value in extra
// removes the option.
func With(base, extra map[string]any) map[string]any {
	a := make(map[string]any, len(base)+len(extra))
	for k, v := range base {
		a[k] = v
	}
	for k, v := range extra {
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
	}
	return a
}
