package failover

import (
	"testing"
	"time"
)

func TestSplitBrainsOnlyWhenTwoNodesAcceptAtOnce(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var failed time.Time

	// A clean failover: a accepts until 300 ms, fails, b accepts from 900 ms.
	clean := map[string][]time.Time{
		"a": {at(100), at(200), at(300), failed, failed},
		"b": {failed, failed, at(900), at(1000)},
	}
	ws := windows(clean)
	if len(ws) != 2 || ws[0].Node != "a" || !ws[0].To.Equal(at(300)) || ws[1].Node != "b" || !ws[1].From.Equal(at(900)) {
		t.Fatalf("windows of a clean failover: %+v", ws)
	}
	if sb := splitBrains(ws); len(sb) != 0 {
		t.Errorf("a clean failover reported as split brain: %+v", sb)
	}

	// The old primary comes back writable while the new one accepts.
	split := map[string][]time.Time{
		"a": {at(100), failed, at(1500), at(1600)},
		"b": {failed, at(900), at(1000), at(2000)},
	}
	sb := splitBrains(windows(split))
	if len(sb) != 1 {
		t.Fatalf("want one overlap, got %+v", sb)
	}
	if got := sb[0].describe(t0); got != "b accepted writes from +0.900 to +2.000 s and a from +1.500 to +1.600 s" {
		t.Errorf("described as %q", got)
	}

	// One node restarting (a crash and crash recovery) is never split brain.
	restart := map[string][]time.Time{"a": {at(100), failed, failed, at(800)}, "b": {failed, failed, failed}}
	if sb := splitBrains(windows(restart)); len(sb) != 0 {
		t.Errorf("a single node's restart reported as split brain: %+v", sb)
	}
}
