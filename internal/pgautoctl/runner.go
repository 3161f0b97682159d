// Package pgautoctl runs the pg_autoctl command line the way pg_auto_failover
// expects it to be run (as the postgres OS user, with that user's HOME so the
// configuration and state files land where `pg_autoctl run` will look for
// them) and reads the files it leaves behind.
package pgautoctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"pgafha/internal/osuser"
)

// Runner runs pg_autoctl as one OS user, for one PostgreSQL installation.
type Runner struct {
	User   string
	UID    uint32
	GID    uint32
	Groups []uint32
	Home   string
	// BinDir holds pg_ctl, initdb, postgres of the PostgreSQL major version
	// to use; it goes first on PATH and is passed as --pgctl.
	BinDir string
	// Binary is the pg_autoctl executable.
	Binary string
	// Locale is exported as LANG, so initdb creates UTF-8 databases whatever
	// the calling environment (Ansible often runs with no locale at all).
	Locale string
	// switchUser is false when the module already runs as User.
	switchUser bool
	// canRegain: privileges were dropped with root kept as saved ID.
	canRegain bool
}

// NewRunner looks up the OS user and the PostgreSQL binaries. binDir may be
// empty when exactly one PostgreSQL version is installed under
// /usr/lib/postgresql.
func NewRunner(userName, binDir string) (*Runner, error) {
	u, err := osuser.Lookup(userName)
	if err != nil {
		return nil, fmt.Errorf("pg_autoctl must run as the PostgreSQL owner: %w", err)
	}
	r := &Runner{User: userName, UID: u.UID, GID: u.GID, Groups: u.Groups, Home: u.Home, Locale: "C.UTF-8"}
	switch me := os.Geteuid(); {
	case me == int(u.UID):
	case me == 0:
		r.switchUser = true
	default:
		return nil, fmt.Errorf("this module runs as uid %d: it must run as root (it switches to %q itself) or as %q; do not set become_user to another account", me, userName, userName)
	}
	if r.BinDir, err = findBinDir(binDir); err != nil {
		return nil, err
	}
	if r.Binary, err = findPgAutoctl(r.BinDir); err != nil {
		return nil, err
	}
	return r, nil
}

func findBinDir(binDir string) (string, error) {
	if binDir != "" {
		if _, err := os.Stat(filepath.Join(binDir, "pg_ctl")); err != nil {
			return "", fmt.Errorf("pg_bin_dir %s: no pg_ctl there (is that PostgreSQL version installed?): %w", binDir, err)
		}
		return binDir, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	switch len(found) {
	case 1:
		return filepath.Dir(found[0]), nil
	case 0:
		return "", errors.New("no PostgreSQL server found under /usr/lib/postgresql: install it first or set pg_bin_dir")
	}
	return "", fmt.Errorf("several PostgreSQL versions are installed (%s): set pg_bin_dir to choose one", strings.Join(found, ", "))
}

func findPgAutoctl(binDir string) (string, error) {
	for _, p := range []string{filepath.Join(binDir, "pg_autoctl"), "/usr/bin/pg_autoctl"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath("pg_autoctl"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("pg_autoctl not found in %s, /usr/bin or PATH: install pg_auto_failover's CLI (package pg-auto-failover-cli)", binDir)
}

// PgCtl is the pg_ctl of the chosen PostgreSQL version.
func (r *Runner) PgCtl() string { return filepath.Join(r.BinDir, "pg_ctl") }

// Env is the environment pg_autoctl runs with. It must match the systemd
// unit's (HOME of the user, no XDG overrides): the config and state paths
// are derived from it.
func (r *Runner) Env(extra ...string) []string {
	env := []string{
		"HOME=" + r.Home,
		"USER=" + r.User,
		"LOGNAME=" + r.User,
		"PATH=" + r.BinDir + ":/usr/local/bin:/usr/bin:/bin",
		"LANG=" + r.Locale,
	}
	return append(env, extra...)
}

// Output is what a pg_autoctl run printed (stdout and its log lines on stderr).
type Output struct {
	Stdout string
	Stderr string
}

// Tail returns the last n log lines, for error messages.
func (o Output) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(o.Stderr, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Run runs pg_autoctl with args as the configured user. extraEnv adds
// variables such as PGPASSWORD. When ctx ends, the whole process group is
// asked to stop (SIGTERM lets pg_autoctl stop the Postgres it started), then
// killed: an interrupted create is resumed by the next run.
func (r *Runner) Run(ctx context.Context, extraEnv []string, args ...string) (Output, error) {
	return r.run(ctx, r.Binary, extraEnv, args)
}

// StopPostgres stops the instance at pgdata with pg_ctl (fast shutdown:
// sessions are ended, the checkpoint is written), waiting until it is down.
// Only for an instance pg_autoctl does not restart by itself right away (a
// data node in maintenance): pg_autoctl starts it again.
func (r *Runner) StopPostgres(ctx context.Context, pgdata string) error {
	_, err := r.run(ctx, r.PgCtl(), nil, []string{"stop", "--pgdata", pgdata, "--mode", "fast", "--wait", "--timeout", "120"})
	return err
}

func (r *Runner) run(ctx context.Context, binary string, extraEnv, args []string) (Output, error) {
	name := filepath.Base(binary)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = r.Env(extraEnv...)
	cmd.Dir = r.Home
	if _, err := os.Stat(r.Home); err != nil {
		cmd.Dir = "/"
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if r.switchUser {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: r.UID, Gid: r.GID, Groups: r.Groups}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	err := cmd.Run()
	if cmd.Process != nil && ctx.Err() != nil {
		// Children that ignored SIGTERM must not outlive the module.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	out := Output{Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		if ctx.Err() != nil {
			return out, fmt.Errorf("%s %s interrupted: %w; last log lines:\n%s", name, subcommand(args), ctx.Err(), out.Tail(8))
		}
		return out, fmt.Errorf("%s %s failed (%v); last log lines:\n%s", name, subcommand(args), err, out.Tail(15))
	}
	return out, nil
}

// subcommand names the command without its options (which may hold a URI).
func subcommand(args []string) string {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}
