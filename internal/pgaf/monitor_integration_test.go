package pgaf

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRealMonitor drives a real monitor: tests/e2e/20-pgaf-info.sh runs it
// against its loopback formation (monitor + 2 data nodes, fast health
// checks) with PGAF_TEST_MONITOR_URI set. It performs a failover.
func TestRealMonitor(t *testing.T) {
	uri := os.Getenv("PGAF_TEST_MONITOR_URI")
	if uri == "" {
		t.Skip("PGAF_TEST_MONITOR_URI not set; tests/e2e/20-pgaf-info.sh runs this against a real formation")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	m, err := Connect(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())

	nodes, err := m.WaitForState(ctx, "default", Healthy)
	if err != nil {
		t.Fatalf("formation not healthy to start with: %v", err)
	}
	before, err := m.Primary(ctx, "default", 0)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := PrimaryOf(nodes, 0); p.ID != before.ID {
		t.Fatalf("get_primary says %s, the node table says %s", before.Name, p.Name)
	}
	var standby Node
	for _, n := range nodes {
		if n.ID != before.ID {
			standby = n
		}
	}

	t.Run("report ages come from the monitor's clock and are recent on a healthy formation", func(t *testing.T) {
		for _, n := range nodes {
			// Keepers report every second; 30 s leaves room for a slow machine.
			if n.ReportAge < 0 || n.ReportAge > 30*time.Second {
				t.Errorf("node %s: report age %s", n.Name, n.ReportAge)
			}
			if want := time.Since(n.ReportedAt); (n.ReportAge - want).Abs() > 5*time.Second {
				t.Errorf("node %s: report age %s, but reported_at is %s ago", n.Name, n.ReportAge, want)
			}
		}
	})

	t.Run("the monitor refuses a sync standby count two nodes cannot meet", func(t *testing.T) {
		err := m.SetNumberSyncStandbys(ctx, "default", 1)
		if err == nil || !strings.Contains(err.Error(), "At least 2 standby nodes are required") {
			t.Errorf("SetNumberSyncStandbys(1) = %v", err)
		}
		f, err := m.Formation(ctx, "default")
		if err != nil || f.NumberSyncStandbys != 0 {
			t.Errorf("formation after the refusal: %+v, %v", f, err)
		}
	})

	t.Run("synchronous replication names the standby", func(t *testing.T) {
		names, err := m.SyncStandbyNames(ctx, "default", 0)
		if err != nil || !strings.HasPrefix(names, "ANY 1 (pgautofailover_standby_") {
			t.Errorf("SyncStandbyNames = %q, %v", names, err)
		}
	})

	t.Run("candidate priority and replication quorum setters", func(t *testing.T) {
		if err := m.SetCandidatePriority(ctx, "default", standby.Name, standby.CandidatePriority+10); err != nil {
			t.Fatal(err)
		}
		got, found, err := m.Node(ctx, "default", standby.Name)
		if err != nil || !found || got.CandidatePriority != standby.CandidatePriority+10 {
			t.Errorf("after SetCandidatePriority: %+v found=%t err=%v", got, found, err)
		}
		if err := m.SetCandidatePriority(ctx, "default", standby.Name, standby.CandidatePriority); err != nil {
			t.Fatal(err)
		}
		if err := m.SetReplicationQuorum(ctx, "default", standby.Name, standby.ReplicationQuorum); err != nil {
			t.Fatal(err)
		}
		if err := m.SetCandidatePriority(ctx, "default", "no-such-node", 50); err == nil {
			t.Error("SetCandidatePriority on an unknown node succeeded")
		}
		if _, err := m.WaitForState(ctx, "default", Healthy); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a listener times out cleanly and stays usable", func(t *testing.T) {
		l, err := m.Listen(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close(context.Background())
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err = l.Next(short)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Next with nothing happening: %v", err)
		}
		if _, err := l.conn.Exec(ctx, "select 1"); err != nil {
			t.Errorf("listener connection unusable after a timeout: %v", err)
		}
	})

	t.Run("failover: notifications, then a healthy formation with the other primary", func(t *testing.T) {
		l, err := m.Listen(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close(context.Background())
		start := time.Now()
		if err := m.PerformFailover(ctx, "default", 0); err != nil {
			t.Fatal(err)
		}
		seen := map[State]bool{}
		for !(seen[StateDraining] && seen[StatePreparePromotion]) {
			ev, err := l.Next(ctx)
			if err != nil {
				t.Fatalf("after %v, seen %v: %v", time.Since(start), seen, err)
			}
			if ev.Formation != "default" || ev.Received.Before(start) {
				t.Errorf("event %+v", ev)
			}
			seen[ev.AssignedState] = true
		}
		nodes, err := m.WaitForState(ctx, "default", func(nodes []Node) bool {
			p, ok := PrimaryOf(nodes, 0)
			return ok && p.ID == standby.ID && Healthy(nodes)
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("failover done in %v: %s", time.Since(start).Round(time.Millisecond), Summary(nodes))
		after, err := m.Primary(ctx, "default", 0)
		if err != nil || after.ID != standby.ID {
			t.Errorf("Primary after failover = %+v, %v; want %s", after, err, standby.Name)
		}
		events, err := m.Events(ctx, "default", 5)
		if err != nil || len(events) != 5 || events[0].ID > events[4].ID || events[4].Description == "" {
			t.Errorf("Events = %+v, %v", events, err)
		}
	})
}
