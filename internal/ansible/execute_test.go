package ansible

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFlags(t *testing.T) {
	cases := []struct {
		name string
		args map[string]any
		want Flags
	}{
		{"none", base(), Flags{}},
		{"check mode", base("_ansible_check_mode", true), Flags{CheckMode: true}},
		{"diff", base("_ansible_diff", true), Flags{Diff: true}},
		{"no_log", base("_ansible_no_log", true), Flags{NoLog: true}},
		{"verbosity", base("_ansible_verbosity", 3), Flags{Verbosity: 3}},
		{"as strings", base("_ansible_check_mode", "True", "_ansible_diff", "yes", "_ansible_verbosity", "2"),
			Flags{CheckMode: true, Diff: true, Verbosity: 2}},
		{"all off", base("_ansible_check_mode", false, "_ansible_diff", false, "_ansible_no_log", false, "_ansible_verbosity", 0), Flags{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got Flags
			var check bool
			o := execArgs(t, testSpec, c.args, func(_ context.Context, m *Module) error {
				got, check = m.Flags, m.CheckMode()
				return nil
			})
			if o.failed() {
				t.Fatal(o.msg())
			}
			if got != c.want || check != c.want.CheckMode {
				t.Errorf("flags = %+v (CheckMode() %v), want %+v", got, check, c.want)
			}
		})
	}
}

// Ansible adds many _ansible_* keys; none may be reported as unknown or
// echoed back in invocation.module_args.
func TestOtherAnsibleKeysIgnored(t *testing.T) {
	args := base("_ansible_version", "2.14.18", "_ansible_module_name", "probe", "_ansible_tmpdir", "/tmp/a",
		"_ansible_remote_tmp", "~/.ansible/tmp", "_ansible_debug", false, "_ansible_keep_remote_files", false,
		"_ansible_selinux_special_fs", []any{"nfs"}, "_ansible_string_conversion_action", "warn",
		"_ansible_socket", nil, "_ansible_shell_executable", "/bin/sh", "_ansible_target_log_info", nil,
		"_ansible_ignore_unknown_opts", false, "_ansible_syslog_facility", "LOG_USER")
	o := execArgs(t, testSpec, args, nil)
	if o.failed() {
		t.Fatal(o.msg())
	}
	for k := range o.moduleArgs(t) {
		if strings.HasPrefix(k, "_ansible_") {
			t.Errorf("invocation echoes %s", k)
		}
	}
}

func TestResultShape(t *testing.T) {
	type node struct {
		Name  string `json:"name"`
		Port  int    `json:"port"`
		Ready bool   `json:"ready"`
	}
	o := execArgs(t, testSpec, base(), func(_ context.Context, m *Module) error {
		m.Result.Changed = true
		m.Result.Msg = "did it"
		m.Result.Set("nodes", []node{{"a", 5432, true}})
		m.Result.Set("failed", "mine") // reserved: kept under another key
		m.Result.Set("big", uint64(18446744073709551615))
		if m.Result.Get("nodes") == nil {
			t.Error("Get lost a value")
		}
		return nil
	})
	if o.failed() || o.result["changed"] != true || o.msg() != "did it" {
		t.Fatalf("unexpected result %s", o.raw)
	}
	if o.result["module_failed"] != "mine" {
		t.Errorf("reserved key not renamed: %s", o.raw)
	}
	if !strings.Contains(o.raw, `"nodes":[{"name":"a","port":5432,"ready":true}]`) {
		t.Errorf("struct value not encoded by its JSON tags: %s", o.raw)
	}
	if !strings.Contains(o.raw, `"big":18446744073709551615`) {
		t.Errorf("large integer lost precision: %s", o.raw)
	}
	for _, k := range []string{"diff", "warnings", "skipped"} {
		if _, ok := o.result[k]; ok {
			t.Errorf("%s present though never set: %s", k, o.raw)
		}
	}
}

func TestFailAndSkip(t *testing.T) {
	o := execArgs(t, testSpec, base(), func(_ context.Context, m *Module) error {
		m.Result.Fail("refused: primary is not healthy")
		return nil
	})
	if !o.failed() || o.code != 1 || o.msg() != "refused: primary is not healthy" {
		t.Errorf("Fail without an error: %s", o.raw)
	}
	o = execArgs(t, testSpec, base(), func(_ context.Context, m *Module) error {
		m.Result.Changed = true
		return fmt.Errorf("register node %q: %w", "n1", errors.New("connection refused"))
	})
	if !o.failed() || o.msg() != `register node "n1": connection refused` || o.result["changed"] != true {
		t.Errorf("returned error: %s", o.raw)
	}
	o = execArgs(t, testSpec, base(), func(_ context.Context, m *Module) error {
		m.Result.Skip("nothing to do in this mode")
		return nil
	})
	if o.failed() || o.result["skipped"] != true || o.code != 0 {
		t.Errorf("Skip: %s", o.raw)
	}
}

func TestDiffOnlyInDiffMode(t *testing.T) {
	run := func(_ context.Context, m *Module) error {
		m.Result.Changed = true
		m.Result.SetDiff(Diff{Before: "a\n", After: "b\n", BeforeHeader: "x (before)", AfterHeader: "x (after)"})
		return nil
	}
	if o := execArgs(t, testSpec, base(), run); o.result["diff"] != nil {
		t.Errorf("diff emitted without diff mode: %s", o.raw)
	}
	if o := execArgs(t, testSpec, base("_ansible_diff", false), run); o.result["diff"] != nil {
		t.Errorf("diff emitted with _ansible_diff false: %s", o.raw)
	}
	o := execArgs(t, testSpec, base("_ansible_diff", true), run)
	d, ok := o.result["diff"].(map[string]any)
	if !ok || d["before"] != "a\n" || d["after"] != "b\n" || d["before_header"] != "x (before)" || d["after_header"] != "x (after)" {
		t.Errorf("diff mode: %s", o.raw)
	}
	o = execArgs(t, testSpec, base("_ansible_diff", true), nil)
	if _, ok := o.result["diff"]; ok {
		t.Errorf("diff emitted though the module set none: %s", o.raw)
	}
}

func TestWarnings(t *testing.T) {
	o := execArgs(t, testSpec, base(), func(_ context.Context, m *Module) error {
		m.Result.Warn("first")
		m.Result.Warn("second")
		return nil
	})
	w, _ := o.result["warnings"].([]any)
	if len(w) != 2 || w[0] != "first" || w[1] != "second" {
		t.Errorf("warnings: %s", o.raw)
	}
}

func TestInvocation(t *testing.T) {
	o := execArgs(t, testSpec, base("pass", "S3cretAlias", "count", "7", "_ansible_check_mode", true), nil)
	args := o.moduleArgs(t)
	want := map[string]any{"monitor_uri": "postgres://127.0.0.1:1/x", "password": NoLogPlaceholder,
		"count": 7.0, "formation": "default", "timeout": 30.0, "enabled": true, "settings": nil}
	for k, v := range want {
		if fmt.Sprint(args[k]) != fmt.Sprint(v) {
			t.Errorf("module_args[%s] = %v, want %v", k, args[k], v)
		}
	}
	if _, ok := args["pass"]; ok {
		t.Errorf("alias echoed besides its option: %s", o.raw)
	}

	// Unset no_log options stay null, as Ansible leaves them.
	o = execArgs(t, testSpec, base(), nil)
	if v, ok := o.moduleArgs(t)["password"]; !ok || v != nil {
		t.Errorf("unset password = %v, %v", v, ok)
	}

	// On a validation failure the raw args are echoed, no_log still replaced,
	// and the value of an unknown option (a misspelled secret) too.
	o = execArgs(t, testSpec, base("password", "S3cretRaw", "pasword", "S3cretXYZ"), nil)
	args = o.moduleArgs(t)
	if args["password"] != NoLogPlaceholder || args["pasword"] != NoLogPlaceholder || args["count"] == NoLogPlaceholder ||
		strings.Contains(o.raw, "S3cretRaw") || strings.Contains(o.raw, "S3cretXYZ") {
		t.Errorf("invocation after failure: %s", o.raw)
	}
}

func TestPanicBecomesFailedResult(t *testing.T) {
	cases := map[string]RunFunc{
		"string": func(context.Context, *Module) error { panic("boom") },
		"error":  func(context.Context, *Module) error { panic(errors.New("boom")) },
		"nil map": func(_ context.Context, m *Module) error {
			m.Params.Dict("settings")["boom"] = 1 // unset dict option: nil map
			return nil
		},
		"index": func(_ context.Context, m *Module) error {
			_ = m.Params.List("ports")[3]
			return nil
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			o := execArgs(t, testSpec, base("_ansible_verbosity", 0), run)
			if !o.failed() || o.code != 1 {
				t.Fatalf("panic did not fail the result: %s", o.raw)
			}
			if !strings.Contains(o.msg(), "internal error in module probe") {
				t.Errorf("msg %q", o.msg())
			}
			for _, trace := range []string{"goroutine", ".go:", "runtime/", "panic("} {
				if strings.Contains(o.raw, trace) {
					t.Errorf("stack trace text %q on stdout: %s", trace, o.raw)
				}
			}
		})
	}
}

func TestArgsFileProblems(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name  string
		argv  []string
		wants []string
	}{
		{"no argument", nil, []string{"expects one argument", "got 0"}},
		{"two arguments", []string{"a", "b"}, []string{"expects one argument", "got 2"}},
		{"missing file", []string{filepath.Join(dir, "nope")}, []string{"read args file", "no such file"}},
		{"directory", []string{dir}, []string{"read args file"}},
		{"empty file", []string{writeRaw(t, "")}, []string{"is not a JSON object"}},
		{"truncated", []string{writeRaw(t, `{"monitor_uri": "postgres://h`)}, []string{"is not a JSON object"}},
		{"garbage", []string{writeRaw(t, `monitor_uri=x`)}, []string{"is not a JSON object"}},
		{"array", []string{writeRaw(t, `["monitor_uri"]`)}, []string{"is not a JSON object"}},
		{"null", []string{writeRaw(t, `null`)}, []string{"is not a JSON object", "null"}},
		{"trailing data", []string{writeRaw(t, `{"monitor_uri": "x"} {"count": 1}`)}, []string{"is not a JSON object", "after the JSON value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFailed(t, execArgv(t, testSpec, c.argv, nil), c.wants...)
		})
	}
	// Trailing whitespace is fine, as Ansible writes a newline.
	if o := execArgv(t, testSpec, []string{writeRaw(t, `{"monitor_uri": "x"}`+"\n\n")}, nil); o.failed() {
		t.Errorf("trailing newline rejected: %s", o.raw)
	}
}

func TestTimeout(t *testing.T) {
	t.Run("default applied as deadline", func(t *testing.T) {
		o := execArgs(t, testSpec, base(), func(ctx context.Context, m *Module) error {
			dl, ok := ctx.Deadline()
			if left := time.Until(dl); !ok || left > 30*time.Second || left < 29*time.Second {
				t.Errorf("deadline in %v (set %v), want 30s", left, ok)
			}
			return nil
		})
		if o.failed() {
			t.Fatal(o.msg())
		}
	})
	t.Run("option applied as deadline", func(t *testing.T) {
		execArgs(t, testSpec, base("timeout", "3"), func(ctx context.Context, m *Module) error {
			dl, ok := ctx.Deadline()
			if left := time.Until(dl); !ok || left > 3*time.Second || left < 2*time.Second {
				t.Errorf("deadline in %v, want 3s", left)
			}
			if m.Params.Duration("timeout") != 3*time.Second {
				t.Errorf("Duration = %v", m.Params.Duration("timeout"))
			}
			return nil
		})
	})
	t.Run("no deadline without DefaultTimeout", func(t *testing.T) {
		spec := Spec{Name: "quick"}
		execArgs(t, spec, map[string]any{}, func(ctx context.Context, m *Module) error {
			if _, ok := ctx.Deadline(); ok {
				t.Error("deadline set though the module has no timeout")
			}
			return nil
		})
	})
	expired := map[string]RunFunc{
		"wrapped ctx error": func(ctx context.Context, m *Module) error {
			<-ctx.Done()
			return fmt.Errorf("wait for primary: %w", ctx.Err())
		},
		// Some drivers report their own timeout error without wrapping ctx.Err().
		"unwrapped error": func(ctx context.Context, m *Module) error {
			<-ctx.Done()
			return errors.New("wait for primary: i/o timeout")
		},
	}
	for name, run := range expired {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			o := execArgs(t, testSpec, base("timeout", 1), run)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("timeout=1 took %v", d)
			}
			if !o.failed() || !strings.Contains(o.msg(), "wait for primary") ||
				!strings.Contains(o.msg(), "timeout=1s") || !strings.Contains(o.msg(), "raise the module's timeout option") {
				t.Errorf("deadline message: %s", o.raw)
			}
		})
	}
	t.Run("other errors not blamed on the timeout", func(t *testing.T) {
		o := execArgs(t, testSpec, base(), func(context.Context, *Module) error { return errors.New("connection refused") })
		if o.msg() != "connection refused" {
			t.Errorf("msg %q", o.msg())
		}
	})
}

func TestParentCancellationReported(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf strings.Builder
	code := Execute(ctx, testSpec, []string{writeArgs(t, base())}, &buf, func(ctx context.Context, m *Module) error {
		return fmt.Errorf("connect: %w", ctx.Err())
	})
	if code != 1 || !strings.Contains(buf.String(), "context canceled") || strings.Contains(buf.String(), "timeout=") {
		t.Errorf("cancelled run: %d %s", code, buf.String())
	}
}
