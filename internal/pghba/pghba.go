// Package pghba owns the authentication files of a PostgreSQL instance that
// pg_autoctl created (pg_hba.conf, pg_ident.conf): reading them, changing
// them in memory, and putting a change in force without ever leaving a file
// the server rejects.
package pghba

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"pgafha/internal/localpg"
	"pgafha/internal/pgautoctl"
)

// Files are an instance's authentication files as text.
type Files struct {
	HBA, Ident string
}

// Edit changes Files in memory and reports whether it changed anything.
type Edit func(*Files) bool

// Ensure reads the files at pgdata and applies edits in order. When one of
// them changed something and dryRun is false, it writes the files (the map
// first, so no rule ever names a missing map), asks the running server
// whether it accepts them, puts the previous content back if it does not,
// and reloads. It returns, per edit, whether that edit changed something.
func Ensure(ctx context.Context, pgdata string, port int, dryRun bool, edits ...Edit) ([]bool, error) {
	paths := Files{HBA: filepath.Join(pgdata, "pg_hba.conf"), Ident: filepath.Join(pgdata, "pg_ident.conf")}
	old, err := read(paths)
	if err != nil {
		return nil, err
	}
	f := old
	changed := make([]bool, len(edits))
	any := false
	for i, e := range edits {
		changed[i] = e(&f)
		any = any || changed[i]
	}
	if !any || dryRun {
		return changed, nil
	}
	if err := write(paths, f); err != nil {
		return changed, err
	}
	if !pgautoctl.PostgresRunning(pgdata) {
		// The files apply when the keeper starts PostgreSQL.
		return changed, nil
	}
	conn, err := localpg.ConnectWhenReady(ctx, port, "postgres")
	if err != nil {
		return changed, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Both views read the files on disk, not the ones in force.
	var bad string
	err = conn.QueryRow(ctx, `SELECT concat_ws('; ',
		(SELECT string_agg('pg_hba.conf line ' || line_number || ': ' || error, '; ') FROM pg_hba_file_rules WHERE error IS NOT NULL),
		(SELECT string_agg('pg_ident.conf line ' || line_number || ': ' || error, '; ') FROM pg_ident_file_mappings WHERE error IS NOT NULL))`).Scan(&bad)
	if err != nil {
		return changed, fmt.Errorf("check the new authentication files with PostgreSQL: %w", err)
	}
	if bad != "" {
		if err := write(paths, old); err != nil {
			return changed, fmt.Errorf("PostgreSQL rejects the new authentication files (%s), and putting the previous ones back failed: %w", bad, err)
		}
		return nil, fmt.Errorf("PostgreSQL rejects the new authentication files (%s): previous content restored", bad)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return changed, fmt.Errorf("reload PostgreSQL after changing its authentication files: %w", err)
	}
	return changed, nil
}

func read(paths Files) (Files, error) {
	hba, err := os.ReadFile(paths.HBA)
	if err != nil {
		return Files{}, fmt.Errorf("read %s: %w", paths.HBA, err)
	}
	ident, err := os.ReadFile(paths.Ident)
	if err != nil && !os.IsNotExist(err) {
		return Files{}, fmt.Errorf("read %s: %w", paths.Ident, err)
	}
	return Files{HBA: string(hba), Ident: string(ident)}, nil
}

// write replaces each file whose content differs, keeping its mode.
func write(paths, f Files) error {
	for _, p := range [][2]string{{paths.Ident, f.Ident}, {paths.HBA, f.HBA}} {
		cur, err := os.ReadFile(p[0])
		if err == nil && string(cur) == p[1] {
			continue
		}
		mode := os.FileMode(0o600)
		if fi, err := os.Stat(p[0]); err == nil {
			mode = fi.Mode().Perm()
		}
		if err := os.WriteFile(p[0], []byte(p[1]), mode); err != nil {
			return fmt.Errorf("write %s: %w", p[0], err)
		}
	}
	return nil
}
