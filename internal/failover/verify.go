package failover

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Rows reads back which of the run's rows the current primary holds, over a
// fresh connection through the formation URI (so it reaches the primary).
func Rows(ctx context.Context, cfg *pgx.ConnConfig, runID string) (present map[int64]bool, server string, err error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("connect to the primary to read back the probe rows: %w", err)
	}
	defer closeQuietly(conn)
	rows, err := conn.Query(ctx, `SELECT seq FROM `+ProbeTable+` WHERE run_id = $1`, runID)
	if err != nil {
		return nil, "", fmt.Errorf("read back the probe rows: %w", err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, "", fmt.Errorf("read back the probe rows: %w", err)
	}
	present = make(map[int64]bool, len(seqs))
	for _, s := range seqs {
		present[s] = true
	}
	return present, conn.PgConn().Conn().RemoteAddr().String(), nil
}

// DropRows deletes the run's rows, and those of its writers watcher, once
// they are verified, so that repeated runs do not grow the user's database.
func DropRows(ctx context.Context, cfg *pgx.ConnConfig, runID string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to delete the probe rows: %w", err)
	}
	defer closeQuietly(conn)
	if _, err := conn.Exec(ctx, `DELETE FROM `+ProbeTable+` WHERE run_id = $1 OR starts_with(run_id, $1 || '/')`, runID); err != nil {
		return fmt.Errorf("delete the probe rows: %w", err)
	}
	return nil
}

// verify proves every acknowledged row is on the current primary.
func (c *cycle) verify(ctx context.Context) {
	if c.probe == nil {
		return
	}
	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	present, server, err := Rows(vctx, c.cfg.Probe, c.runID)
	if err != nil {
		c.found.add(OutcomeError, "verify the acknowledged commits: "+err.Error())
		return
	}
	lost, landed := c.probe.Ledger().Verify(present)
	c.res.Verified = true
	c.res.Lost = len(lost)
	c.res.UnknownLanded = landed
	if len(lost) > 0 {
		if len(lost) > 20 {
			lost = lost[:20]
		}
		c.res.LostSeqs = lost
		c.found.add(OutcomeCommitsLost, fmt.Sprintf("%d acknowledged commits are missing on the primary (%s); rows of run %s kept in table %s",
			c.res.Lost, server, c.runID, ProbeTable))
		return
	}
	if err := DropRows(vctx, c.cfg.Probe, c.runID); err != nil {
		c.res.Notes = append(c.res.Notes, err.Error())
	}
}
