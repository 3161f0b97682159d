package pgaf

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Event is a row of pgautofailover.event: the monitor's own log of state
// assignments and reports, with a human description.
type Event struct {
	ID            int64     `json:"id"`
	Time          time.Time `json:"time"`
	Formation     string    `json:"formation"`
	NodeID        int64     `json:"node_id"`
	Group         int       `json:"group"`
	Name          string    `json:"name"`
	Host          string    `json:"host"`
	Port          int       `json:"port"`
	ReportedState State     `json:"reported_state"`
	AssignedState State     `json:"assigned_state"`
	Description   string    `json:"description"`
}

// Events returns the formation's last count events, oldest first (as
// `pg_autoctl show events` prints them).
func (m *Monitor) Events(ctx context.Context, formation string, count int) ([]Event, error) {
	// Read the table: the overloads of last_events() make an untyped call ambiguous.
	rows, err := m.conn.Query(ctx, `select * from (
		select eventid, eventtime, formationid, nodeid, groupid, nodename, nodehost, nodeport,
		       reportedstate::text, goalstate::text, coalesce(description, '')
		  from pgautofailover.event where formationid = $1
		 order by eventid desc limit $2) e order by eventid`, formation, count)
	if err != nil {
		return nil, fmt.Errorf("read events of formation %q: %w", formation, err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		var reported, assigned string
		err := r.Scan(&e.ID, &e.Time, &e.Formation, &e.NodeID, &e.Group, &e.Name, &e.Host, &e.Port,
			&reported, &assigned, &e.Description)
		e.ReportedState, e.AssignedState = State(reported), State(assigned)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read events of formation %q: %w", formation, err)
	}
	return events, nil
}
