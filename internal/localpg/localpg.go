// Package localpg talks to the PostgreSQL instance pg_autoctl runs on this
// host, through its Unix socket, as the OS user the module switched to (the
// instance owner: local connections need no password).
package localpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"pgafha/internal/scram"
)

// SocketDirs are where Debian's and upstream PostgreSQL put their sockets.
var SocketDirs = []string{"/var/run/postgresql", "/tmp"}

// Connect opens a session as the postgres superuser on the local instance
// listening on port.
func Connect(ctx context.Context, port int, dbname string) (*pgx.Conn, error) {
	var errs []error
	for _, dir := range SocketDirs {
		cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable connect_timeout=5", dir, port, dbname))
		if err != nil {
			return nil, err
		}
		cfg.RuntimeParams["application_name"] = "pgafha"
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("connect to the local PostgreSQL on port %d: %w", port, errors.Join(errs...))
}

// ConnectWhenReady connects like Connect, retrying while the server is
// starting or restarting (pg_autoctl restarts a standby to apply new
// replication settings, a reload may follow a TLS change), until ctx ends.
func ConnectWhenReady(ctx context.Context, port int, dbname string) (*pgx.Conn, error) {
	for {
		conn, err := Connect(ctx, port, dbname)
		if err == nil {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the local PostgreSQL on port %d to accept connections: %w (last error: %v)", port, ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// PasswordVerifies reports whether role's stored password is a SCRAM
// verifier for password.
func PasswordVerifies(ctx context.Context, conn *pgx.Conn, role, password string) (bool, error) {
	var stored *string
	err := conn.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role).Scan(&stored)
	if err != nil {
		return false, fmt.Errorf("read the stored password of role %s: %w", role, err)
	}
	return stored != nil && scram.Verifies(*stored, password), nil
}

// SetPassword stores a SCRAM verifier computed here, so the clear text
// never reaches the server, and sends it in a Quietly transaction.
func SetPassword(ctx context.Context, conn *pgx.Conn, role, password string) error {
	v, err := scram.New(password, scram.DefaultIterations)
	if err != nil {
		return fmt.Errorf("compute the password verifier of role %s: %w", role, err)
	}
	sql := fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", pgx.Identifier{role}.Sanitize(), v.String())
	if err := Quietly(ctx, conn, sql); err != nil {
		return fmt.Errorf("set the password of role %s: %w", role, err)
	}
	return nil
}

// quietSession keeps a statement out of the server's logs and statistics
// for the transaction that sends it: a verifier is not the password, but
// it allows offline guessing, and pg_auto_failover instances log DDL
// (log_statement = ddl). The caller is a superuser, so it may set these.
var quietSession = []string{
	"SET LOCAL log_statement = 'none'",
	"SET LOCAL log_min_duration_statement = -1",
	"SET LOCAL log_min_error_statement = 'panic'",
	"SET LOCAL pg_stat_statements.track_utility = off",
}

// Quietly runs sql in one transaction whose statements are neither logged
// nor tracked (see quietSession): every statement that carries a password
// or a verifier goes through it.
func Quietly(ctx context.Context, conn *pgx.Conn, sql string) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, q := range quietSession {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		_, err := tx.Exec(ctx, sql)
		return err
	})
}

// FilesNewer lists the files (among paths; empty ones skipped) modified
// after the server last read its configuration files: a reload makes it
// read them again, e.g. renewed TLS certificates at unchanged paths.
func FilesNewer(ctx context.Context, conn *pgx.Conn, paths ...string) ([]string, error) {
	var loaded time.Time
	if err := conn.QueryRow(ctx, "SELECT pg_conf_load_time()").Scan(&loaded); err != nil {
		return nil, fmt.Errorf("read when PostgreSQL last loaded its configuration: %w", err)
	}
	var newer []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		fi, err := os.Stat(p)
		if os.IsNotExist(err) {
			continue // nothing there to read again
		}
		if err != nil {
			return nil, fmt.Errorf("look at %s: %w", p, err)
		}
		if fi.ModTime().After(loaded) {
			newer = append(newer, p)
		}
	}
	return newer, nil
}
