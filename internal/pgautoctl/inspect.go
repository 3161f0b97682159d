package pgautoctl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DataState says what a PGDATA directory holds.
type DataState string

const (
	DataMissing DataState = "missing" // the directory does not exist
	DataEmpty   DataState = "empty"   // exists, nothing in it
	DataCluster DataState = "cluster" // a PostgreSQL cluster (PG_VERSION present)
	DataOther   DataState = "other"   // files, but not a PostgreSQL cluster
)

// Local is what exists on this host for one PGDATA: pg_autoctl's files, the
// data directory, and whether pg_autoctl runs for it.
type Local struct {
	PGData    string
	Paths     Paths
	Config    Config // nil when pg_autoctl has no config for this PGDATA
	Data      DataState
	PGVersion string // content of PG_VERSION
	// InitPending: pg_autoctl.init exists, i.e. a `pg_autoctl create` of a
	// data node started and did not finish.
	InitPending bool
	HasState    bool
	// ServicePID is the running `pg_autoctl` for this PGDATA (0: none).
	ServicePID int
}

// Inspect observes what exists for pgdata without changing anything.
func (r *Runner) Inspect(ctx context.Context, pgdata string) (Local, error) {
	if !filepath.IsAbs(pgdata) {
		return Local{}, fmt.Errorf("pgdata %q must be an absolute path", pgdata)
	}
	pgdata = filepath.Clean(pgdata)
	// pg_autoctl keys its files by the resolved path.
	if real, err := filepath.EvalSymlinks(pgdata); err == nil {
		pgdata = real
	}
	l := Local{PGData: pgdata, Paths: r.PathsFor(pgdata)}
	var err error
	if l.Config, err = ReadConfig(ctx, l.Paths.Config); err != nil {
		return l, err
	}
	if l.Data, err = dataState(pgdata); err != nil {
		return l, err
	}
	if l.Data == DataCluster {
		v, _ := os.ReadFile(filepath.Join(pgdata, "PG_VERSION"))
		l.PGVersion = strings.TrimSpace(string(v))
	}
	l.InitPending = exists(l.Paths.Init)
	l.HasState = exists(l.Paths.State)
	l.ServicePID = livePgAutoctl(l.Paths.PID)
	return l, nil
}

func dataState(pgdata string) (DataState, error) {
	entries, err := os.ReadDir(pgdata)
	switch {
	case os.IsNotExist(err):
		return DataMissing, nil
	case err != nil:
		return "", fmt.Errorf("read pgdata %s: %w", pgdata, err)
	case len(entries) == 0:
		return DataEmpty, nil
	case exists(filepath.Join(pgdata, "PG_VERSION")):
		return DataCluster, nil
	}
	return DataOther, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// livePgAutoctl returns the PID recorded in pidFile when that process is
// alive and is pg_autoctl (a stale file after a crash or reboot is ignored,
// as pg_autoctl itself ignores it).
func livePgAutoctl(pidFile string) int {
	pid := readPID(pidFile)
	if pid == 0 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "pg_autoctl") {
		return 0
	}
	return pid
}

// PostgresRunning reports whether the postmaster of pgdata is alive.
func PostgresRunning(pgdata string) bool {
	pid := readPID(filepath.Join(pgdata, "postmaster.pid"))
	return pid != 0 && exists(fmt.Sprintf("/proc/%d", pid))
}

// readPID returns the PID on the first line of a PID file, 0 when the file
// is missing or holds no valid PID.
func readPID(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// LocalNode is this data node as its own state file records it.
type LocalNode struct {
	NodeID        int64  `json:"node_id"`
	GroupID       int    `json:"group_id"`
	Name          string `json:"nodename"`
	Host          string `json:"nodehost"`
	Port          int    `json:"nodeport"`
	CurrentState  string `json:"current_group_state"`
	AssignedState string `json:"assigned_group_state"`
}

// ShowLocalState reads the keeper's state file through pg_autoctl (the file
// is binary), without contacting the monitor.
func (r *Runner) ShowLocalState(ctx context.Context, pgdata string) (LocalNode, error) {
	// pg_autoctl parses its config first: it may catch it mid-rewrite too.
	var out Output
	var err error
	untilRewritten(ctx, func() bool {
		out, err = r.Run(ctx, nil, "show", "state", "--local", "--json", "--pgdata", pgdata)
		return err != nil && strings.Contains(err.Error(), "Failed to parse configuration file")
	})
	if err != nil {
		return LocalNode{}, fmt.Errorf("read local node state: %w", err)
	}
	var n LocalNode
	if err := json.Unmarshal([]byte(out.Stdout), &n); err != nil {
		return LocalNode{}, fmt.Errorf("read local node state: unexpected output %q: %w", firstLine(out.Stdout), err)
	}
	return n, nil
}

// ConfigSet changes one setting with `pg_autoctl config set`, which
// validates it; a running pg_autoctl picks it up on reload.
func (r *Runner) ConfigSet(ctx context.Context, pgdata, key, value string) error {
	if _, err := r.Run(ctx, nil, "config", "set", "--pgdata", pgdata, key, value); err != nil {
		return fmt.Errorf("set %s in the pg_autoctl config: %w", key, err)
	}
	return nil
}

// Reload asks the running pg_autoctl to re-read its configuration.
func (r *Runner) Reload(ctx context.Context, pgdata string) error {
	if _, err := r.Run(ctx, nil, "reload", "--pgdata", pgdata); err != nil {
		return fmt.Errorf("reload pg_autoctl: %w", err)
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 120 {
		l = l[:120]
	}
	return l
}
