package ansible

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestHelperMain is not a test: it is the module process that TestMain*
// tests start, so Main's exit codes and stdout are checked for real.
func TestHelperMain(t *testing.T) {
	mode := os.Getenv("ANSIBLE_TEST_HELPER")
	if mode == "" {
		t.Skip("helper process only")
	}
	i := slices.Index(os.Args, "--")
	os.Args = append([]string{"probe"}, os.Args[i+1:]...)
	Main(testSpec, func(ctx context.Context, m *Module) error {
		switch mode {
		case "panic":
			var p *Module
			_ = p.Params // nil pointer dereference
		case "error":
			return errors.New("refused")
		}
		m.Result.Msg = "ok"
		return nil
	})
}

func runMain(t *testing.T, mode string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestHelperMain$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "ANSIBLE_TEST_HELPER="+mode)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestMainProcess(t *testing.T) {
	cases := []struct {
		name, mode string
		args       map[string]any
		code       int
		msg        string
	}{
		{"success", "ok", base(), 0, "ok"},
		{"error", "error", base(), 1, "refused"},
		{"panic", "panic", base(), 1, "internal error in module probe"},
		{"panic at high verbosity", "panic", base("_ansible_verbosity", 4), 1, "internal error in module probe"},
		{"invalid option", "ok", base("bogus", 1), 1, "Unsupported parameters for (probe) module: bogus."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runMain(t, c.mode, writeArgs(t, c.args))
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, stderr)
			}
			var res map[string]any
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("stdout is not one JSON object: %v: %q", err, stdout)
			}
			if msg, _ := res["msg"].(string); !strings.Contains(msg, c.msg) {
				t.Errorf("msg %q, want %q", msg, c.msg)
			}
			if strings.Contains(stdout, "goroutine") || strings.Contains(stdout, ".go:") {
				t.Errorf("stack trace on stdout: %q", stdout)
			}
		})
	}
	// The trace is for a developer at -vvv, on stderr only.
	if _, stderr, _ := runMain(t, "panic", writeArgs(t, base("_ansible_verbosity", 4))); !strings.Contains(stderr, "goroutine") {
		t.Errorf("no stack trace on stderr at -vvvv: %q", stderr)
	}
	if _, stderr, _ := runMain(t, "panic", writeArgs(t, base())); strings.Contains(stderr, "goroutine") {
		t.Errorf("stack trace on stderr without verbosity: %q", stderr)
	}
	if stdout, _, code := runMain(t, "ok"); code != 1 || !strings.Contains(stdout, "expects one argument") {
		t.Errorf("no args: exit %d %q", code, stdout)
	}
}

func TestDescribe(t *testing.T) {
	stdout, stderr, code := runMain(t, "ok", "--describe")
	if code != 0 {
		t.Fatalf("--describe exit %d: %s", code, stderr)
	}
	var d struct {
		Module  string                    `json:"module"`
		Options map[string]map[string]any `json:"options"`
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("--describe output: %v: %q", err, stdout)
	}
	if d.Module != "probe" || len(d.Options) != len(testSpec.Options)+1 {
		t.Fatalf("--describe: %s", stdout)
	}
	checks := map[string]map[string]any{
		"monitor_uri": {"type": "str", "required": true, "aliases": []any{"uri"}},
		"password":    {"type": "str", "required": false, "no_log": true},
		"state":       {"type": "str", "default": "present", "choices": []any{"present", "absent"}},
		"profiles":    {"type": "list", "elements": "str", "default": []any{"a"}},
		"count":       {"type": "int", "default": 5.0},
		"timeout":     {"type": "int", "default": 30.0, "required": false},
	}
	for name, want := range checks {
		for k, v := range want {
			got, _ := json.Marshal(d.Options[name][k])
			exp, _ := json.Marshal(v)
			if string(got) != string(exp) {
				t.Errorf("option %s %s = %s, want %s", name, k, got, exp)
			}
		}
	}
	if _, ok := d.Options["formation"]["no_log"]; ok {
		t.Error("no_log shown for a plain option")
	}
}
