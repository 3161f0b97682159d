package pgaf

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestNotAtRestIsTheMonitorsTransitionRefusal(t *testing.T) {
	busy := &pgconn.PgError{Code: "55000", Message: `cannot set number_sync_standbys when current goal state for primary node 3 is "apply_settings"`}
	refused := &pgconn.PgError{Code: "P0001", Message: "At least 2 standby nodes are required"}
	if !NotAtRest(fmt.Errorf("set number_sync_standbys: %w", withDetail(busy))) {
		t.Error("a wrapped 55000 refusal is not recognised")
	}
	for _, err := range []error{withDetail(refused), errors.New("connection reset"), nil} {
		if NotAtRest(err) {
			t.Errorf("%v taken for a transition refusal", err)
		}
	}
}

func TestSyncStandbysFit(t *testing.T) {
	for _, c := range []struct{ nss, quorum, max int }{{0, 0, 0}, {0, 1, 0}, {1, 1, 0}, {1, 2, 1}, {2, 2, 1}, {2, 3, 2}} {
		if got := SyncStandbysFit(c.nss, c.quorum); got != (c.nss <= c.max) {
			t.Errorf("SyncStandbysFit(%d, %d) = %t", c.nss, c.quorum, got)
		}
		if got := MaxSyncStandbys(c.quorum); got != c.max {
			t.Errorf("MaxSyncStandbys(%d) = %d, want %d", c.quorum, got, c.max)
		}
	}
}

func TestRetryConflictsRetriesOnlyRolledBackCalls(t *testing.T) {
	deadlock := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	calls := 0
	err := retryConflicts(context.Background(), func() error {
		calls++
		if calls < 3 {
			return fmt.Errorf("start maintenance: %w", withDetail(deadlock))
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("after two deadlocks: err %v, %d calls; want success on the third", err, calls)
	}

	calls = 0
	refused := &pgconn.PgError{Code: "P0001", Message: "At least 2 standby nodes are required"}
	if err := retryConflicts(context.Background(), func() error { calls++; return refused }); !errors.Is(err, refused) || calls != 1 {
		t.Errorf("a refusal was tried %d times (err %v); want once", calls, err)
	}

	calls = 0
	if err := retryConflicts(context.Background(), func() error { calls++; return deadlock }); !LockConflict(err) || calls != conflictAttempts {
		t.Errorf("a lasting deadlock was tried %d times (err %v); want %d", calls, err, conflictAttempts)
	}
}
