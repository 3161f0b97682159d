package failover

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// fakeMonitor is an in-memory pg_auto_failover monitor for testing the
// orchestration logic; it notifies like `LISTEN state` unless quiet.
type fakeMonitor struct {
	mu        sync.Mutex
	nodes     map[string]Node
	subs      []chan Node
	noListen  bool
	failNodes bool
}

func newFakeMonitor(nodes ...Node) *fakeMonitor {
	m := &fakeMonitor{nodes: map[string]Node{}}
	for _, n := range nodes {
		m.nodes[n.Name] = n
	}
	return m
}

func (m *fakeMonitor) Nodes(ctx context.Context) ([]Node, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failNodes {
		return nil, errors.New("connection refused")
	}
	return sortedNodes(m.nodes), nil
}

func (m *fakeMonitor) Subscribe(ctx context.Context) (Subscription, error) {
	if m.noListen {
		return nil, errors.New("LISTEN not allowed")
	}
	ch := make(chan Node, 100)
	m.mu.Lock()
	m.subs = append(m.subs, ch)
	m.mu.Unlock()
	return fakeSub(ch), nil
}

func (m *fakeMonitor) set(n Node) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nodes[n.Name] = n
	for _, s := range m.subs {
		s <- n
	}
}

type fakeSub chan Node

func (s fakeSub) Next(ctx context.Context) (Node, error) {
	select {
	case n := <-s:
		return n, nil
	case <-ctx.Done():
		return Node{}, ctx.Err()
	}
}

func (s fakeSub) Close(context.Context) error { return nil }

// fakePower records calls and lets the test play the state machine's
// reaction to each of them.
type fakePower struct {
	mu       sync.Mutex
	calls    []string
	addrs    map[string][]string
	stopped  map[string]bool
	onStop   func()
	onStart  func()
	stopErr  error
	startErr error
}

func (p *fakePower) record(call string, inst Instance) {
	p.mu.Lock()
	p.calls = append(p.calls, call+" "+inst.String())
	p.mu.Unlock()
}

func (p *fakePower) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

func (p *fakePower) ForceStop(ctx context.Context, inst Instance) error {
	p.record("stop", inst)
	if p.onStop != nil {
		go p.onStop()
	}
	return p.stopErr
}

func (p *fakePower) Start(ctx context.Context, inst Instance) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p.record("start", inst)
	if p.startErr != nil {
		return p.startErr
	}
	if p.onStart != nil {
		go p.onStart()
	}
	return nil
}

func (p *fakePower) Pause(ctx context.Context, inst Instance) error {
	p.record("pause", inst)
	return nil
}

func (p *fakePower) Resume(ctx context.Context, inst Instance) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p.record("resume", inst)
	return nil
}

func (p *fakePower) KillPostmaster(ctx context.Context, inst Instance, port int) error {
	p.record(fmt.Sprintf("kill:%d", port), inst)
	if p.onStop != nil {
		go p.onStop()
	}
	return p.stopErr
}

func (p *fakePower) Addresses(ctx context.Context, inst Instance) ([]string, error) {
	if p.stopped[inst.Name] {
		return nil, fmt.Errorf("instance %s is Stopped: %w", inst, ErrNotRunning)
	}
	a, ok := p.addrs[inst.Name]
	if !ok {
		return nil, fmt.Errorf("no instance %s", inst)
	}
	return a, nil
}

func step(d time.Duration) { time.Sleep(d) }

// fakeNetwork records cuts and heals, and lets the test play the
// monitor's reaction to a cut.
type fakeNetwork struct {
	pow   *fakePower
	onCut func()
}

func (n *fakeNetwork) Cut(ctx context.Context, a, b []string) error {
	n.pow.record(fmt.Sprintf("cut %v|%v", a, b), Instance{})
	if n.onCut != nil {
		go n.onCut()
	}
	return nil
}

func (n *fakeNetwork) Heal(ctx context.Context) error {
	n.pow.record("heal", Instance{})
	return nil
}
