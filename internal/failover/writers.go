package failover

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// writerEvery paces the watcher's write attempts on each node.
const writerEvery = 100 * time.Millisecond

// Writers watches for split brain: besides the probe, which only ever
// reaches the node the formation URI picks, it connects to every data node
// directly and keeps trying a write on each (a row in the probe's table
// under a run id of its own, which a node in recovery refuses), recording
// each acknowledgement. A node whose commit waits for a synchronous standby
// does not acknowledge it within the attempt timeout: only writes a client
// was told are committed count. (A transaction that only takes a
// transaction id writes no WAL of its own and commits without waiting for
// the synchronous standby: it would count writes no application could make.)
type Writers struct {
	mu       sync.Mutex
	attempts map[string][]time.Time // zero time: an attempt that failed
	notes    []string
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// StartWriters starts one writer per node, reaching each at its host and
// port with the probe's credentials and TLS settings. A node the URI does
// not name is watched with the URI's first host's TLS settings.
func StartWriters(ctx context.Context, probe *pgx.ConnConfig, runID string, nodes []Node, attemptTimeout time.Duration) *Writers {
	ctx, cancel := context.WithCancel(ctx)
	w := &Writers{attempts: map[string][]time.Time{}, stop: cancel}
	for _, n := range nodes {
		cfg := directConfig(probe, n)
		w.wg.Add(1)
		go w.run(ctx, n.Name, cfg, writersRunID(runID, n.Name), attemptTimeout)
	}
	return w
}

// directConfig is the probe's configuration aimed at one node only, with
// no read-write check (a standby must answer, and refuse the write).
func directConfig(probe *pgx.ConnConfig, n Node) *pgx.ConnConfig {
	cfg := probe.Copy()
	tls := cfg.TLSConfig
	for _, fb := range cfg.Fallbacks {
		if fb.Host == n.Host && int(fb.Port) == n.Port {
			tls = fb.TLSConfig
		}
	}
	cfg.Host, cfg.Port, cfg.TLSConfig = n.Host, uint16(n.Port), tls
	cfg.Fallbacks = nil
	cfg.ValidateConnect = nil
	cfg.RuntimeParams["application_name"] = "pgaf_failover_test_writers"
	return cfg
}

// writersRunID tags a writer's rows: the run's id, a slash, the node.
func writersRunID(runID, node string) string { return runID + "/" + node }

func (w *Writers) run(ctx context.Context, node string, cfg *pgx.ConnConfig, runID string, attemptTimeout time.Duration) {
	defer w.wg.Done()
	defer recoverInto(func(err error) { w.note(node, err) })
	var conn *pgx.Conn
	defer func() { closeQuietly(conn) }()
	for seq := int64(1); ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(writerEvery):
		}
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		var err error
		if conn == nil {
			conn, err = pgx.ConnectConfig(actx, cfg)
		}
		if err == nil {
			_, err = conn.Exec(actx, insertProbeRow, runID, seq)
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		at := time.Now()
		if err != nil {
			at = time.Time{}
			if classify(err) != Rejected {
				closeQuietly(conn)
				conn = nil
			}
		}
		w.mu.Lock()
		w.attempts[node] = append(w.attempts[node], at)
		w.mu.Unlock()
	}
}

func (w *Writers) note(node string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.notes = append(w.notes, fmt.Sprintf("writers watcher on %s: %v", node, err))
}

// Stop ends the watch and returns the windows during which each node
// accepted writes, and any overlap between two nodes' windows.
func (w *Writers) Stop() ([]Window, []SplitBrain, []string) {
	w.stop()
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	ws := windows(w.attempts)
	return ws, splitBrains(ws), w.notes
}
