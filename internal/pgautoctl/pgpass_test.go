package pgautoctl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMergePgpassPutsOursFirstAndKeepsOthers(t *testing.T) {
	old := "*:*:*:*:wildcard\n10.0.0.1:5432:pg_auto_failover:autoctl_node:oldpw\n# comment\nh:1:db:u:p\n"
	got := MergePgpass(old, []PassEntry{
		{Host: "10.0.0.1", Port: "5432", DB: "pg_auto_failover", User: "autoctl_node", Password: "new:pw\\x"},
		{Host: "*", Port: "*", DB: "*", User: "pgautofailover_replicator", Password: "r"},
	})
	want := "10.0.0.1:5432:pg_auto_failover:autoctl_node:new\\:pw\\\\x\n*:*:*:pgautofailover_replicator:r\n*:*:*:*:wildcard\n# comment\nh:1:db:u:p\n"
	if got != want {
		t.Errorf("MergePgpass =\n%s\nwant\n%s", got, want)
	}
	if again := MergePgpass(got, []PassEntry{
		{Host: "10.0.0.1", Port: "5432", DB: "pg_auto_failover", User: "autoctl_node", Password: "new:pw\\x"},
		{Host: "*", Port: "*", DB: "*", User: "pgautofailover_replicator", Password: "r"},
	}); again != got {
		t.Errorf("merging twice changed the file:\n%s", again)
	}
}

func TestMergePgpassOwnUsersKeepsOnlyTheirEntries(t *testing.T) {
	old := "*:*:*:pgautofailover_replicator:r\n10.0.0.9:5432:*:pgautofailover_replicator:r\n10.0.0.1:5432:pg_auto_failover:autoctl_node:a\nh:1:db:u\\:x:p\n"
	got := MergePgpass(old, []PassEntry{
		{Host: "10.0.0.11", Port: "5432", DB: "*", User: "pgautofailover_replicator", Password: "r"},
		{Host: "10.0.0.12", Port: "5432", DB: "*", User: "pgautofailover_replicator", Password: "r"},
	}, "pgautofailover_replicator", "u:x")
	want := "10.0.0.11:5432:*:pgautofailover_replicator:r\n10.0.0.12:5432:*:pgautofailover_replicator:r\n10.0.0.1:5432:pg_auto_failover:autoctl_node:a\n"
	if got != want {
		t.Errorf("MergePgpass =\n%s\nwant\n%s", got, want)
	}
}

func TestLineKeyHandlesEscapes(t *testing.T) {
	if k := lineKey(`h\:x:1:db:u:pw`); k != `h\:x:1:db:u` {
		t.Errorf("lineKey = %q", k)
	}
	if k := lineKey("# a:b:c:d:e"); k != "" {
		t.Errorf("comment has key %q", k)
	}
}

func TestEnsurePgpassWritesMode0600AndReportsChange(t *testing.T) {
	r := &Runner{Home: t.TempDir()}
	entries := []PassEntry{{Host: "*", Port: "*", DB: "*", User: "u", Password: "p"}}
	changed, err := r.EnsurePgpass(entries, true)
	if err != nil || !changed {
		t.Fatalf("dry run = %v, %v; want true, nil", changed, err)
	}
	if _, err := os.Stat(r.PgpassPath()); !os.IsNotExist(err) {
		t.Fatal("dry run wrote the file")
	}
	if changed, err = r.EnsurePgpass(entries, false); err != nil || !changed {
		t.Fatalf("first write = %v, %v", changed, err)
	}
	fi, err := os.Stat(filepath.Join(r.Home, ".pgpass"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if changed, err = r.EnsurePgpass(entries, false); err != nil || changed {
		t.Errorf("second write = %v, %v; want no change", changed, err)
	}
	must(t, os.Chmod(r.PgpassPath(), 0o644))
	if changed, _ = r.EnsurePgpass(entries, false); !changed {
		t.Error("a readable .pgpass (ignored by libpq) was not fixed")
	}
}

func TestCheckPgpassValueRefusesWhatALineCannotHold(t *testing.T) {
	for _, v := range []string{"", "plain", `with:colon\and-backslash`} {
		if err := CheckPgpassValue("x_password", v); err != nil {
			t.Errorf("CheckPgpassValue(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"a\nb", "a\rb", "a\x00b"} {
		err := CheckPgpassValue("x_password", v)
		if err == nil || !strings.HasPrefix(err.Error(), "x_password must not contain NUL or line breaks") || strings.Contains(err.Error(), v) {
			t.Errorf("CheckPgpassValue(%q) = %v", v, err)
		}
	}
}
