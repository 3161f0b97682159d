package pgaf

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// RemoveNode asks the monitor to drop node n (`pgautofailover.remove_node`).
// Without force the monitor only assigns it `dropped`: its keeper, when it
// runs, stops PostgreSQL, reports the state and exits, and the monitor then
// deletes the record. force deletes the record at once, for a node whose
// keeper will never report again. The monitor lowers number_sync_standbys
// itself when the remaining standbys cannot satisfy it.
func (m *Monitor) RemoveNode(ctx context.Context, n Node, force bool) error {
	return m.callBool(ctx, fmt.Sprintf("remove node %q (id %d) from the monitor", n.Name, n.ID),
		`select pgautofailover.remove_node($1::bigint, $2)`, n.ID, force)
}

// SyncStandbysFit is the monitor's rule for number_sync_standbys: a value
// n above 0 needs n+1 standbys in the replication quorum, so that one of
// them may fail without blocking writes. 0 always fits.
func SyncStandbysFit(n, quorumStandbys int) bool { return n == 0 || n+1 <= quorumStandbys }

// MaxSyncStandbys is the largest number_sync_standbys that fits
// quorumStandbys (see SyncStandbysFit).
func MaxSyncStandbys(quorumStandbys int) int { return max(0, quorumStandbys-1) }

// ParseLSN reads a WAL position as PostgreSQL prints it ("16/B374D848").
func ParseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if ok {
		h, err1 := strconv.ParseUint(hi, 16, 32)
		l, err2 := strconv.ParseUint(lo, 16, 32)
		if err1 == nil && err2 == nil {
			return h<<32 | l, nil
		}
	}
	return 0, fmt.Errorf("%q is not a WAL position (expected hex/hex)", s)
}
