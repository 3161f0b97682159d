// writeprobe commits numbered rows through a formation URI until it is
// stopped, then proves that every acknowledged commit is on the primary and
// reports the longest pause in acknowledged writes. It measures operations
// that run outside the failover test (a switchover, a rolling restart):
//
//	WRITEPROBE_URI='postgres://h1,h2/app?target_session_attrs=read-write' WRITEPROBE_PASSWORD=… \
//	    writeprobe -user app -result out.json &
//	… the operation …
//	kill -TERM $!; wait $!
//
// Exit codes: 0 every acknowledged commit is there, 1 some are lost,
// 2 setup error (no URI, no first commit, verification impossible).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"pgafha/internal/failover"
)

type result struct {
	RunID          string   `json:"run_id"`
	DurationSecs   float64  `json:"duration_seconds"`
	Acknowledged   int      `json:"acknowledged_commits"`
	Lost           int      `json:"lost_commits"`
	LostSeqs       []int64  `json:"lost_seqs,omitempty"`
	Unknown        int      `json:"unknown_commits"`
	UnknownLanded  int      `json:"unknown_commits_landed"`
	FailedAttempts int      `json:"failed_attempts"`
	WriteOutage    *float64 `json:"write_outage_seconds"`
	OutageServers  []string `json:"write_outage_servers,omitempty"`
	OutageFrom     string   `json:"write_outage_from,omitempty"`
	OutageTo       string   `json:"write_outage_to,omitempty"`
	Servers        []string `json:"servers"`
	VerifiedOn     string   `json:"verified_on"`
	Errors         []string `json:"probe_errors,omitempty"`
}

func main() { os.Exit(run()) }

func run() int {
	interval := flag.Duration("interval", 10*time.Millisecond, "pause between two commits")
	attempt := flag.Duration("attempt-timeout", 2*time.Second, "bound on one commit")
	maxRun := flag.Duration("max-duration", 15*time.Minute, "stop by itself after this long")
	out := flag.String("result", "", "also write the JSON result to this file")
	user := flag.String("user", "", "user to log in as, instead of the URI's (password: WRITEPROBE_PASSWORD)")
	dbname := flag.String("dbname", "", "database to write to, instead of the URI's")
	runID := flag.String("run-id", fmt.Sprintf("writeprobe-%d", time.Now().UnixNano()), "tag of this run's rows")
	flag.Parse()
	uri := os.Getenv("WRITEPROBE_URI")
	if uri == "" {
		fmt.Fprintln(os.Stderr, "writeprobe: set WRITEPROBE_URI to the formation URI (with user, password and database)")
		return 2
	}
	cfg, err := failover.ProbeConfig(uri)
	if err != nil {
		fmt.Fprintln(os.Stderr, "writeprobe:", err)
		return 2
	}

	if *user != "" {
		cfg.User = *user
	}
	if *dbname != "" {
		cfg.Database = *dbname
	}
	if pw := os.Getenv("WRITEPROBE_PASSWORD"); pw != "" {
		cfg.Password = pw
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *maxRun)
	defer cancel()
	start := time.Now()
	probe := failover.NewProbe(cfg, *runID, *interval, *attempt)
	if err := probe.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "writeprobe:", err)
		return 2
	}
	fmt.Fprintf(os.Stderr, "writeprobe: writing, run %s\n", *runID)
	<-ctx.Done()
	l := probe.Stop()

	res := result{RunID: *runID, DurationSecs: failover.Seconds(time.Since(start)), Errors: probe.Errors(),
		Acknowledged: l.Count(failover.Acked), Unknown: l.Count(failover.Unknown),
		FailedAttempts: l.FailedAttempts()}
	res.Servers = servers(l)
	first, ok1 := l.FirstAckAfter(time.Time{})
	last, ok2 := l.LastAck()
	if ok1 && ok2 {
		if o, ok := l.WriteOutage(first.Done, last.Done); ok {
			res.WriteOutage = ptr(failover.Seconds(o.Duration()))
			res.OutageServers = []string{o.OldServer, o.NewServer}
			res.OutageFrom = o.LastAckBefore.UTC().Format(time.RFC3339Nano)
			res.OutageTo = o.FirstAckAfter.UTC().Format(time.RFC3339Nano)
		}
	}

	// The formation may still be settling: give the read-back a minute.
	vctx, vcancel := context.WithTimeout(context.Background(), time.Minute)
	defer vcancel()
	present, server, err := readBack(vctx, cfg, *runID)
	if err != nil {
		fmt.Fprintln(os.Stderr, "writeprobe:", err)
		emit(res, *out)
		return 2
	}
	res.VerifiedOn = server
	lost, landed := l.Verify(present)
	res.Lost, res.UnknownLanded = len(lost), landed
	if len(lost) > 0 {
		res.LostSeqs = lost[:min(len(lost), 20)]
		fmt.Fprintf(os.Stderr, "writeprobe: %d acknowledged commits are missing on %s; rows of run %s kept in %s\n", len(lost), server, *runID, failover.ProbeTable)
		emit(res, *out)
		return 1
	}
	if err := failover.DropRows(vctx, cfg, *runID); err != nil {
		fmt.Fprintln(os.Stderr, "writeprobe:", err)
	}
	emit(res, *out)
	return 0
}

func readBack(ctx context.Context, cfg *pgx.ConnConfig, runID string) (map[int64]bool, string, error) {
	var last error
	for {
		present, server, err := failover.Rows(ctx, cfg, runID)
		if err == nil {
			return present, server, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, "", errors.Join(last, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// servers lists the addresses that acknowledged, in the order they took over.
func servers(l failover.Ledger) []string {
	var out []string
	for _, c := range l {
		if c.Status == failover.Acked && (len(out) == 0 || out[len(out)-1] != c.Server) {
			out = append(out, c.Server)
		}
	}
	return out
}

func emit(res result, path string) {
	data, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(data))
	if path != "" {
		if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "writeprobe:", err)
		}
	}
}

func ptr(f float64) *float64 { return &f }
