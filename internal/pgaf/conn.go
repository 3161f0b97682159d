// Package pgaf reads and drives a pg_auto_failover monitor through its SQL
// API (schema pgautofailover), with pgx. It knows nothing about Ansible.
//
// A Monitor wraps one connection and is not safe for concurrent use;
// Listen opens a second one so a caller can wait for events while querying.
package pgaf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"pgafha/internal/connstr"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotMonitor is returned by Connect when the server answers but its
// database has no pgautofailover extension.
var ErrNotMonitor = errors.New("not a pg_auto_failover monitor")

// ErrAuth is returned by Connect when the server rejects the credentials.
var ErrAuth = errors.New("authentication failed")

// Monitor is a connection to a pg_auto_failover monitor.
type Monitor struct {
	conn    *pgx.Conn
	cfg     *pgx.ConnConfig
	version string
	tls     TLSParams
}

// Connect opens a connection to the monitor at uri and checks that it really
// is a pg_auto_failover monitor. Errors never contain the password.
func Connect(ctx context.Context, uri string) (*Monitor, error) {
	cfg, err := pgx.ParseConfig(uri)
	if err != nil {
		// pgx's message quotes the string with its password masked; mask again in case.
		return nil, fmt.Errorf("parse monitor URI: %s", connstr.Redact(err.Error()))
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "pgafha"
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(cfg, err)
	}
	m := &Monitor{conn: conn, cfg: cfg, tls: TLSOf(uri)}
	if err := m.checkExtension(ctx); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return m, nil
}

// Close ends the connection.
func (m *Monitor) Close(ctx context.Context) error { return m.conn.Close(ctx) }

// Version is the installed pgautofailover extension version, e.g. "2.0".
func (m *Monitor) Version() string { return m.version }

// Target names the server and role in messages: "autoctl_node@127.0.0.1:5432/pg_auto_failover".
func (m *Monitor) Target() string { return target(m.cfg) }

// TLS is what the monitor URI asked of TLS: the formation's other
// connections ask the same.
func (m *Monitor) TLS() TLSParams { return m.tls }

// TLSParams are the libpq TLS settings of a connection string ("" when not set).
type TLSParams struct {
	Mode, RootCert, CRL string
}

// Conninfo renders the set ones as keyword=value pairs, each after a space.
func (t TLSParams) Conninfo() string {
	var b strings.Builder
	for _, kv := range [][2]string{{"sslmode", t.Mode}, {"sslrootcert", t.RootCert}, {"sslcrl", t.CRL}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " %s='%s'", kv[0], strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(kv[1]))
		}
	}
	return b.String()
}

var kvTLS = regexp.MustCompile(`(?:^|\s)(sslmode|sslrootcert|sslcrl)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))`)

// TLSOf returns the TLS settings of a URI or keyword/value connection string.
func TLSOf(conn string) TLSParams {
	var t TLSParams
	set := func(k, v string) {
		switch k {
		case "sslmode":
			t.Mode = v
		case "sslrootcert":
			t.RootCert = v
		case "sslcrl":
			t.CRL = v
		}
	}
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		// Only the query matters; url.Parse would reject some multi-host forms.
		_, query, _ := strings.Cut(conn, "?")
		q, err := url.ParseQuery(query)
		if err != nil {
			return t
		}
		for _, k := range []string{"sslmode", "sslrootcert", "sslcrl"} {
			set(k, q.Get(k))
		}
		return t
	}
	for _, m := range kvTLS.FindAllStringSubmatch(conn, -1) {
		v := m[3]
		if v == "" {
			v = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(m[2])
		}
		set(m[1], v)
	}
	return t
}

// SSLModeOf returns the sslmode set in a URI or keyword/value connection
// string, "" when it sets none.
func SSLModeOf(conn string) string { return TLSOf(conn).Mode }

func target(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

func (m *Monitor) checkExtension(ctx context.Context) error {
	err := m.conn.QueryRow(ctx,
		`select extversion from pg_catalog.pg_extension where extname = 'pgautofailover'`).Scan(&m.version)
	if errors.Is(err, pgx.ErrNoRows) {
		hint := ""
		if m.cfg.Database != "pg_auto_failover" {
			hint = ` (a monitor's database is normally "pg_auto_failover")`
		}
		return fmt.Errorf("%s: %w: database %q has no pgautofailover extension%s",
			m.Target(), ErrNotMonitor, m.cfg.Database, hint)
	}
	if err != nil {
		return fmt.Errorf("check pgautofailover extension on %s: %w", m.Target(), err)
	}
	return nil
}

// connectError words a failed connection for an operator: where, as whom,
// and the server's reason, without the password. It still wraps the cause,
// so errors.Is sees ErrAuth and context.DeadlineExceeded.
func connectError(cfg *pgx.ConnConfig, err error) error {
	reason := err.Error()
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		// pgx's own prefix repeats user and database, which target() says.
		reason = ce.Unwrap().Error()
	}
	reason = dedupLines(reason)
	causes := []error{err}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000") {
		causes = append(causes, ErrAuth)
		reason = ErrAuth.Error() + ": " + pgErr.Message
	}
	return &wrapped{
		msg:    fmt.Sprintf("connect to monitor %s: %s", target(cfg), connstr.Redact(reason)),
		causes: causes,
	}
}

// wrapped is an error with its own wording that still unwraps to its causes.
type wrapped struct {
	msg    string
	causes []error
}

func (e *wrapped) Error() string   { return e.msg }
func (e *wrapped) Unwrap() []error { return e.causes }

// dedupLines joins a multi-line pgx error into one line, dropping repeats
// (pgx reports the same refusal once per TLS and once per plain attempt).
func dedupLines(s string) string {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// FirstContactTimeout bounds the first contact with a monitor in the
// modules that then wait on it, so a wrong address fails in seconds rather
// than at the module's timeout.
const FirstContactTimeout = 15 * time.Second

// ConnectBounded is Connect within FirstContactTimeout; a monitor that does
// not answer in time gets a hint to check the host and port of monitor_uri.
func ConnectBounded(ctx context.Context, uri string) (*Monitor, error) {
	cctx, cancel := context.WithTimeout(ctx, FirstContactTimeout)
	defer cancel()
	m, err := Connect(cctx, uri)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w (no answer within %s: check the host and port of monitor_uri)", err, FirstContactTimeout)
	}
	return m, err
}

// Unreachable tells a monitor that does not answer (yet) from one that
// answers wrongly (authentication, not a monitor, no such formation).
func Unreachable(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, context.DeadlineExceeded)
}
