package pgaf

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Node is one data node as the monitor records it (table pgautofailover.node).
type Node struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Formation string `json:"formation"`
	Group     int    `json:"group"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	// ReportedState is what the node's keeper last said it is;
	// AssignedState is the goal the monitor gave it. They differ while a
	// transition is in progress.
	ReportedState     State  `json:"reported_state"`
	AssignedState     State  `json:"assigned_state"`
	Health            Health `json:"health"`
	CandidatePriority int    `json:"candidate_priority"`
	ReplicationQuorum bool   `json:"replication_quorum"`
	LSN               string `json:"lsn"`
	Timeline          int    `json:"timeline"`
	// PgIsRunning and ReplicationState (sync, async, quorum, …) as the keeper reported them.
	PgIsRunning      bool      `json:"pg_is_running"`
	ReplicationState string    `json:"replication_state"`
	Cluster          string    `json:"cluster"`
	ReportedAt       time.Time `json:"reported_at"`
	HealthCheckedAt  time.Time `json:"health_checked_at"`
	StateChangedAt   time.Time `json:"state_changed_at"`
	// ReportAge is how long ago the keeper last reported, measured on the
	// monitor's own clock so that clock skew between hosts does not matter.
	ReportAge time.Duration `json:"-"`
}

// Role classifies the node by its reported state, except that a node the
// monitor is demoting or promoting already counts as such.
func (n Node) Role() Role {
	switch r := n.AssignedState.Role(); r {
	case RoleDemoting, RolePromoting, RoleMaintenance:
		return r
	}
	return n.ReportedState.Role()
}

// Stable reports whether the node has reached its assigned state.
func (n Node) Stable() bool { return n.ReportedState == n.AssignedState }

// Addr is host:port.
func (n Node) Addr() string { return fmt.Sprintf("%s:%d", n.Host, n.Port) }

const nodeColumns = `nodeid, nodename, formationid, groupid, nodehost, nodeport,
	reportedstate::text, goalstate::text, health, candidatepriority, replicationquorum,
	reportedlsn::text, reportedtli, coalesce(reportedpgisrunning, false),
	coalesce(reportedrepstate, ''), nodecluster, reporttime, healthchecktime, statechangetime,
	coalesce(extract(epoch from now() - reporttime), 0)::float8`

func scanNode(row pgx.Row) (Node, error) {
	var n Node
	var reported, assigned string
	var health int
	var ageSeconds float64
	err := row.Scan(&n.ID, &n.Name, &n.Formation, &n.Group, &n.Host, &n.Port,
		&reported, &assigned, &health, &n.CandidatePriority, &n.ReplicationQuorum,
		&n.LSN, &n.Timeline, &n.PgIsRunning,
		&n.ReplicationState, &n.Cluster, &n.ReportedAt, &n.HealthCheckedAt, &n.StateChangedAt, &ageSeconds)
	n.ReportedState, n.AssignedState, n.Health = State(reported), State(assigned), Health(health)
	n.ReportAge = time.Duration(ageSeconds * float64(time.Second))
	return n, err
}

// Nodes returns the formation's nodes ordered by group and node id. An
// unknown formation has no nodes; use Formation to tell it apart.
func (m *Monitor) Nodes(ctx context.Context, formation string) ([]Node, error) {
	rows, err := m.conn.Query(ctx, `select `+nodeColumns+`
		from pgautofailover.node where formationid = $1 order by groupid, nodeid`, formation)
	if err != nil {
		return nil, fmt.Errorf("list nodes of formation %q: %w", formation, err)
	}
	nodes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Node, error) { return scanNode(r) })
	if err != nil {
		return nil, fmt.Errorf("list nodes of formation %q: %w", formation, err)
	}
	return nodes, nil
}

// Node returns one node by name; found is false when the formation has no
// node of that name.
func (m *Monitor) Node(ctx context.Context, formation, name string) (n Node, found bool, err error) {
	n, err = scanNode(m.conn.QueryRow(ctx, `select `+nodeColumns+`
		from pgautofailover.node where formationid = $1 and nodename = $2`, formation, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return Node{}, false, nil
	}
	if err != nil {
		return Node{}, false, fmt.Errorf("read node %q of formation %q: %w", name, formation, err)
	}
	return n, true, nil
}
