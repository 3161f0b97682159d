package ansible

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// secretSpec has a no_log option and connection-string options whose
// passwords must be found and masked without any declaration.
var secretSpec = Spec{
	Name:           "secrets",
	DefaultTimeout: 10,
	Options: []Option{
		{Name: "monitor_uri", Type: TypeStr},
		{Name: "conninfo", Type: TypeStr},
		{Name: "password", Type: TypeStr, NoLog: true, Aliases: []string{"pw"}},
		{Name: "pin", Type: TypeInt, NoLog: true},
		{Name: "tokens", Type: TypeList, Elements: TypeStr, NoLog: true},
		{Name: "role", Type: TypeStr, NoLog: true, Choices: []string{"alpha", "beta"}},
		{Name: "hosts", Type: TypeList, Elements: TypeStr},
		{Name: "env", Type: TypeDict},
	},
}

type nested struct {
	Conn  string            `json:"conn"`
	Inner map[string]string `json:"inner"`
	List  []string          `json:"list"`
}

// TestSecretsNeverInOutput leaks secrets through every channel a module has
// (msg, errors, nested values, warnings, diff, map keys, panics) and checks
// that none survives anywhere in the raw output.
func TestSecretsNeverInOutput(t *testing.T) {
	const (
		noLog  = "NoLogS3cret!"
		uriPw  = "UriS3cret"
		kvPw   = "KvS3cret"
		genPw  = "GeneratedS3cret"
		listPw = "ListS3cret"
	)
	echo := func(s string) RunFunc {
		return func(_ context.Context, m *Module) error {
			m.Result.Msg = "msg " + s
			m.Result.Warn("warn " + s)
			m.Result.Set("nested", nested{Conn: s, Inner: map[string]string{s: s}, List: []string{"x " + s}})
			m.Result.Set("quoted", fmt.Sprintf("%q", s))
			m.Result.SetDiff(Diff{Before: s, After: map[string]any{"v": s}})
			return fmt.Errorf("connect with %s: %w", s, errors.New("refused: "+s))
		}
	}
	cases := []struct {
		name    string
		args    map[string]any
		run     RunFunc
		secrets []string
	}{
		{"no_log value echoed everywhere", map[string]any{"password": noLog}, echo(noLog), []string{noLog}},
		{"no_log via alias", map[string]any{"pw": noLog}, echo(noLog), []string{noLog}},
		{"URI password, bare", map[string]any{"monitor_uri": "postgres://u:" + uriPw + "@127.0.0.1/db"}, echo(uriPw), []string{uriPw}},
		{"URI echoed whole", map[string]any{"monitor_uri": "postgres://u:" + uriPw + "@127.0.0.1/db"}, echo("postgres://u:" + uriPw + "@127.0.0.1/db"), []string{uriPw}},
		{"URI with @ in password", map[string]any{"monitor_uri": "postgres://u:a@" + uriPw + "@127.0.0.1/db"}, echo("a@" + uriPw), []string{uriPw, "a@U"}},
		{"URI percent-encoded password echoed decoded", map[string]any{"monitor_uri": "postgres://u:p%2F" + uriPw + "@h/db"}, echo("p/" + uriPw), []string{uriPw}},
		{"URI query password", map[string]any{"monitor_uri": "postgres://h/db?password=" + uriPw + "&sslmode=disable"}, echo(uriPw), []string{uriPw}},
		{"keyword password", map[string]any{"conninfo": "host=x password=" + kvPw + " dbname=y"}, echo(kvPw), []string{kvPw}},
		{"keyword password quoted", map[string]any{"conninfo": `host=x password='a \'` + kvPw + `' dbname=y`}, echo(`a '` + kvPw), []string{kvPw}},
		{"password in a list option", map[string]any{"hosts": []any{"postgres://u:" + listPw + "@h/db"}}, echo(listPw), []string{listPw}},
		{"password in a dict option", map[string]any{"env": map[string]any{"PGCONN": "host=h password=" + listPw}}, echo(listPw), []string{listPw}},
		{"no_log list", map[string]any{"tokens": "tokA1,tokB2"}, echo("tokA1 and tokB2"), []string{"tokA1", "tokB2"}},
		{"generated secret", map[string]any{}, func(ctx context.Context, m *Module) error {
			m.AddSecret(genPw)
			return echo(genPw)(ctx, m)
		}, []string{genPw}},
		{"secret with quotes echoed by %q", map[string]any{"password": `q"u\ote` + noLog}, echo(`q"u\ote` + noLog), []string{noLog, `q\"u`}},
		{"panic message", map[string]any{"password": noLog}, func(context.Context, *Module) error { panic("bad " + noLog) }, []string{noLog}},
		{"numeric no_log returned as a number", map[string]any{"pin": "987654"}, func(_ context.Context, m *Module) error {
			m.Result.Set("pin", m.Params.Int("pin"))
			m.Result.Msg = fmt.Sprint("pin ", m.Params.Int("pin"))
			return nil
		}, []string{"987654"}},
		{"no_log wrong type", map[string]any{"pin": "NotANumberS3cret"}, nil, []string{"NotANumberS3cret"}},
		{"no_log invalid choice", map[string]any{"role": "GammaS3cret"}, nil, []string{"GammaS3cret"}},
		{"unknown option besides a secret", map[string]any{"password": noLog, "bogus": noLog}, nil, []string{noLog}},
		{"timeout message", map[string]any{"monitor_uri": "postgres://u:" + uriPw + "@h/db", "timeout": 1}, func(ctx context.Context, m *Module) error {
			<-ctx.Done()
			return fmt.Errorf("dial %s: %w", m.Params.String("monitor_uri"), ctx.Err())
		}, []string{uriPw}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := execArgs(t, secretSpec, c.args, c.run)
			for _, s := range c.secrets {
				if strings.Contains(o.raw, s) {
					t.Errorf("secret %q in output: %s", s, o.raw)
				}
			}
			if c.run != nil && !strings.Contains(o.raw, Masked) && !strings.Contains(o.raw, NoLogPlaceholder) {
				t.Errorf("nothing masked, so the test leaked nothing: %s", o.raw)
			}
		})
	}
}

// Masking must leave the rest of a message readable.
func TestScrubKeepsContext(t *testing.T) {
	o := execArgs(t, secretSpec, map[string]any{"monitor_uri": "postgres://autoctl:S3cretPw@127.0.0.1:5432/pg_auto_failover"},
		func(_ context.Context, m *Module) error {
			return fmt.Errorf("connect to %s: refused", m.Params.String("monitor_uri"))
		})
	want := "connect to postgres://autoctl:" + Masked + "@127.0.0.1:5432/pg_auto_failover: refused"
	if o.msg() != want {
		t.Errorf("msg %q, want %q", o.msg(), want)
	}
	if got := o.moduleArgs(t)["monitor_uri"]; got != "postgres://autoctl:"+Masked+"@127.0.0.1:5432/pg_auto_failover" {
		t.Errorf("invocation monitor_uri = %v", got)
	}
}

// Short values are not masked: masking "on" or "1" would mangle every message.
func TestShortSecretsIgnored(t *testing.T) {
	o := execArgs(t, secretSpec, map[string]any{"password": "on"}, func(_ context.Context, m *Module) error {
		m.Result.Msg = "connection on port 5432"
		return nil
	})
	if o.msg() != "connection on port 5432" {
		t.Errorf("msg %q", o.msg())
	}
	if o.moduleArgs(t)["password"] != NoLogPlaceholder {
		t.Errorf("short no_log value still must be replaced in invocation: %s", o.raw)
	}
}
