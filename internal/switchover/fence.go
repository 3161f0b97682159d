package switchover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"pgafha/internal/localpg"
)

// Fence refuses writes on the local primary. It persists in
// postgresql.auto.conf (it must survive a restart of PostgreSQL during the
// demotion), so a marker file beside pg_autoctl's state records that it
// is ours: a run that died half-way is finished by the next one.
type Fence struct {
	Port   int
	Marker string
}

// MarkerFile is the marker's name, in the directory of pg_autoctl's state
// file (outside PGDATA: pg_rewind and pg_basebackup never copy it).
const MarkerFile = "pgafha-switchover-fence.json"

// NewFence returns the fence of the instance on port whose pg_autoctl
// state file is statePath.
func NewFence(port int, statePath string) Fence {
	return Fence{Port: port, Marker: filepath.Join(filepath.Dir(statePath), MarkerFile)}
}

// markerInfo is what the marker file holds, for an operator who finds it.
type markerInfo struct {
	RaisedAt time.Time `json:"raised_at"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Note     string    `json:"note"`
}

// Present reports whether a fence of ours may be in force.
func (f Fence) Present() (bool, error) {
	_, err := os.Stat(f.Marker)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for the switchover fence marker %s: %w", f.Marker, err)
	}
	return true, nil
}

// LeftoverLifted is the warning a module gives after LiftLeftover lifted a fence.
const LeftoverLifted = "lifted the write fence (default_transaction_read_only=on) that an interrupted switchover had left on this node"

// LiftLeftover lifts a fence that a run which died half-way left in force,
// and reports whether there was one (in dry run: whether there is one to
// lift). Call it only with the group at rest: no switchover is in progress.
func (f Fence) LiftLeftover(ctx context.Context, dryRun bool) (bool, error) {
	present, err := f.Present()
	if err != nil || !present || dryRun {
		return present, err
	}
	if err := f.Lift(ctx); err != nil {
		return true, fmt.Errorf("lift the write fence an interrupted switchover left: %w", err)
	}
	return true, nil
}

// closeTimeout bounds closing a local session.
const closeTimeout = 2 * time.Second

// Raised is what raising the fence did.
type Raised struct {
	At time.Time
	// Terminated is how many sessions from before the fence were ended.
	Terminated int
}

// Raise makes every new transaction read-only, waits until a new session
// sees it, then ends every client session that started before (their open
// transactions may be read-write). Sessions of pg_autoctl and of the
// monitor's health checks are left alone: they never write application data.
func (f Fence) Raise(ctx context.Context, from, to string) (Raised, error) {
	r := Raised{At: time.Now()}
	info, err := json.Marshal(markerInfo{RaisedAt: r.At.UTC(), From: from, To: to,
		Note: "written by pgaf_switchover: default_transaction_read_only=on in postgresql.auto.conf is its write fence; the next pgaf_switchover run lifts it"})
	if err != nil {
		return r, err
	}
	// The marker first: if this process dies right after ALTER SYSTEM, the
	// next run must still know the fence is ours.
	if err := writeFileSync(f.Marker, info); err != nil {
		return r, fmt.Errorf("write the switchover fence marker: %w", err)
	}
	if err := f.set(ctx, true); err != nil {
		return r, err
	}
	conn, err := f.awaitReadOnlySession(ctx)
	if err != nil {
		return r, err
	}
	defer closeQuietly(conn)
	// backend_start of this session is after the reload took effect in the
	// postmaster: every session started since is read-only by default.
	if err := conn.QueryRow(ctx, `select count(*) filter (where pg_terminate_backend(pid, 5000)) from (`+sessionsBeforeFence+`) s`).Scan(&r.Terminated); err != nil {
		return r, fmt.Errorf("end the sessions that started before the write fence: %w", err)
	}
	// One that outlived its termination could still commit, unfenced.
	var left int
	if err := conn.QueryRow(ctx, `select count(*) from (`+sessionsBeforeFence+`) s`).Scan(&left); err != nil {
		return r, fmt.Errorf("check the sessions that started before the write fence: %w", err)
	}
	if left > 0 {
		return r, fmt.Errorf("%d client sessions that started before the write fence did not end within 5 s of pg_terminate_backend", left)
	}
	return r, nil
}

// sessionsBeforeFence selects the client sessions that started before the
// querying session, other than pg_autoctl's and the monitor's health checks.
const sessionsBeforeFence = `
	select pid from pg_stat_activity
	 where backend_type = 'client backend'
	   and pid <> pg_backend_pid()
	   and backend_start < (select backend_start from pg_stat_activity where pid = pg_backend_pid())
	   and usename is distinct from 'pgautofailover_monitor'
	   and coalesce(application_name, '') not like 'pg_autoctl%'`

// awaitReadOnlySession returns a new session once new sessions start
// read-only (the postmaster applies a reload asynchronously).
func (f Fence) awaitReadOnlySession(ctx context.Context) (*pgx.Conn, error) {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		conn, err := localpg.Connect(wctx, f.Port, "postgres")
		if err != nil {
			return nil, fmt.Errorf("check the write fence: %w", err)
		}
		var v string
		if err := conn.QueryRow(wctx, "show default_transaction_read_only").Scan(&v); err != nil {
			closeQuietly(conn)
			return nil, fmt.Errorf("check the write fence: %w", err)
		}
		if v == "on" {
			return conn, nil
		}
		closeQuietly(conn)
		select {
		case <-wctx.Done():
			return nil, fmt.Errorf("new sessions still start read-write after the reload: %w", wctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Lift makes new transactions read-write again (the value pg_auto_failover
// gives a node it promotes) and removes the marker. It is idempotent.
func (f Fence) Lift(ctx context.Context) error {
	if err := f.set(ctx, false); err != nil {
		return err
	}
	if err := os.Remove(f.Marker); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove the switchover fence marker: %w", err)
	}
	return nil
}

// set writes default_transaction_read_only into postgresql.auto.conf and
// reloads. ALTER SYSTEM is allowed in a read-only transaction and on a
// standby: it writes a file, no WAL.
func (f Fence) set(ctx context.Context, readOnly bool) error {
	conn, err := localpg.Connect(ctx, f.Port, "postgres")
	if err != nil {
		return fmt.Errorf("connect to set the write fence: %w", err)
	}
	defer closeQuietly(conn)
	value := "off"
	if readOnly {
		value = "on"
	}
	if _, err := conn.Exec(ctx, "alter system set default_transaction_read_only = "+value); err != nil {
		return fmt.Errorf("set default_transaction_read_only = %s: %w", value, err)
	}
	if _, err := conn.Exec(ctx, "select pg_reload_conf()"); err != nil {
		return fmt.Errorf("reload after setting default_transaction_read_only = %s: %w", value, err)
	}
	return nil
}

// AwaitStandbyFlush waits until every standby whose walreceiver reports
// as one of the application names standbys has flushed everything this
// primary has flushed: every commit it acknowledged and every commit of a
// session the fence ended. It returns that LSN.
func (f Fence) AwaitStandbyFlush(ctx context.Context, standbys []string) (string, error) {
	conn, err := localpg.Connect(ctx, f.Port, "postgres")
	if err != nil {
		return "", fmt.Errorf("connect to compare WAL positions: %w", err)
	}
	defer closeQuietly(conn)
	var lsn string
	if err := conn.QueryRow(ctx, "select pg_current_wal_flush_lsn()::text").Scan(&lsn); err != nil {
		return "", fmt.Errorf("read the primary's flushed WAL position: %w", err)
	}
	for {
		// The last position each standby reported, and whether it has lsn.
		at, flushed := map[string]string{}, map[string]bool{}
		var name, pos string
		var done bool
		// Query's error comes back through ForEachRow.
		rows, _ := conn.Query(ctx, `select application_name, coalesce(flush_lsn >= $1::pg_lsn, false), coalesce(flush_lsn::text, '')
			from pg_stat_replication where application_name = any($2)`, lsn, standbys)
		if _, err := pgx.ForEachRow(rows, []any{&name, &done, &pos}, func() error {
			at[name], flushed[name] = pos, flushed[name] || done
			return nil
		}); err != nil {
			return lsn, fmt.Errorf("read the standbys' flushed WAL positions: %w", err)
		}
		behind := slices.DeleteFunc(slices.Clone(standbys), func(s string) bool { return flushed[s] })
		if len(behind) == 0 {
			return lsn, nil
		}
		select {
		case <-ctx.Done():
			var why []string
			for _, s := range behind {
				seen := "not streaming"
				if at[s] != "" {
					seen = "flushed up to " + at[s]
				}
				why = append(why, s+" "+seen)
			}
			return lsn, fmt.Errorf("not every standby has flushed the primary's WAL up to %s (%s): %w", lsn, strings.Join(why, ", "), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// StandbyName is the application name under which pg_auto_failover's
// standby with node id streams from the primary.
func StandbyName(id int64) string { return fmt.Sprintf("pgautofailover_standby_%d", id) }

func writeFileSync(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

func closeQuietly(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_ = conn.Close(ctx)
}
