package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"pgafha/internal/ansible"
	"pgafha/internal/connstr"
	"pgafha/internal/scram"
)

// session is the connection to the primary plus what the module needs to
// know about it.
type session struct {
	conn       *pgx.Conn
	server     string // address actually reached (multi-host URIs try several)
	user       string
	superuser  bool
	iterations int // for new verifiers: the server's own setting where it has one
	encrypted  bool
	local      bool
}

// A host that does not answer must not eat the whole run's timeout before a
// multi-host URI gets to try the next one.
const defaultConnectTimeout = 10 * time.Second

func connect(ctx context.Context, uri, password string, overridePassword bool) (*session, error) {
	cfg, err := pgx.ParseConfig(uri)
	if err != nil {
		return nil, fmt.Errorf("option login_uri is not a valid libpq connection string: %w", hide(err, uri, password))
	}
	if overridePassword {
		// One password serves every host of a multi-host URI.
		cfg.Password = password
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "pgaf_database"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL as %q: %w", cfg.User, hide(err, uri, password))
	}
	s := &session{conn: conn}
	if err := s.inspect(ctx); err != nil {
		s.close(ctx)
		return nil, err
	}
	return s, nil
}

// inspect learns who we are and where we landed, and refuses a standby:
// every change would fail there, and --check would predict against a
// replica that may lag the primary.
func (s *session) inspect(ctx context.Context) error {
	raw := s.conn.PgConn().Conn()
	_, s.encrypted = raw.(*tls.Conn)
	addr := raw.RemoteAddr()
	s.server = addr.String()
	s.local = isLocal(addr)

	var inRecovery bool
	var iterations *string
	err := s.conn.QueryRow(ctx, `SELECT current_user, r.rolsuper, pg_is_in_recovery(),
		current_setting('scram_iterations', true)
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&s.user, &s.superuser, &inRecovery, &iterations)
	if err != nil {
		return fmt.Errorf("inspect the session on %s: %w", s.server, err)
	}
	if inRecovery {
		return fmt.Errorf("the server reached through login_uri (%s) is a standby in recovery; "+
			"give a URI that reaches the primary, e.g. the formation URI with target_session_attrs=read-write", s.server)
	}
	s.iterations = scram.DefaultIterations
	if iterations != nil {
		if n, err := strconv.Atoi(*iterations); err == nil && n > 0 && n <= scram.MaxIterations {
			s.iterations = n
		}
	}
	return nil
}

func isLocal(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.UnixAddr:
		return true
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	}
	return false
}

func (s *session) warnings() []string {
	if s.encrypted || s.local {
		return nil
	}
	return []string{fmt.Sprintf("the connection to %s is not encrypted: the password verifier crosses the network in clear text; "+
		"use sslmode=require (or verify-full) in login_uri", s.server)}
}

func (s *session) close(ctx context.Context) {
	// The run's context may already be spent; a goodbye gets a short grace.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = s.conn.Close(ctx)
}

// hiddenError keeps the chain (errors.Is on deadlines, SQLSTATE checks) but
// not the text: pgx messages can echo the connection string.
type hiddenError struct {
	msg string
	err error
}

func (e *hiddenError) Error() string { return e.msg }
func (e *hiddenError) Unwrap() error { return e.err }

// hide rewrites err's message without the connection string, its
// password, or the login password.
func hide(err error, uri, password string) error {
	msg := err.Error()
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		// "cannot parse `<uri, best-effort redacted>`: reason": keep the reason.
		if i := strings.Index(msg, "`: "); strings.HasPrefix(msg, "cannot parse `") && i > 0 {
			msg = msg[i+3:]
		}
	}
	if uri != "" {
		msg = strings.ReplaceAll(msg, strconv.Quote(uri), "<login_uri>")
		msg = strings.ReplaceAll(msg, uri, "<login_uri>")
	}
	if len(password) >= 3 {
		msg = strings.ReplaceAll(msg, password, ansible.Masked)
	}
	return &hiddenError{msg: connstr.Redact(msg), err: err}
}
