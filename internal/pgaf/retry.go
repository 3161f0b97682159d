package pgaf

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// conflictAttempts bounds how often a monitor call that lost a lock
// conflict is tried again.
const conflictAttempts = 5

// LockConflict reports whether err is PostgreSQL aborting the statement to
// break a deadlock (40P01) or a serialization failure (40001). The monitor's
// functions take the group's advisory lock and update node rows, and a
// keeper's node_active takes them in the other order: when they cross,
// PostgreSQL rolls one of them back entirely, so the call did nothing and
// may simply be made again.
func LockConflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// retryConflicts runs call again, after a short growing pause, while it
// fails with a LockConflict, at most conflictAttempts times in all.
func retryConflicts(ctx context.Context, call func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = call(); err == nil || !LockConflict(err) || attempt == conflictAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}
