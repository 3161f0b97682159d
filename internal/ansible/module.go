package ansible

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"pgafha/internal/connstr"
)

// Module is what a module's run function works with: its validated params,
// the flags Ansible passed, and the result it builds.
type Module struct {
	Spec   Spec
	Params Params
	Flags
	Result  Result
	secrets Secrets
	raw     map[string]any
}

// CheckMode reports whether Ansible runs with --check: the module must
// predict, never change.
func (m *Module) CheckMode() bool { return m.Flags.CheckMode }

// AddSecret registers a value that must never appear in the output (e.g. a
// password read from a file or generated at run time).
func (m *Module) AddSecret(values ...string) { m.secrets.Add(values...) }

// maxTimeout keeps `timeout` seconds well inside time.Duration's range (a
// wrapped negative duration would expire at once); one week is plenty.
const maxTimeout = 7 * 24 * 3600

// RunFunc is a module's body: observe, decide, act unless check mode, report
// through m.Result. A returned error becomes a failed result.
type RunFunc func(ctx context.Context, m *Module) error

// Main is the entry point of every module binary. It never returns.
func Main(spec Spec, run RunFunc) {
	if len(os.Args) == 2 && os.Args[1] == "--describe" {
		out, _ := json.MarshalIndent(spec.Describe(), "", "  ")
		fmt.Println(string(out))
		os.Exit(0)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := Execute(ctx, spec, os.Args[1:], os.Stdout, run)
	stop()
	os.Exit(code)
}

// Execute runs a module with the given command-line arguments and writes its
// result to w. It returns the process exit code: 0 success, 1 failure.
func Execute(ctx context.Context, spec Spec, argv []string, w io.Writer, run RunFunc) int {
	m := &Module{Spec: spec}
	m.Result.init()
	m.fill(ctx, argv, run)
	return m.write(w)
}

func (m *Module) fill(ctx context.Context, argv []string, run RunFunc) {
	if err := m.Spec.validate(); err != nil {
		m.Result.Fail(err.Error())
		return
	}
	if len(argv) != 1 {
		m.Result.Fail(fmt.Sprintf("module %s expects one argument, the path of its JSON args file (got %d)", m.Spec.Name, len(argv)))
		return
	}
	data, err := os.ReadFile(argv[0])
	if err != nil {
		m.Result.Fail(fmt.Sprintf("read args file: %v", err))
		return
	}
	if err := decodeJSON(data, &m.raw); err != nil {
		m.Result.Fail(fmt.Sprintf("args file %s is not a JSON object: %v", argv[0], err))
		return
	}
	if m.raw == nil {
		m.Result.Fail(fmt.Sprintf("args file %s is not a JSON object: it holds null", argv[0]))
		return
	}
	m.registerSecrets()
	params, flags, err := m.Spec.validateArgs(m.raw)
	m.Flags = flags
	if err != nil {
		m.Result.Fail(err.Error())
		return
	}
	m.Params = params
	// Converted values too: "a,b" given to a no_log list is two secrets.
	for _, o := range m.Spec.AllOptions() {
		if o.NoLog {
			m.secrets.Add(stringsIn(params[o.Name])...)
		}
	}

	if m.Spec.DefaultTimeout > 0 {
		t := params.Int(TimeoutOption)
		if t <= 0 || t > maxTimeout {
			m.Result.Fail(fmt.Sprintf("argument '%s' must be a number of seconds between 1 and %d, got %d", TimeoutOption, maxTimeout, t))
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t)*time.Second)
		defer cancel()
	}

	if err := m.safeRun(ctx, run); err != nil {
		// Some libraries report an expired deadline as their own timeout
		// error without wrapping ctx.Err(): the context tells the truth.
		expired := errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded)
		if expired && m.Spec.DefaultTimeout > 0 {
			err = fmt.Errorf("%w (timeout=%ds; raise the module's timeout option if the operation needs longer)", err, params.Int(TimeoutOption))
		}
		m.Result.Fail(err.Error())
	}
}

// safeRun turns a panic into an error: a stack trace must never reach
// Ansible in place of the JSON result.
func (m *Module) safeRun(ctx context.Context, run RunFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if m.Verbosity >= 3 {
				fmt.Fprintf(os.Stderr, "panic: %v\n%s", r, debug.Stack())
			}
			err = fmt.Errorf("internal error in module %s: %v (this is a bug; please report it)", m.Spec.Name, r)
		}
	}()
	return run(ctx, m)
}

// registerSecrets collects every no_log value and every password embedded in
// a connection-string option before anything can be echoed.
func (m *Module) registerSecrets() {
	byName := map[string]Option{}
	for _, o := range m.Spec.AllOptions() {
		byName[o.Name] = o
		for _, a := range o.Aliases {
			byName[a] = o
		}
	}
	for k, v := range m.raw {
		if o, ok := byName[k]; ok && o.NoLog {
			m.secrets.Add(stringsIn(v)...)
		}
		for _, s := range stringsIn(v) {
			m.secrets.Add(connstr.Passwords(s)...)
		}
	}
}

func stringsIn(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case json.Number:
		return []string{x.String()}
	case int, int64, float64:
		return []string{fmt.Sprint(x)}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, stringsIn(e)...)
		}
		return out
	}
	return nil
}

// invocation mirrors Ansible's `invocation.module_args`: the validated args
// with no_log values replaced. After a validation failure it holds the raw
// args, and an option the module does not know has its value replaced too:
// a misspelled secret ("pasword") must not be echoed in clear.
func (m *Module) invocation() map[string]any {
	args := map[string]any{}
	src := map[string]any(m.Params)
	known := map[string]bool{}
	for _, o := range m.Spec.AllOptions() {
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			known[n] = true
		}
	}
	if src == nil {
		src = map[string]any{}
		for k, v := range m.raw {
			switch {
			case strings.HasPrefix(k, "_ansible_"):
			case !known[k]:
				args[k] = NoLogPlaceholder
			default:
				args[k] = normalize(v)
			}
		}
	}
	for k, v := range src {
		args[k] = v
	}
	for _, o := range m.Spec.AllOptions() {
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			if o.NoLog && args[n] != nil {
				args[n] = NoLogPlaceholder
			}
		}
	}
	return map[string]any{"module_args": args}
}

func (m *Module) write(w io.Writer) int {
	out := m.Result.build(m.Flags.Diff)
	out["invocation"] = m.invocation()
	data, err := m.scrubbedJSON(out)
	if err != nil {
		m.Result.failed = true
		data, _ = json.Marshal(map[string]any{"failed": true, "msg": m.secrets.Scrub("encode result: " + err.Error())})
	}
	fmt.Fprintln(w, string(data))
	if m.Result.failed {
		return 1
	}
	return 0
}

// scrubbedJSON encodes the result, decodes it into plain values so that
// strings inside module structs are reached too, and scrubs every secret.
func (m *Module) scrubbedJSON(out map[string]any) ([]byte, error) {
	data, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	var plain any
	if err := decodeJSON(data, &plain); err != nil {
		return nil, err
	}
	// Numbers stay json.Number so large integers keep every digit; HTML
	// escaping would only make messages with <, > or & harder to read.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.secrets.scrubValue(plain)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
