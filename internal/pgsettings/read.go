package pgsettings

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Read returns the named settings (lower-case) as the instance behind conn
// has them; names it does not know are left out.
func Read(ctx context.Context, conn *pgx.Conn, names []string) (map[string]Current, error) {
	rows, err := conn.Query(ctx, `
		SELECT s.name, s.setting, current_setting(s.name), coalesce(s.unit, ''), s.context, s.vartype,
		       coalesce(s.enumvals, '{}'), s.min_val, s.max_val, s.pending_restart,
		       (SELECT f.setting FROM pg_file_settings f
		         WHERE f.name = s.name AND f.sourcefile = current_setting('data_directory') || '/postgresql.auto.conf'
		         ORDER BY f.seqno DESC LIMIT 1)
		  FROM pg_settings s WHERE s.name = ANY($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("read pg_settings: %w", err)
	}
	have := map[string]Current{}
	for rows.Next() {
		var c Current
		var minVal, maxVal *string
		if err := rows.Scan(&c.Name, &c.Setting, &c.Shown, &c.Unit, &c.Context, &c.Vartype,
			&c.EnumVals, &minVal, &maxVal, &c.PendingRestart, &c.Written); err != nil {
			return nil, fmt.Errorf("read pg_settings: %w", err)
		}
		c.Min, c.Max = parseBound(minVal), parseBound(maxVal)
		have[c.Name] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pg_settings: %w", err)
	}
	return have, nil
}

func parseBound(s *string) *float64 {
	if s == nil {
		return nil
	}
	f, err := strconv.ParseFloat(*s, 64)
	if err != nil {
		return nil
	}
	return &f
}

// Write stores each change that needs it with ALTER SYSTEM (which the
// server validates again) and asks the server to reload. ALTER SYSTEM
// cannot run inside a transaction: a value refused half-way leaves the
// earlier ones written, which the error says.
func Write(ctx context.Context, conn *pgx.Conn, changes []Change) error {
	var done []string
	for _, c := range changes {
		if !c.Write {
			continue
		}
		// The value is a quoted literal: ALTER SYSTEM takes strings for every type.
		sql := fmt.Sprintf("ALTER SYSTEM SET %s = %s", pgx.Identifier{c.Name}.Sanitize(), quoteLiteral(c.To))
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("ALTER SYSTEM SET %s (already written: %v): %w", c.Name, done, err)
		}
		done = append(done, c.Name)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("reload the configuration: %w", err)
	}
	return nil
}

// AwaitReload waits until a new session sees every reloadable change in
// force (the postmaster rereads its files asynchronously after
// pg_reload_conf) and a postmaster change flagged pending_restart; it
// returns every wanted setting as that session sees it.
func AwaitReload(ctx context.Context, connect func(context.Context) (*pgx.Conn, error), changes []Change, want map[string]string) (map[string]Current, error) {
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	for {
		have, err := readFresh(ctx, connect, names)
		if err != nil {
			return nil, err
		}
		if missing := notApplied(changes, have, want); len(missing) == 0 {
			return have, nil
		} else if ctx.Err() != nil {
			return nil, fmt.Errorf("wait for the reload to apply %v: %w", missing, ctx.Err())
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func readFresh(ctx context.Context, connect func(context.Context) (*pgx.Conn, error), names []string) (map[string]Current, error) {
	conn, err := connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return Read(ctx, conn, names)
}

// notApplied lists the changes a reload has not put in force yet.
func notApplied(changes []Change, have map[string]Current, want map[string]string) []string {
	var missing []string
	for _, c := range changes {
		cur := have[c.Name]
		if c.Action == Restart {
			if !cur.PendingRestart {
				if ok, _ := Equal(cur.Meta, cur.Setting, want[c.Name]); !ok {
					missing = append(missing, c.Name)
				}
			}
			continue
		}
		if ok, _ := Equal(cur.Meta, cur.Setting, want[c.Name]); !ok || cur.PendingRestart {
			missing = append(missing, c.Name)
		}
	}
	return missing
}

// Pending lists the wanted settings not in force on the instance: after a
// restart, this must be empty.
func Pending(have map[string]Current, want map[string]string) []string {
	var out []string
	for name, v := range want {
		cur, ok := have[name]
		if !ok {
			out = append(out, name)
			continue
		}
		if same, _ := Equal(cur.Meta, cur.Setting, v); !same || cur.PendingRestart {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// CheckLibraries fails when a shared_preload_libraries value names a library
// the server's package library directory (pg_config's PKGLIBDIR) does not
// hold: checked before anything is written.
func CheckLibraries(ctx context.Context, conn *pgx.Conn, value string) error {
	var libdir string
	if err := conn.QueryRow(ctx, `SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'`).Scan(&libdir); err != nil {
		return fmt.Errorf("find the server's library directory: %w", err)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if missing := MissingLibraries(value, libdir, exists); len(missing) > 0 {
		return fmt.Errorf("settings.shared_preload_libraries: %s not found in %s: PostgreSQL would not start with it, and pg_autoctl does not retry a failed start (install the extension's package first)", strings.Join(missing, ", "), libdir)
	}
	return nil
}
