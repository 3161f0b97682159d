package failover

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// lab returns a healthy fake formation, primary "p" on 10.0.0.11, standby
// "s" on 10.0.0.12, and a power whose instances hold those addresses.
func lab() (*fakeMonitor, *fakePower) {
	mon := newFakeMonitor(
		Node{Name: "p", Host: "10.0.0.11", Port: 5432, Reported: "primary", Goal: "primary", Health: 1},
		Node{Name: "s", Host: "10.0.0.12", Port: 5432, Reported: "secondary", Goal: "secondary", Health: 1},
	)
	pow := &fakePower{addrs: map[string][]string{"p": {"10.0.0.11"}, "s": {"10.0.0.12"}, "mon": {"10.0.0.10"}}}
	return mon, pow
}

func testConfig() Config {
	return Config{
		Scenario:      ScenarioStop,
		RTOTarget:     5 * time.Second,
		PromotionWait: 5 * time.Second,
		RejoinTimeout: 5 * time.Second,
		FreezeFor:     50 * time.Millisecond,
		Settle:        100 * time.Millisecond,
		Restart:       true,
		Instance:      func(node string) Instance { return Instance{Name: node, Project: "lab"} },
		MonitorHosts:  []string{"10.0.0.10"},
		PollEvery:     20 * time.Millisecond,
	}
}

// failoverAfter plays the monitor's reaction to the loss of "p".
func failoverAfter(mon *fakeMonitor, d time.Duration) func() {
	return func() {
		mon.set(Node{Name: "p", Host: "10.0.0.11", Reported: "primary", Goal: "primary", Health: 0})
		mon.set(Node{Name: "s", Host: "10.0.0.12", Reported: "secondary", Goal: "prepare_promotion", Health: 1})
		step(d)
		mon.set(Node{Name: "s", Host: "10.0.0.12", Reported: "wait_primary", Goal: "wait_primary", Health: 1})
		mon.set(Node{Name: "p", Host: "10.0.0.11", Reported: "primary", Goal: "demoted", Health: 0})
	}
}

func rejoin(mon *fakeMonitor) func() {
	return func() {
		step(30 * time.Millisecond)
		mon.set(Node{Name: "p", Host: "10.0.0.11", Reported: "secondary", Goal: "secondary", Health: 1})
		mon.set(Node{Name: "s", Host: "10.0.0.12", Reported: "primary", Goal: "primary", Health: 1})
	}
}

func TestStopCycleMeasuresAndRestores(t *testing.T) {
	mon, pow := lab()
	pow.onStop = failoverAfter(mon, 150*time.Millisecond)
	pow.onStart = rejoin(mon)
	r := Run(context.Background(), 1, "run", testConfig(), mon, pow)
	if r.Outcome != OutcomePassed {
		t.Fatalf("outcome %s: %v", r.Outcome, r.Failures)
	}
	if r.RTO == nil || *r.RTO < 0.15 || *r.RTO > 1 {
		t.Errorf("rto %v, want about 0.15 s", r.RTO)
	}
	if r.Rejoin == nil || *r.Rejoin < 0.03 {
		t.Errorf("rejoin %v", r.Rejoin)
	}
	if r.OldPrimary != "p" || r.NewPrimary != "s" || !r.Stopped || !r.Restored {
		t.Errorf("result %+v", r)
	}
	if want := []string{"stop lab/p", "start lab/p"}; !reflect.DeepEqual(pow.Calls(), want) {
		t.Errorf("calls %v, want %v", pow.Calls(), want)
	}
	var sawPromotion bool
	for _, e := range r.Timeline {
		if e.Node == "s" && e.Reported == "wait_primary" && e.Source == "listen" && e.T > 0 {
			sawPromotion = true
		}
	}
	if !sawPromotion {
		t.Errorf("timeline lacks the promotion: %+v", r.Timeline)
	}
}

func TestUnhealthyBaselineStopsNothing(t *testing.T) {
	mon, pow := lab()
	mon.set(Node{Name: "s", Host: "10.0.0.12", Reported: "secondary", Goal: "catchingup", Health: 0})
	r := Run(context.Background(), 1, "run", testConfig(), mon, pow)
	if r.Outcome != OutcomeUnhealthyBaseline || r.Stopped {
		t.Errorf("outcome %s stopped %v", r.Outcome, r.Stopped)
	}
	if len(pow.Calls()) != 0 {
		t.Errorf("power was used: %v", pow.Calls())
	}
	mon.failNodes = true
	if r := Run(context.Background(), 1, "run", testConfig(), mon, pow); r.Outcome != OutcomeUnhealthyBaseline {
		t.Errorf("unreachable monitor: outcome %s", r.Outcome)
	}
}

func TestStoppedStandbyInstanceIsUnhealthyBaseline(t *testing.T) {
	mon, pow := lab() // the monitor has not noticed yet
	pow.stopped = map[string]bool{"s": true}
	r := Run(context.Background(), 1, "run", testConfig(), mon, pow)
	if r.Outcome != OutcomeUnhealthyBaseline || len(pow.Calls()) != 0 || !strings.Contains(r.Failures[0], "Stopped") {
		t.Errorf("outcome %s calls %v failures %v", r.Outcome, pow.Calls(), r.Failures)
	}
}

func TestWrongInstanceStopsNothing(t *testing.T) {
	mon, pow := lab()
	cfg := testConfig()
	cfg.Instance = func(string) Instance { return Instance{Name: "mon", Project: "lab"} }
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomeError || len(pow.Calls()) != 0 {
		t.Errorf("outcome %s calls %v", r.Outcome, pow.Calls())
	}
}

func TestInterruptRestores(t *testing.T) {
	mon, pow := lab() // nothing reacts to the stop: no promotion
	ctx, cancel := context.WithCancel(context.Background())
	pow.onStop = func() { step(100 * time.Millisecond); cancel() }
	r := Run(ctx, 1, "run", testConfig(), mon, pow)
	if r.Outcome != OutcomeAborted || !r.Restored {
		t.Errorf("outcome %s restored %v failures %v", r.Outcome, r.Restored, r.Failures)
	}
	if want := []string{"stop lab/p", "start lab/p"}; !reflect.DeepEqual(pow.Calls(), want) {
		t.Errorf("calls %v, want %v", pow.Calls(), want)
	}
}

func TestMissedTargetStillRestores(t *testing.T) {
	mon, pow := lab()
	pow.onStop = failoverAfter(mon, 50*time.Millisecond)
	pow.onStart = rejoin(mon)
	cfg := testConfig()
	cfg.RTOTarget = time.Millisecond
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomeTargetMissed || !r.Restored || r.Rejoin == nil || r.RTO == nil {
		t.Errorf("result %+v", r)
	}
}

func TestNoPromotionAndRejoinTimeout(t *testing.T) {
	mon, pow := lab()
	cfg := testConfig()
	cfg.PromotionWait = 100 * time.Millisecond
	cfg.RejoinTimeout = 100 * time.Millisecond
	pow.onStop = func() { mon.set(Node{Name: "p", Host: "10.0.0.11", Reported: "primary", Goal: "primary", Health: 0}) }
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomeNoPromotion || !r.Restored {
		t.Errorf("outcome %s restored %v", r.Outcome, r.Restored)
	}
	if len(r.Failures) != 2 || !strings.Contains(r.Failures[1], "not healthy again") {
		t.Errorf("failures %v", r.Failures)
	}
}

func TestFailedRestartIsReportedOnce(t *testing.T) {
	mon, pow := lab()
	pow.onStop = failoverAfter(mon, 10*time.Millisecond)
	pow.startErr = errors.New("incus refused")
	r := Run(context.Background(), 1, "run", testConfig(), mon, pow)
	if r.Restored {
		t.Errorf("restored after a failed start: %+v", r)
	}
	var n int
	for _, f := range r.Failures {
		if strings.Contains(f, "start instance lab/p again: incus refused") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the failed start is reported %d times, want once: %v", n, r.Failures)
	}
	if want := []string{"stop lab/p", "start lab/p"}; !reflect.DeepEqual(pow.Calls(), want) {
		t.Errorf("calls %v, want %v", pow.Calls(), want)
	}
}

func TestRestartFalseLeavesInstanceStopped(t *testing.T) {
	mon, pow := lab()
	pow.onStop = failoverAfter(mon, 10*time.Millisecond)
	cfg := testConfig()
	cfg.Restart = false
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomePassed || r.Restored || r.Rejoin != nil {
		t.Errorf("result %+v", r)
	}
	if want := []string{"stop lab/p"}; !reflect.DeepEqual(pow.Calls(), want) {
		t.Errorf("calls %v", pow.Calls())
	}
}

func TestPollingFallback(t *testing.T) {
	mon, pow := lab()
	mon.noListen = true
	pow.onStop = failoverAfter(mon, 50*time.Millisecond)
	pow.onStart = rejoin(mon)
	r := Run(context.Background(), 1, "run", testConfig(), mon, pow)
	if r.Outcome != OutcomePassed || r.RTO == nil {
		t.Fatalf("outcome %s %v", r.Outcome, r.Failures)
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "polling only") {
		t.Errorf("notes %v", r.Notes)
	}
	for _, e := range r.Timeline {
		if e.Source != "poll" {
			t.Errorf("event from %s without LISTEN", e.Source)
		}
	}
}

func TestFreezeRiddenOutAndUnexpectedFailover(t *testing.T) {
	mon, pow := lab()
	cfg := testConfig()
	cfg.Scenario = ScenarioFreeze
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomeRiddenOut || !r.Restored || r.RTO != nil {
		t.Errorf("ridden out: %+v", r)
	}
	if want := []string{"pause lab/p", "resume lab/p"}; !reflect.DeepEqual(pow.Calls(), want) {
		t.Errorf("calls %v", pow.Calls())
	}

	mon, pow = lab()
	go func() {
		step(20 * time.Millisecond)
		failoverAfter(mon, 10*time.Millisecond)()
		rejoin(mon)()
	}()
	r = Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomeUnexpectedFailover || r.NewPrimary != "s" || r.Rejoin == nil {
		t.Errorf("failover during freeze: %+v", r)
	}
}

func TestTimelineOffsets(t *testing.T) {
	obs := []observation{
		{at: at(-500), node: n("a", "primary", "primary", 1), source: "poll"},
		{at: at(3702), node: n("b", "wait_primary", "wait_primary", 1), source: "listen"},
	}
	got := timeline(obs, t0)
	want := []Event{
		{T: -0.5, Node: "a", Reported: "primary", Goal: "primary", Health: 1, Source: "poll"},
		{T: 3.702, Node: "b", Reported: "wait_primary", Goal: "wait_primary", Health: 1, Source: "listen"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timeline %+v, want %+v", got, want)
	}
}

// The dying primary may acknowledge a commit after the stop request; only an
// acknowledgement after the promotion proves that writes resumed.
func TestWritesMustResumeAfterThePromotion(t *testing.T) {
	c := &cycle{fault: t0, recovered: t0.Add(5 * time.Second)}
	c.probe = &Probe{ledger: Ledger{
		{Seq: 1, Done: t0.Add(-10 * time.Millisecond), Status: Acked},
		{Seq: 2, Done: t0.Add(20 * time.Millisecond), Status: Acked}, // the old primary, still alive
	}}
	c.awaitWrites(context.Background(), 50*time.Millisecond)
	if got, _ := c.found.classify(OutcomePassed); got != OutcomeWritesNotResumed {
		t.Errorf("outcome %s, want %s", got, OutcomeWritesNotResumed)
	}
	c = &cycle{fault: t0, recovered: t0.Add(5 * time.Second)}
	c.probe = &Probe{ledger: Ledger{{Seq: 3, Done: t0.Add(5100 * time.Millisecond), Status: Acked}}}
	c.awaitWrites(context.Background(), 50*time.Millisecond)
	if got, _ := c.found.classify(OutcomePassed); got != OutcomePassed {
		t.Errorf("outcome %s with a commit after the promotion", got)
	}
}

// A failover the monitor decides only after the settle time is still a
// failover: the freeze was not ridden out.
func TestFreezeLatePromotionIsAFailover(t *testing.T) {
	mon, pow := lab()
	cfg := testConfig()
	cfg.Scenario = ScenarioFreeze
	go func() {
		// Still mid-transition when the settle time ends, promoted after it.
		step(cfg.FreezeFor + 20*time.Millisecond)
		mon.set(Node{Name: "p", Host: "10.0.0.11", Reported: "primary", Goal: "draining", Health: 1})
		step(cfg.Settle + 100*time.Millisecond)
		failoverAfter(mon, 10*time.Millisecond)()
		rejoin(mon)()
	}()
	r := Run(context.Background(), 1, "run", cfg, mon, pow)
	if r.Outcome != OutcomeUnexpectedFailover || r.NewPrimary != "s" {
		t.Errorf("late promotion after a freeze: outcome %s new primary %q %v", r.Outcome, r.NewPrimary, r.Failures)
	}
}
