package failover

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// Monitor is what a cycle needs from the pg_auto_failover monitor.
type Monitor interface {
	// Nodes returns the formation's data nodes as the monitor sees them now.
	Nodes(ctx context.Context) ([]Node, error)
	// Subscribe starts listening on the monitor's `state` channel; it
	// returns once the LISTEN is active, so no later change is missed.
	Subscribe(ctx context.Context) (Subscription, error)
}

// Subscription delivers the formation's state notifications.
type Subscription interface {
	Next(ctx context.Context) (Node, error)
	Close(ctx context.Context) error
}

// Follower keeps the latest state of every node from LISTEN notifications,
// with polling as a fallback (a notification can be missed when the
// listening connection drops), and records every change with its time.
type Follower struct {
	mon       Monitor
	pollEvery time.Duration

	mu         sync.Mutex
	latest     map[string]Node
	notifiedAt map[string]time.Time
	obs        []observation
	waiters    map[*waiter]bool
	notes      []string
	wg         sync.WaitGroup
	cancel     context.CancelFunc
}

type waiter struct {
	cond func(map[string]Node) bool
	done chan time.Time
}

// NewFollower returns a follower that polls every pollEvery.
func NewFollower(mon Monitor, pollEvery time.Duration) *Follower {
	return &Follower{
		mon:        mon,
		pollEvery:  pollEvery,
		latest:     map[string]Node{},
		notifiedAt: map[string]time.Time{},
		waiters:    map[*waiter]bool{},
	}
}

// Start takes a first snapshot and follows the formation in the background
// until Stop. A failed LISTEN only degrades to polling; a failed snapshot is
// an error because nothing can be judged without the monitor.
func (f *Follower) Start(ctx context.Context) ([]Node, error) {
	ctx, f.cancel = context.WithCancel(ctx)
	sub, err := f.mon.Subscribe(ctx)
	if err != nil {
		f.note(fmt.Sprintf("LISTEN state failed, following by polling only: %v", err))
	}
	nodes, err := f.mon.Nodes(ctx)
	if err != nil {
		f.cancel()
		if sub != nil {
			_ = sub.Close(context.Background())
		}
		return nil, fmt.Errorf("read the formation state from the monitor: %w", err)
	}
	now := time.Now()
	for _, n := range nodes {
		f.observe(n, "poll", now, time.Time{})
	}
	if sub != nil {
		f.wg.Add(1)
		go f.listen(ctx, sub)
	}
	f.wg.Add(1)
	go f.poll(ctx)
	return nodes, nil
}

// Stop ends the background following and waits for it.
func (f *Follower) Stop() {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
}

func (f *Follower) listen(ctx context.Context, sub Subscription) {
	defer f.wg.Done()
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = sub.Close(cctx)
	}()
	defer recoverInto(func(err error) { f.note("LISTEN: " + err.Error()) })
	for {
		n, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				f.note(fmt.Sprintf("LISTEN connection lost, following by polling only: %v", err))
			}
			return
		}
		now := time.Now()
		f.mu.Lock()
		f.notifiedAt[n.Name] = now
		f.mu.Unlock()
		f.observe(n, "listen", now, time.Time{})
	}
}

func (f *Follower) poll(ctx context.Context) {
	defer f.wg.Done()
	defer recoverInto(func(err error) { f.note("polling: " + err.Error()) })
	t := time.NewTicker(f.pollEvery)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		asked := time.Now()
		nodes, err := f.mon.Nodes(ctx)
		if err != nil {
			if ctx.Err() == nil {
				failures++
				if failures == 1 {
					f.note(fmt.Sprintf("polling the monitor failed (retrying): %v", err))
				}
			}
			continue
		}
		now := time.Now()
		for _, n := range nodes {
			f.observe(n, "poll", now, asked)
		}
	}
}

// observe applies a node state. A poll answer asked for before the last
// notification about that node is older than what we know: skipped.
func (f *Follower) observe(n Node, source string, at, asked time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !asked.IsZero() && f.notifiedAt[n.Name].After(asked) {
		return
	}
	prev, known := f.latest[n.Name]
	if known && prev.sameState(n) {
		return
	}
	f.latest[n.Name] = n
	f.obs = append(f.obs, observation{at: at, node: n, source: source})
	for w := range f.waiters {
		if w.cond(f.latest) {
			w.done <- at
			delete(f.waiters, w)
		}
	}
}

// Watch registers cond now, so that a change happening before Wait is
// called (e.g. while the fault is being injected) is not missed.
func (f *Follower) Watch(cond func(map[string]Node) bool) *Watch {
	w := &Watch{f: f, waiter: &waiter{cond: cond, done: make(chan time.Time, 1)}}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cond(f.latest) {
		// Already true: the last change is the best known time it became so.
		at := time.Now()
		if len(f.obs) > 0 {
			at = f.obs[len(f.obs)-1].at
		}
		w.done <- at
		return w
	}
	f.waiters[w.waiter] = true
	return w
}

// Watch is a registered condition over the latest node states.
type Watch struct {
	f *Follower
	*waiter
}

// Wait returns the time of the observation that made the condition hold.
func (w *Watch) Wait(ctx context.Context) (time.Time, error) {
	select {
	case at := <-w.done:
		return at, nil
	case <-ctx.Done():
		w.f.mu.Lock()
		delete(w.f.waiters, w.waiter)
		w.f.mu.Unlock()
		// The condition may have held just as ctx ended.
		select {
		case at := <-w.done:
			return at, nil
		default:
		}
		return time.Time{}, ctx.Err()
	}
}

// Until waits for cond to hold over the latest node states.
func (f *Follower) Until(ctx context.Context, cond func(map[string]Node) bool) (time.Time, error) {
	return f.Watch(cond).Wait(ctx)
}

// Latest returns a copy of the latest node states.
func (f *Follower) Latest() map[string]Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.latest)
}

// Timeline returns every observed change relative to origin.
func (f *Follower) Timeline(origin time.Time) []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return timeline(f.obs, origin)
}

// Notes returns what degraded the following (e.g. polling only).
func (f *Follower) Notes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.notes...)
}

func (f *Follower) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notes = append(f.notes, s)
}
