package pgaf

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNoFormation is returned when the monitor has no formation of that name.
var ErrNoFormation = errors.New("no such formation")

// ErrNoPrimary is returned by Primary while a group has no primary (during
// a failover, or before the first node registered).
var ErrNoPrimary = errors.New("no primary")

// Formation is a row of pgautofailover.formation.
type Formation struct {
	Name string `json:"name"`
	// Kind is "pgsql" for plain PostgreSQL formations.
	Kind   string `json:"kind"`
	DBName string `json:"dbname"`
	// OptSecondary: whether standbys may be added (enable/disable secondary).
	OptSecondary       bool `json:"opt_secondary"`
	NumberSyncStandbys int  `json:"number_sync_standbys"`
}

// Formation reads one formation's settings; ErrNoFormation (with the
// names that do exist) when it is missing.
func (m *Monitor) Formation(ctx context.Context, name string) (Formation, error) {
	f := Formation{Name: name}
	err := m.conn.QueryRow(ctx, `select kind, dbname::text, opt_secondary, number_sync_standbys
		from pgautofailover.formation where formationid = $1`, name).
		Scan(&f.Kind, &f.DBName, &f.OptSecondary, &f.NumberSyncStandbys)
	if errors.Is(err, pgx.ErrNoRows) {
		names, lerr := m.FormationNames(ctx)
		if lerr != nil {
			return f, fmt.Errorf("formation %q: %w", name, ErrNoFormation)
		}
		return f, fmt.Errorf("formation %q: %w on monitor %s (it has: %s)", name, ErrNoFormation, m.Target(), strings.Join(names, ", "))
	}
	if err != nil {
		return f, fmt.Errorf("read formation %q: %w", name, err)
	}
	return f, nil
}

// FormationNames lists the monitor's formations, sorted.
func (m *Monitor) FormationNames(ctx context.Context) ([]string, error) {
	rows, err := m.conn.Query(ctx, `select formationid from pgautofailover.formation order by 1`)
	if err != nil {
		return nil, fmt.Errorf("list formations: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list formations: %w", err)
	}
	return names, nil
}

// FormationURI is the multi-host connection string applications use
// (target_session_attrs=read-write). sslmode "" means the TLS settings the
// monitor URI uses (sslmode, and the CA and CRL files of a verifying mode),
// else "prefer" as pg_autoctl does. The URI carries no password.
func (m *Monitor) FormationURI(ctx context.Context, formation, sslmode string) (string, error) {
	t := TLSParams{Mode: sslmode}
	if sslmode == "" {
		t = m.tls
	}
	if t.Mode == "" {
		t.Mode = "prefer"
	}
	var uri *string
	err := m.conn.QueryRow(ctx, `select pgautofailover.formation_uri($1, 'default', $2, $3, $4)`, formation, t.Mode, t.RootCert, t.CRL).Scan(&uri)
	if err != nil {
		return "", fmt.Errorf("formation URI of %q: %w", formation, err)
	}
	if uri == nil {
		return "", fmt.Errorf("formation URI of %q: monitor returned none", formation)
	}
	return *uri, nil
}

// Primary asks the monitor which node of the group is primary; ErrNoPrimary
// when there is none right now.
func (m *Monitor) Primary(ctx context.Context, formation string, group int) (Node, error) {
	var id *int64
	err := m.conn.QueryRow(ctx, `select primary_node_id from pgautofailover.get_primary($1, $2)`, formation, group).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && id == nil) {
		return Node{}, fmt.Errorf("formation %q group %d: %w", formation, group, ErrNoPrimary)
	}
	if err != nil {
		return Node{}, fmt.Errorf("primary of formation %q group %d: %w", formation, group, primaryError(err))
	}
	n, err := scanNode(m.conn.QueryRow(ctx, `select `+nodeColumns+` from pgautofailover.node where nodeid = $1`, *id))
	if err != nil {
		return Node{}, fmt.Errorf("read primary node %d: %w", *id, err)
	}
	return n, nil
}

// primaryError maps the monitor's "no primary" exception to ErrNoPrimary.
func primaryError(err error) error {
	// The monitor raises a plain internal error (XX000) for this case.
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.Contains(pgErr.Message, "no writable node") {
		return &wrapped{msg: ErrNoPrimary.Error() + ": " + pgErr.Message, causes: []error{ErrNoPrimary, err}}
	}
	return withDetail(err)
}

// SyncStandbyNames is the synchronous_standby_names value the monitor
// computes for the group's primary, e.g. "ANY 1 (pgautofailover_standby_2)";
// "" means replication is asynchronous.
func (m *Monitor) SyncStandbyNames(ctx context.Context, formation string, group int) (string, error) {
	var s *string
	err := m.conn.QueryRow(ctx, `select pgautofailover.synchronous_standby_names($1, $2)`, formation, group).Scan(&s)
	if err != nil {
		return "", fmt.Errorf("synchronous_standby_names of formation %q group %d: %w", formation, group, err)
	}
	if s == nil {
		return "", nil
	}
	return *s, nil
}
