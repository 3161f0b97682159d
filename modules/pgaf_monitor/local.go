package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

func extensionVersion(ctx context.Context, conn *pgx.Conn) (string, error) {
	var v string
	err := conn.QueryRow(ctx, "SELECT extversion FROM pg_extension WHERE extname = 'pgautofailover'").Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up the pgautofailover extension: %w", err)
	}
	return v, nil
}

func loadGUCs(ctx context.Context, conn *pgx.Conn) (map[string]guc, error) {
	rows, err := conn.Query(ctx, `SELECT name, setting, coalesce(unit, ''), vartype, coalesce(min_val, ''), coalesce(max_val, ''), context
		FROM pg_settings WHERE name LIKE 'pgautofailover.%'`)
	if err != nil {
		return nil, fmt.Errorf("read the monitor's settings: %w", err)
	}
	out := map[string]guc{}
	for rows.Next() {
		var g guc
		if err := rows.Scan(&g.Name, &g.Setting, &g.Unit, &g.VarType, &g.Min, &g.Max, &g.Context); err != nil {
			return nil, fmt.Errorf("read the monitor's settings: %w", err)
		}
		out[g.Name] = g
	}
	return out, rows.Err()
}

// applySettings persists the changes with ALTER SYSTEM, reloads, and waits
// until the server reports the new values, so the result tells the truth.
// altered says whether anything was persisted, even when it then failed.
func applySettings(ctx context.Context, conn *pgx.Conn, changes []settingChange) (altered bool, err error) {
	for _, c := range changes {
		sql := fmt.Sprintf("ALTER SYSTEM SET %s = '%s'", c.Name, strings.ReplaceAll(c.To, "'", "''"))
		if _, err := conn.Exec(ctx, sql); err != nil {
			return altered, fmt.Errorf("ALTER SYSTEM SET %s: %w", c.Name, err)
		}
		altered = true
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return altered, fmt.Errorf("reload the monitor's configuration: %w", err)
	}
	for {
		current, err := loadGUCs(ctx, conn)
		if err != nil {
			return altered, err
		}
		pending := ""
		for _, c := range changes {
			if current[c.Name].Setting != c.To {
				pending = c.Name
			}
		}
		if pending == "" {
			return altered, nil
		}
		select {
		case <-ctx.Done():
			return altered, fmt.Errorf("wait for the reloaded %s: %w", pending, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
