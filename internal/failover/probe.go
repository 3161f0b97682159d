package failover

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ProbeTable holds the probe's rows, one per acknowledged commit, keyed by
// run so that concurrent or earlier runs never mix.
const ProbeTable = "pgaf_failover_probe"

const (
	createProbeTable = `CREATE TABLE IF NOT EXISTS ` + ProbeTable + ` (
	run_id text NOT NULL,
	seq bigint NOT NULL,
	committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (run_id, seq))`
	insertProbeRow = `INSERT INTO ` + ProbeTable + ` (run_id, seq) VALUES ($1, $2)`
)

// maxConnectTimeout bounds each host's connection attempt: a dead or frozen
// host must not hide the promoted one for long.
const maxConnectTimeout = time.Second

// A new connection attempt starts every dialEvery while none has succeeded,
// at most maxDials at a time.
const (
	dialEvery = 100 * time.Millisecond
	maxDials  = 16
)

// Probe is a client that commits numbered rows through the formation URI,
// one at a time, reconnecting as an application would, and records the fate
// of every attempt. It never retries an attempt: each gets a new number.
type Probe struct {
	cfg            *pgx.ConnConfig
	runID          string
	interval       time.Duration
	attemptTimeout time.Duration

	mu     sync.Mutex
	ledger Ledger
	errs   []string
	conn   *pgx.Conn
	// connected is when conn was opened.
	connected time.Time
	stop      chan struct{}
	done      chan struct{}
}

// ProbeConfig parses a formation URI for the probe. Writes must go to the
// primary whatever the caller wrote, so target_session_attrs=read-write is
// enforced; the connect timeout is capped so that a dead host costs one
// short timeout, not a TCP retry sequence.
func ProbeConfig(uri string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(uri)
	if err != nil {
		return nil, fmt.Errorf("parse the formation URI: %w", err)
	}
	cfg.ValidateConnect = pgconn.ValidateConnectTargetSessionAttrsReadWrite
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > maxConnectTimeout {
		cfg.ConnectTimeout = maxConnectTimeout
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "pgaf_failover_test"
	}
	return cfg, nil
}

// NewProbe returns a probe writing rows tagged runID, one attempt every
// interval, each attempt bounded by attemptTimeout.
func NewProbe(cfg *pgx.ConnConfig, runID string, interval, attemptTimeout time.Duration) *Probe {
	return &Probe{cfg: cfg, runID: runID, interval: interval, attemptTimeout: attemptTimeout}
}

// Start connects, creates the probe table if missing, commits a first row,
// and keeps committing in the background until Stop. A probe that cannot
// write before the fault would make every figure meaningless: error.
func (p *Probe) Start(ctx context.Context) error {
	conn, err := p.connect(ctx)
	if err != nil {
		return fmt.Errorf("write probe: connect through the formation URI: %w", err)
	}
	if _, err := conn.Exec(ctx, createProbeTable); err != nil {
		closeQuietly(conn)
		return fmt.Errorf("write probe: create table %s: %w", ProbeTable, err)
	}
	p.conn, p.connected = conn, time.Now()
	p.attempt(ctx, 1)
	if l := p.Ledger(); l.Count(Acked) == 0 {
		closeQuietly(p.conn)
		return fmt.Errorf("write probe: the first commit was not acknowledged: %s", p.lastError())
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.run(ctx)
	return nil
}

// Stop ends the probe after the attempt in flight and returns its ledger.
func (p *Probe) Stop() Ledger {
	if p.stop != nil {
		close(p.stop)
		<-p.done
		p.stop = nil
	}
	return p.Ledger()
}

func (p *Probe) run(ctx context.Context) {
	defer close(p.done)
	defer func() { closeQuietly(p.conn); p.conn = nil }()
	defer recoverInto(p.recordError)
	seq := int64(1)
	for {
		select {
		case <-p.stop:
			return
		case <-ctx.Done():
			return
		case <-time.After(p.interval):
		}
		if p.conn == nil {
			conn, err := p.dial(ctx)
			if err != nil {
				return // stopping
			}
			p.conn, p.connected = conn, time.Now()
		}
		seq++
		p.attempt(ctx, seq)
	}
}

type dialResult struct {
	conn *pgx.Conn
	err  error
}

// dial reconnects through the formation URI the way a connection pool
// does: attempts overlap, a new one every dialEvery, and the first that
// reaches a writable host wins. One attempt spends a connect timeout on a
// dead host before trying the next; overlapping attempts keep the measured
// outage at dialEvery resolution rather than the connect timeout's. It
// returns an error only when the probe stops.
func (p *Probe) dial(ctx context.Context) (*pgx.Conn, error) {
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan dialResult, maxDials)
	inFlight := 0
	start := func() {
		inFlight++
		go func() {
			defer recoverInto(func(err error) { results <- dialResult{nil, err} })
			conn, err := p.connect(dctx)
			results <- dialResult{conn, err}
		}()
	}
	tick := time.NewTicker(dialEvery)
	defer tick.Stop()
	start()
	var won *pgx.Conn
	var err error
	for won == nil && err == nil {
		select {
		case r := <-results:
			inFlight--
			if r.err != nil {
				p.recordError(r.err)
			}
			won = r.conn
		case <-tick.C:
			if inFlight < maxDials {
				start()
			}
		case <-p.stop:
			err = errors.New("probe stopped")
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	// Attempts still running are cancelled; a late winner is closed.
	go func(n int) {
		for ; n > 0; n-- {
			if r := <-results; r.conn != nil {
				closeQuietly(r.conn)
			}
		}
	}(inFlight)
	return won, err
}

func (p *Probe) connect(ctx context.Context) (*pgx.Conn, error) {
	// Every host of the URI may cost one connect timeout.
	cctx, cancel := context.WithTimeout(ctx, time.Duration(len(p.cfg.Fallbacks)+1)*p.cfg.ConnectTimeout+time.Second)
	defer cancel()
	return pgx.ConnectConfig(cctx, p.cfg)
}

// attempt commits row seq on the current connection and records its fate.
func (p *Probe) attempt(ctx context.Context, seq int64) {
	c := Commit{Seq: seq, Sent: time.Now(), Connected: p.connected}
	actx, cancel := context.WithTimeout(ctx, p.attemptTimeout)
	_, err := p.conn.Exec(actx, insertProbeRow, p.runID, seq)
	cancel()
	c.Done = time.Now()
	c.Status = classify(err)
	if c.Status == Acked {
		c.Server = p.conn.PgConn().Conn().RemoteAddr().String()
	} else {
		c.Err = err.Error()
		p.recordError(err)
		// Whatever happened, this session can no longer be trusted.
		closeQuietly(p.conn)
		p.conn = nil
	}
	p.mu.Lock()
	p.ledger = append(p.ledger, c)
	p.mu.Unlock()
}

// classify decides what an error says about a commit. Only an ERROR the
// server sent back proves nothing was committed; a FATAL can follow a local
// commit (a backend terminated while waiting for synchronous replication).
func classify(err error) Status {
	if err == nil {
		return Acked
	}
	if pgconn.SafeToRetry(err) {
		return NotSent
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Severity == "ERROR" {
		return Rejected
	}
	return Unknown
}

func (p *Probe) recordError(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := err.Error()
	for _, e := range p.errs {
		if e == msg {
			return
		}
	}
	if len(p.errs) < 5 {
		p.errs = append(p.errs, msg)
	}
}

func (p *Probe) lastError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errs) == 0 {
		return "no error reported"
	}
	return p.errs[len(p.errs)-1]
}

// Errors returns the first distinct errors the probe met (for the report).
func (p *Probe) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

// Ledger returns a copy of the attempts so far.
func (p *Probe) Ledger() Ledger {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append(Ledger(nil), p.ledger...)
}

// WaitAckAfter waits for the first acknowledgement completed after t.
func (p *Probe) WaitAckAfter(ctx context.Context, t time.Time) (Commit, error) {
	return p.WaitAck(ctx, func(c Commit) bool { return c.Done.After(t) })
}

// WaitAck waits for the first acknowledgement for which cond holds.
func (p *Probe) WaitAck(ctx context.Context, cond func(Commit) bool) (Commit, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, ok := p.firstAck(cond); ok {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return Commit{}, ctx.Err()
		case <-tick.C:
		}
	}
}

// firstAck looks in the ledger in place: WaitAck asks every 10 ms, and a
// copy of the whole ledger each time would grow with the run.
func (p *Probe) firstAck(cond func(Commit) bool) (Commit, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ledger.FirstAck(cond)
}

func closeQuietly(conn *pgx.Conn) {
	if conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = conn.Close(ctx)
}
