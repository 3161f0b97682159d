package switchover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"pgafha/internal/pgaf"
)

// Event is one step of a switchover, at its offset from the start.
type Event struct {
	Seconds float64 `json:"seconds"`
	What    string  `json:"event"`
}

// Report is what a switchover did.
type Report struct {
	// Started is when the fence went up; Timeline is relative to it.
	Started  time.Time `json:"started_at"`
	Timeline []Event   `json:"timeline"`
	// Terminated is how many client sessions the fence ended.
	Terminated int `json:"sessions_ended"`
	// CaughtUpLSN is the WAL position the standby had flushed before the
	// promotion was requested.
	CaughtUpLSN string `json:"caught_up_lsn,omitempty"`
	// FencedSeconds is how long the old primary refused writes before the
	// new one accepted them: the switchover's write outage, as the
	// monitor saw it.
	FencedSeconds *float64 `json:"fenced_seconds"`
	// Promoted is the node that took over: Target, or another candidate
	// when the monitor found Target unhealthy at that moment.
	Promoted string `json:"promoted,omitempty"`
	// Requested is true once the monitor accepted the promotion: from then
	// on the roles may have changed even if the run failed.
	Requested bool `json:"promotion_requested"`
	// FenceLifted is false when the run ended with the old primary still
	// fenced (the next run lifts it once the group is at rest).
	FenceLifted bool `json:"fence_lifted"`
}

// Switcher runs the fenced switchover from the primary's host.
type Switcher struct {
	Mon            *pgaf.Monitor
	Formation      string
	Fence          Fence
	CatchupTimeout time.Duration
	// RaceHold forces pg_auto_failover's stale-row race (see
	// pgaf.Monitor.PerformPromotion), to prove the fence under it.
	RaceHold time.Duration

	start time.Time
	rep   Report
}

func (s *Switcher) mark(at time.Time, format string, args ...any) {
	s.rep.Timeline = append(s.rep.Timeline, Event{Seconds: seconds(at.Sub(s.start)), What: fmt.Sprintf(format, args...)})
}

// Run moves the primary role from p.Primary (this host) to p.Target. On
// every path that did not request the promotion the fence is lifted before
// it returns; after the request it is lifted once this node is a secondary
// at rest, and kept (reported) if that does not happen in time.
func (s *Switcher) Run(ctx context.Context, p Plan) (Report, error) {
	s.start = time.Now()
	s.rep = Report{Started: s.start.UTC()}
	raised, err := s.Fence.Raise(ctx, p.Primary.Name, p.Target.Name)
	s.rep.Terminated = raised.Terminated
	if err != nil {
		return s.abort(ctx, fmt.Errorf("fence writes on %q: %w", p.Primary.Name, err))
	}
	s.mark(time.Now(), "%s refuses writes (default_transaction_read_only=on, %d earlier sessions ended)", p.Primary.Name, raised.Terminated)

	// Every node the monitor may promote, not the target alone: when the
	// target is unhealthy at that moment the monitor picks another one.
	names, apps := []string{p.Target.Name}, []string{StandbyName(p.Target.ID)}
	for _, c := range p.Candidates {
		if c.ID != p.Target.ID {
			names, apps = append(names, c.Name), append(apps, StandbyName(c.ID))
		}
	}
	cctx, cancel := context.WithTimeout(ctx, s.CatchupTimeout)
	lsn, err := s.Fence.AwaitStandbyFlush(cctx, apps)
	cancel()
	if err != nil {
		return s.abort(ctx, fmt.Errorf("wait for %s to have every commit of %q (catchup_timeout %s): %w", strings.Join(names, ", "), p.Primary.Name, s.CatchupTimeout, err))
	}
	s.rep.CaughtUpLSN = lsn
	s.mark(time.Now(), "%s %s flushed %s's WAL up to %s", strings.Join(names, ", "), map[bool]string{true: "has", false: "have"}[len(names) == 1], p.Primary.Name, lsn)

	started, err := s.Mon.PerformPromotion(ctx, s.Formation, p.Target.Name, s.RaceHold)
	if err != nil {
		// The monitor refused in one transaction: nothing changed.
		return s.abort(ctx, err)
	}
	if !started {
		return s.abort(ctx, fmt.Errorf("the monitor did not start a promotion of %q (it reports it primary already)", p.Target.Name))
	}
	s.rep.Requested = true
	s.mark(time.Now(), "monitor asked to promote %s", p.Target.Name)

	var writable, done time.Time
	rolledBack := false
	_, err = s.Mon.WaitForState(ctx, s.Formation, func(nodes []pgaf.Node) bool {
		now := time.Now()
		for _, n := range nodes {
			// The target, or the candidate the monitor chose instead.
			if n.Group == p.Target.Group && n.ID != p.Primary.ID && writable.IsZero() && writableState(n.ReportedState) {
				writable = now
				s.rep.Promoted = n.Name
				s.mark(now, "%s reports %s: it accepts writes", n.Name, n.ReportedState)
			}
		}
		settled := pgaf.GroupSettled(nodes, p.Target.Group)
		if settled && IsPrimary(nodes, p.Primary.ID, p.Target.Group) {
			// perform_promotion changed the goals before it returned: a
			// settled group with the old primary means it was given up.
			rolledBack = true
			return true
		}
		if !writable.IsZero() && settled && isSecondary(nodes, p.Primary.ID) {
			done = now
			return true
		}
		return false
	})
	if err == nil && rolledBack {
		s.mark(time.Now(), "the monitor gave the promotion up: %s is the primary of a group at rest again", p.Primary.Name)
		return s.abort(ctx, fmt.Errorf("the monitor did not promote %q: %q is the primary again (see pg_autoctl show events on the monitor)", p.Target.Name, p.Primary.Name))
	}
	if !writable.IsZero() {
		s.rep.FencedSeconds = ptr(seconds(writable.Sub(raised.At)))
	}
	if err != nil {
		return s.rep, fmt.Errorf("the promotion of %q did not complete: %w; %q keeps refusing writes until a later run finds the group at rest", p.Target.Name, err, p.Primary.Name)
	}
	s.mark(done, "%s is a secondary and the group is at rest", p.Primary.Name)
	if err := s.Fence.Lift(ctx); err != nil {
		return s.rep, fmt.Errorf("lift the write fence on %q, now a secondary: %w", p.Primary.Name, err)
	}
	s.rep.FenceLifted = true
	s.mark(time.Now(), "fence lifted on %s", p.Primary.Name)
	return s.rep, nil
}

// StepDown moves the primary role from self (this host's node, the
// primary of the settled group in nodes) to Candidate(nodes, self), fenced
// like Run; it returns the node that took over (another candidate when the
// monitor chose one).
func (s *Switcher) StepDown(ctx context.Context, nodes []pgaf.Node, self pgaf.Node) (Report, pgaf.Node, error) {
	target, err := Candidate(nodes, self)
	if err != nil {
		return Report{}, target, err
	}
	plan, err := Decide(nodes, self.Group, self.ID, target.Name)
	if err != nil {
		return Report{}, target, err
	}
	rep, err := s.Run(ctx, plan)
	if err != nil {
		return rep, target, fmt.Errorf("switch over from %s to %s: %w", self.Name, target.Name, err)
	}
	for _, c := range plan.Candidates {
		if c.Name == rep.Promoted {
			target = c
		}
	}
	return rep, target, nil
}

// abort lifts the fence of a switchover whose promotion was never
// requested, or that the monitor gave up: this node is the primary of a
// group at rest, nothing else changed.
func (s *Switcher) abort(ctx context.Context, cause error) (Report, error) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := s.Fence.Lift(lctx); err != nil {
		return s.rep, errors.Join(cause, fmt.Errorf("and the write fence could not be lifted (the next run lifts it): %w", err))
	}
	s.rep.FenceLifted = true
	s.mark(time.Now(), "fence lifted, nothing else changed")
	return s.rep, fmt.Errorf("%w (switchover abandoned; the write fence was lifted)", cause)
}

// writableState: the promoted node accepts writes from wait_primary on.
func writableState(s pgaf.State) bool {
	return s == pgaf.StateWaitPrimary || s == pgaf.StatePrimary || s == pgaf.StateSingle
}

// IsPrimary reports whether node id is the primary of group, at rest.
func IsPrimary(nodes []pgaf.Node, id int64, group int) bool {
	n, ok := pgaf.PrimaryOf(nodes, group)
	return ok && n.ID == id && n.Settled()
}

func isSecondary(nodes []pgaf.Node, id int64) bool {
	for _, n := range nodes {
		if n.ID == id {
			return n.ReportedState == pgaf.StateSecondary && n.Settled()
		}
	}
	return false
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

func ptr(f float64) *float64 { return &f }
