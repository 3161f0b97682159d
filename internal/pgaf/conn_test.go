package pgaf

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestSSLModeOf(t *testing.T) {
	tests := map[string]string{
		"postgres://u@h:5432/db?sslmode=require":                                         "require",
		"postgresql://u:p@h1,h2/db?sslmode=verify-full&x=1":                              "verify-full",
		"postgres://u@h1:5432,h2:5433/db?sslmode=prefer&target_session_attrs=read-write": "prefer",
		"postgres://u@h/db": "",
		"host=h dbname=pg_auto_failover sslmode=disable": "disable",
		"host=h sslmode = 'verify-ca' password=secret":   "verify-ca",
		"host=h dbname=d": "",
	}
	for in, want := range tests {
		if got := SSLModeOf(in); got != want {
			t.Errorf("SSLModeOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConnectErrorWording(t *testing.T) {
	cfg, err := pgx.ParseConfig("postgres://reader:s3cret-pw@127.0.0.1:5432/pg_auto_failover")
	if err != nil {
		t.Fatal(err)
	}
	auth := connectError(cfg, &pgconn.PgError{Code: "28P01", Message: `password authentication failed for user "reader"`})
	if !errors.Is(auth, ErrAuth) {
		t.Errorf("auth error does not wrap ErrAuth: %v", auth)
	}
	want := `connect to monitor reader@127.0.0.1:5432/pg_auto_failover: authentication failed: password authentication failed for user "reader"`
	if auth.Error() != want {
		t.Errorf("auth error = %q\nwant %q", auth, want)
	}
	timeout := connectError(cfg, errors.Join(errors.New("dial: i/o timeout\ndial: i/o timeout"), context.DeadlineExceeded))
	if !errors.Is(timeout, context.DeadlineExceeded) {
		t.Errorf("timeout error does not wrap context.DeadlineExceeded: %v", timeout)
	}
	if strings.Count(timeout.Error(), "i/o timeout") != 1 || strings.Contains(timeout.Error(), "\n") {
		t.Errorf("repeated or multi-line reason: %q", timeout)
	}
	for _, e := range []error{auth, timeout} {
		if strings.Contains(e.Error(), "s3cret-pw") {
			t.Errorf("password in error: %q", e)
		}
	}
}

func TestConnectRejectsBadURIWithoutPassword(t *testing.T) {
	_, err := Connect(context.Background(), "postgres://reader:s3cret-pw@[::1/pg_auto_failover")
	if err == nil {
		t.Fatal("no error for a malformed URI")
	}
	if strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), "parse monitor URI") {
		t.Errorf("error = %q", err)
	}
}

func TestWithDetailKeepsTheMonitorsReason(t *testing.T) {
	err := withDetail(&pgconn.PgError{Code: "22023", Message: `invalid value for number_sync_standbys: "1"`,
		Detail: "At least 2 standby nodes are required, and only 1 are currently participating in the replication quorum"})
	want := `invalid value for number_sync_standbys: "1": At least 2 standby nodes are required, and only 1 are currently participating in the replication quorum`
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "22023" {
		t.Error("the PgError is no longer reachable with errors.As")
	}
}

func TestPrimaryErrorMapsNoWritableNode(t *testing.T) {
	err := primaryError(&pgconn.PgError{Code: "XX000", Message: "group has no writable node right now"})
	if !errors.Is(err, ErrNoPrimary) {
		t.Errorf("%v does not wrap ErrNoPrimary", err)
	}
	other := primaryError(&pgconn.PgError{Code: "42P17", Message: "something else"})
	if errors.Is(other, ErrNoPrimary) {
		t.Errorf("%v wraps ErrNoPrimary", other)
	}
}

func TestTLSOf(t *testing.T) {
	for conn, want := range map[string]TLSParams{
		"postgres://autoctl_node@10.0.0.10:5432/pg_auto_failover?sslmode=verify-full&sslrootcert=/t/ca.crt": {Mode: "verify-full", RootCert: "/t/ca.crt"},
		"postgres://h1:5432,h2:5432/app?target_session_attrs=read-write&sslmode=require":                    {Mode: "require"},
		`host=h sslmode=verify-ca sslrootcert='/a b/ca\'s.crt' sslcrl=/t/crl.pem`:                           {Mode: "verify-ca", RootCert: `/a b/ca's.crt`, CRL: "/t/crl.pem"},
		"host=h dbname=x": {},
	} {
		if got := TLSOf(conn); got != want {
			t.Errorf("TLSOf(%q) = %+v, want %+v", conn, got, want)
		}
	}
	p := TLSParams{Mode: "verify-full", RootCert: `/a b/ca's.crt`}
	if got, want := p.Conninfo(), ` sslmode='verify-full' sslrootcert='/a b/ca\'s.crt'`; got != want {
		t.Errorf("Conninfo = %q, want %q", got, want)
	}
	if got := TLSOf("host=h" + p.Conninfo()); got != p {
		t.Errorf("round trip: %+v", got)
	}
}
