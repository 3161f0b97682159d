package ansible

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outcome is one module run as Ansible would see it.
type outcome struct {
	code   int
	raw    string
	result map[string]any
	ran    bool
}

func (o outcome) msg() string { s, _ := o.result["msg"].(string); return s }

func (o outcome) failed() bool { b, _ := o.result["failed"].(bool); return b }

func (o outcome) moduleArgs(t *testing.T) map[string]any {
	t.Helper()
	inv, ok := o.result["invocation"].(map[string]any)
	if !ok {
		t.Fatalf("no invocation in %s", o.raw)
	}
	args, ok := inv["module_args"].(map[string]any)
	if !ok {
		t.Fatalf("no invocation.module_args in %s", o.raw)
	}
	return args
}

// writeArgs writes an args file the way Ansible does and returns its path.
func writeArgs(t *testing.T, args map[string]any) string {
	t.Helper()
	data, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return writeRaw(t, string(data))
}

func writeRaw(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// execArgv runs a module in-process and decodes the single JSON line it writes.
func execArgv(t *testing.T, spec Spec, argv []string, run RunFunc) outcome {
	t.Helper()
	var out outcome
	wrapped := func(ctx context.Context, m *Module) error {
		out.ran = true
		if run == nil {
			return nil
		}
		return run(ctx, m)
	}
	var buf bytes.Buffer
	out.code = Execute(context.Background(), spec, argv, &buf, wrapped)
	out.raw = buf.String()
	if strings.Count(strings.TrimSpace(out.raw), "\n") != 0 {
		t.Fatalf("output is not one JSON line: %q", out.raw)
	}
	if err := json.Unmarshal(buf.Bytes(), &out.result); err != nil {
		t.Fatalf("output is not a JSON object: %v: %q", err, out.raw)
	}
	if want := 0; out.failed() {
		want = 1
		if out.code != want {
			t.Fatalf("failed result but exit code %d: %s", out.code, out.raw)
		}
	} else if out.code != want {
		t.Fatalf("successful result but exit code %d: %s", out.code, out.raw)
	}
	return out
}

func execArgs(t *testing.T, spec Spec, args map[string]any, run RunFunc) outcome {
	t.Helper()
	return execArgv(t, spec, []string{writeArgs(t, args)}, run)
}

// wantFailed asserts a failed result whose msg holds every fragment, and
// that the module body never ran.
func wantFailed(t *testing.T, o outcome, fragments ...string) {
	t.Helper()
	if !o.failed() || o.code != 1 {
		t.Fatalf("want failed with exit 1, got code %d: %s", o.code, o.raw)
	}
	for _, f := range fragments {
		if !strings.Contains(o.msg(), f) {
			t.Errorf("msg %q does not contain %q", o.msg(), f)
		}
	}
	if o.ran {
		t.Errorf("module body ran despite invalid input: %s", o.raw)
	}
}

// testSpec declares one option of each kind the rules apply to.
var testSpec = Spec{
	Name:           "probe",
	DefaultTimeout: 30,
	Options: []Option{
		{Name: "monitor_uri", Type: TypeStr, Required: true, Aliases: []string{"uri"}},
		{Name: "formation", Type: TypeStr, Default: "default"},
		{Name: "password", Type: TypeStr, NoLog: true, Aliases: []string{"pass"}},
		{Name: "state", Type: TypeStr, Default: "present", Choices: []string{"present", "absent"}},
		{Name: "enabled", Type: TypeBool, Default: true},
		{Name: "count", Type: TypeInt, Default: 5},
		{Name: "ratio", Type: TypeFloat, Default: 0.5},
		{Name: "profiles", Type: TypeList, Elements: TypeStr, Default: []any{"a"}},
		{Name: "ports", Type: TypeList, Elements: TypeInt},
		{Name: "modes", Type: TypeList, Elements: TypeStr, Choices: []string{"r", "w"}},
		{Name: "settings", Type: TypeDict},
		{Name: "extra", Type: TypeRaw},
	},
}

// base holds the required option so each case states only what it tests.
func base(kv ...any) map[string]any {
	args := map[string]any{"monitor_uri": "postgres://127.0.0.1:1/x"}
	for i := 0; i+1 < len(kv); i += 2 {
		args[kv[i].(string)] = kv[i+1]
	}
	return args
}
