package pgaf

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The setters below change the formation policy. None of them is
// idempotent: the monitor pushes the primary through apply_settings even
// when the value does not change. Callers compare with Formation / Nodes
// first and call only for a real difference.

// SetNumberSyncStandbys sets the formation's number_sync_standbys. The
// monitor refuses values its standbys cannot satisfy (with two data nodes,
// only 0 is accepted); its explanation is in the error.
func (m *Monitor) SetNumberSyncStandbys(ctx context.Context, formation string, n int) error {
	return m.callBool(ctx, fmt.Sprintf("set number_sync_standbys of formation %q to %d", formation, n),
		`select pgautofailover.set_formation_number_sync_standbys($1, $2)`, formation, n)
}

// SetCandidatePriority sets a node's candidate priority (0..100; 0 = never
// promoted).
func (m *Monitor) SetCandidatePriority(ctx context.Context, formation, node string, priority int) error {
	return m.callBool(ctx, fmt.Sprintf("set candidate priority of node %q to %d", node, priority),
		`select pgautofailover.set_node_candidate_priority($1, $2, $3)`, formation, node, priority)
}

// SetReplicationQuorum sets whether a node's acknowledgement counts for
// synchronous commit.
func (m *Monitor) SetReplicationQuorum(ctx context.Context, formation, node string, quorum bool) error {
	return m.callBool(ctx, fmt.Sprintf("set replication quorum of node %q to %t", node, quorum),
		`select pgautofailover.set_node_replication_quorum($1, $2, $3)`, formation, node, quorum)
}

// PerformFailover asks the monitor to fail over the group's primary (the
// same as `pg_autoctl perform failover`); it returns once the request is
// accepted, not when the failover ends: use WaitForState for that.
func (m *Monitor) PerformFailover(ctx context.Context, formation string, group int) error {
	err := retryConflicts(ctx, func() error {
		_, err := m.conn.Exec(ctx, `select pgautofailover.perform_failover($1, $2)`, formation, group)
		return err
	})
	if err != nil {
		return fmt.Errorf("perform failover of formation %q group %d: %w", formation, group, withDetail(err))
	}
	return nil
}

// callBool runs a monitor function that returns false when it did nothing,
// again when it lost a lock conflict with a keeper.
func (m *Monitor) callBool(ctx context.Context, what, sql string, args ...any) error {
	var ok *bool
	err := retryConflicts(ctx, func() error { return m.conn.QueryRow(ctx, sql, args...).Scan(&ok) })
	if err != nil {
		return fmt.Errorf("%s: %w", what, withDetail(err))
	}
	if ok == nil || !*ok {
		return fmt.Errorf("%s: the monitor refused without an explanation", what)
	}
	return nil
}

// withDetail keeps the monitor's DETAIL and HINT, which carry the actual
// reason ("At least 2 standby nodes are required, …"); pgx leaves them out
// of Error().
func withDetail(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	msg := pgErr.Message
	if pgErr.Detail != "" {
		msg += ": " + pgErr.Detail
	}
	if pgErr.Hint != "" {
		msg += " (hint: " + pgErr.Hint + ")"
	}
	return &wrapped{msg: msg, causes: []error{err}}
}

// PerformPromotion asks the monitor to promote the named node (the same as
// `pg_autoctl perform promotion`). It returns false when the node is the
// primary already; otherwise the promotion has started when it returns.
//
// hold > 0 keeps the request's transaction, and with it the monitor's group
// lock, open that long before committing: a keeper's node_active call
// during that time reads its row before the promotion and decides after
// it, which forces pg_auto_failover 2.0's stale-row race. For tests only.
func (m *Monitor) PerformPromotion(ctx context.Context, formation, node string, hold time.Duration) (bool, error) {
	var started *bool
	err := retryConflicts(ctx, func() error { return m.promote(ctx, formation, node, hold, &started) })
	if err != nil {
		return false, fmt.Errorf("perform promotion of node %q in formation %q: %w", node, formation, err)
	}
	return started != nil && *started, nil
}

// promote is one PerformPromotion attempt in its own transaction.
func (m *Monitor) promote(ctx context.Context, formation, node string, hold time.Duration, started **bool) error {
	tx, err := m.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := tx.QueryRow(ctx, `select pgautofailover.perform_promotion($1, $2)`, formation, node).Scan(started); err != nil {
		return withDetail(err)
	}
	if hold > 0 {
		if _, err := tx.Exec(ctx, `select pg_sleep($1)`, hold.Seconds()); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// NotAtRest reports whether err is the monitor refusing a setter because
// the group is in a transition (SQLSTATE 55000, object not in prerequisite
// state): another host's setter or a keeper moved the group between the
// caller's wait and its call.
func NotAtRest(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "55000"
}

// AtRest calls set once group is at rest, and again after each NotAtRest
// refusal, until ctx ends: the data nodes converge in parallel, so a
// setter of one host may meet the transition another host's setter began.
func (m *Monitor) AtRest(ctx context.Context, formation string, group int, set func() error) error {
	for {
		if _, err := m.WaitForState(ctx, formation, func(n []Node) bool { return GroupSettled(n, group) }); err != nil {
			return fmt.Errorf("wait for group %d to be at rest: %w", group, err)
		}
		if err := set(); err == nil || !NotAtRest(err) || ctx.Err() != nil {
			return err
		}
	}
}
