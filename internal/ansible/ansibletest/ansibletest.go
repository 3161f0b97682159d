// Package ansibletest runs a module in-process the way Ansible runs its
// binary, for the modules' own tests.
package ansibletest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
