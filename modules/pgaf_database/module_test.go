package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"pgafha/internal/ansible/ansibletest"
)

// execute runs the module in-process as Ansible would and returns its
// raw output and decoded result.
func execute(t *testing.T, args map[string]any) (string, map[string]any) {
	t.Helper()
	out, res, _ := ansibletest.Run(t, spec, run, args)
	return out, res
}

func TestBadInputFailsBeforeConnecting(t *testing.T) {
	// Port 1 on loopback: if validation let any of these through, the
	// message would be about a refused connection instead.
	base := func() map[string]any {
		return map[string]any{"login_uri": "postgresql://postgres@127.0.0.1:1/postgres",
			"role": "app", "database": "appdb", "password": "Secret-Pw-1"}
	}
	cases := []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"unknown option", func(a map[string]any) { a["passwd"] = "x" }, "Unsupported parameters for (pgaf_database) module: passwd"},
		{"missing login_uri", func(a map[string]any) { delete(a, "login_uri") }, "missing required arguments: login_uri"},
		{"missing role", func(a map[string]any) { delete(a, "role") }, "missing required arguments: role"},
		{"wrong type", func(a map[string]any) { a["connection_limit"] = "many" }, "argument 'connection_limit' is of type string"},
		{"bad state", func(a map[string]any) { a["state"] = "gone" }, "value of state must be one of: present, absent"},
		{"no password", func(a map[string]any) { delete(a, "password") }, "option password is required"},
		{"reserved name", func(a map[string]any) { a["role"] = "pg_monitor" }, "option role"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := base()
			c.edit(args)
			raw, res := execute(t, args)
			msg, _ := res["msg"].(string)
			if res["failed"] != true || !strings.Contains(msg, c.want) {
				t.Errorf("got %s\nwant failed with %q", raw, c.want)
			}
			if res["changed"] != false {
				t.Errorf("changed is not false: %s", raw)
			}
			if strings.Contains(raw, "Secret-Pw-1") {
				t.Errorf("the password leaks: %s", raw)
			}
		})
	}
}

func TestConnectFailureHidesSecrets(t *testing.T) {
	cases := map[string]map[string]any{
		"unreachable, password in URI": {"login_uri": "postgresql://postgres:Uri-Pw-42@127.0.0.1:1/postgres?connect_timeout=2"},
		"unreachable, login_password":  {"login_uri": "host=127.0.0.1 port=1 user=postgres connect_timeout=2", "login_password": "Login-Pw-42"},
		"unparsable URI":               {"login_uri": "postgresql://postgres:Uri-Pw-42@127.0.0.1:notaport/postgres"},
		"unparsable key=value":         {"login_uri": "host=127.0.0.1 password=Uri-Pw-42 port='"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			args["role"], args["database"], args["password"] = "app", "appdb", "App-Pw-42"
			raw, res := execute(t, args)
			msg, _ := res["msg"].(string)
			if res["failed"] != true || msg == "" {
				t.Fatalf("not a failure with a message: %s", raw)
			}
			for _, leak := range []string{"Uri-Pw-42", "Login-Pw-42", "App-Pw-42"} {
				if strings.Contains(raw, leak) {
					t.Errorf("%s appears in the output: %s", leak, raw)
				}
			}
			if strings.Contains(msg, "127.0.0.1:notaport") || strings.Contains(msg, "postgresql://") {
				t.Errorf("the message echoes the connection string: %s", msg)
			}
		})
	}
}

func TestHideKeepsTheChain(t *testing.T) {
	inner := &pgconn.PgError{Code: "28P01", Message: "password authentication failed"}
	uri := "postgresql://u:Pw-123456@h/db"
	err := hide(errors.Join(errors.New("dial "+uri+" with Pw-123456"), inner), uri, "Pw-123456")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Error("hide lost the wrapped error")
	}
	if strings.Contains(err.Error(), "Pw-123456") || strings.Contains(err.Error(), uri) {
		t.Errorf("hide left a secret: %s", err)
	}
}
