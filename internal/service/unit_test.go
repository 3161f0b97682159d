package service

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var node = Unit{Name: "pg_autoctl-node", What: "data node (keeper)", PGData: "/var/lib/postgresql/15/pgaf-node",
	User: "postgres", BinDir: "/usr/lib/postgresql/15/bin", PgAutoctl: "/usr/bin/pg_autoctl"}

func TestDecide(t *testing.T) {
	want := node.Content()
	commentsOnly := "# Ansible managed\n" + strings.ReplaceAll(want, "# Keep retrying", "# retry")
	other := strings.ReplaceAll(want, "RestartSec=2s", "RestartSec=5s")
	// A unit written before the stale postmaster.pid check.
	var older []string
	for _, line := range strings.Split(want, "\n") {
		if !strings.HasPrefix(line, "ExecStartPre=") {
			older = append(older, line)
		}
	}
	cases := []struct {
		name    string
		s       State
		restart bool
		want    Plan
	}{
		{"nothing there", State{}, false, Plan{Write: true, Enable: true, Start: true}},
		{"as asked", State{Content: want, Enabled: true, Active: true}, false, Plan{}},
		{"stopped", State{Content: want, Enabled: true}, false, Plan{Start: true}},
		{"disabled", State{Content: want, Active: true}, false, Plan{Enable: true}},
		{"comments differ", State{Content: commentsOnly, Enabled: true, Active: true}, false, Plan{Write: true}},
		{"a directive differs", State{Content: other, Enabled: true, Active: true}, false, Plan{Write: true, Restart: true}},
		{"directive differs, stopped", State{Content: other, Enabled: true}, false, Plan{Write: true, Start: true}},
		{"only ExecStartPre differs", State{Content: strings.Join(older, "\n"), Enabled: true, Active: true}, false, Plan{Write: true}},
		{"restart asked", State{Content: want, Enabled: true, Active: true}, true, Plan{Restart: true}},
	}
	for _, c := range cases {
		if got := Decide(node, c.s, c.restart); got != c.want {
			t.Errorf("%s: Decide = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestContent(t *testing.T) {
	c := node.Content()
	for _, line := range []string{
		"Description=pg_auto_failover data node (keeper) (/var/lib/postgresql/15/pgaf-node)",
		"User=postgres", "Environment=PGDATA=/var/lib/postgresql/15/pgaf-node",
		"Environment=PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin",
		"ExecStart=/usr/bin/pg_autoctl run --pgdata /var/lib/postgresql/15/pgaf-node",
	} {
		if !strings.Contains(c, "\n"+line+"\n") {
			t.Errorf("unit lacks %q:\n%s", line, c)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, name := range []string{"", "x.service", "a b", "../etc/passwd"} {
		if err := (Unit{Name: name}).Validate(); err == nil {
			t.Errorf("Validate(%q) = nil", name)
		}
	}
	if err := node.Validate(); err != nil {
		t.Error(err)
	}
}

// TestStalePIDFileCheck runs the unit's ExecStartPre command as systemd would
// (with "$$" unescaped): a postmaster.pid naming a process that is not a
// postgres in PGDATA goes, one naming such a process stays.
func TestStalePIDFileCheck(t *testing.T) {
	pgdata := t.TempDir()
	pidFile := filepath.Join(pgdata, "postmaster.pid")
	check := func() string {
		t.Helper()
		cmd := exec.Command("/bin/sh", "-c", strings.TrimSuffix(strings.TrimPrefix(
			strings.ReplaceAll(stalePIDFileCheck, "$$", "$"), "/bin/sh -c '"), "'"))
		cmd.Env = append(os.Environ(), "PGDATA="+pgdata)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ExecStartPre: %v: %s", err, out)
		}
		return string(out)
	}
	exists := func() bool { _, err := os.Stat(pidFile); return err == nil }

	if out := check(); out != "" || exists() {
		t.Fatalf("no postmaster.pid: printed %q", out)
	}

	// This test's own PID: alive, but not a postgres (pg_autoctl's case).
	writePID(t, pidFile, os.Getpid())
	if out := check(); exists() || !strings.Contains(out, "left by a crash") {
		t.Errorf("PID of another process: file kept=%v, printed %q", exists(), out)
	}

	// A process called postgres working in PGDATA: a running postmaster.
	bin := filepath.Join(t.TempDir(), "postgres")
	copyFile(t, "/bin/sleep", bin)
	pg := exec.Command(bin, "30")
	pg.Dir = pgdata
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Process.Kill(); _ = pg.Wait() })
	writePID(t, pidFile, pg.Process.Pid)
	if out := check(); !exists() || out != "" {
		t.Errorf("PID of a postgres in PGDATA: file kept=%v, printed %q", exists(), out)
	}

	// The same process name in another directory: another instance's postgres.
	other := exec.Command(bin, "30")
	other.Dir = t.TempDir()
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	writePID(t, pidFile, other.Process.Pid)
	if check(); exists() {
		t.Error("PID of a postgres in another directory: file kept")
	}
}

func writePID(t *testing.T, path string, pid int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)+"\n/var/lib/postgresql/15/pgaf-node\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
