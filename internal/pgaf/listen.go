package pgaf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// StateChannel is the NOTIFY channel on which the monitor announces every
// state assignment and report.
const StateChannel = "state"

// StateEvent is one notification on StateChannel.
type StateEvent struct {
	Type          string `json:"type"`
	Formation     string `json:"formation"`
	Group         int    `json:"groupId"`
	NodeID        int64  `json:"nodeId"`
	Name          string `json:"name"`
	Host          string `json:"host"`
	Port          int    `json:"port"`
	ReportedState State  `json:"reportedState"`
	AssignedState State  `json:"goalState"`
	Health        Health `json:"health"`
	// Received is when this client read the notification (local clock),
	// for measuring how long transitions take.
	Received time.Time `json:"-"`
	// Payload is the notification as the monitor sent it.
	Payload string `json:"-"`
}

// Listener receives StateEvents on a connection of its own, so the Monitor
// that opened it stays free for queries.
type Listener struct {
	conn *pgx.Conn
}

// Listen opens a second connection to the monitor and subscribes to
// StateChannel. Close it when done.
func (m *Monitor) Listen(ctx context.Context) (*Listener, error) {
	conn, err := pgx.ConnectConfig(ctx, m.cfg.Copy())
	if err != nil {
		return nil, connectError(m.cfg, err)
	}
	if _, err := conn.Exec(ctx, "listen "+pgx.Identifier{StateChannel}.Sanitize()); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("listen on monitor channel %q: %w", StateChannel, err)
	}
	return &Listener{conn: conn}, nil
}

// Close ends the listening connection.
func (l *Listener) Close(ctx context.Context) error { return l.conn.Close(ctx) }

// Next waits for the next state notification. An error wrapping
// context.DeadlineExceeded means none came before ctx's deadline; the
// listener stays usable after that.
func (l *Listener) Next(ctx context.Context) (StateEvent, error) {
	n, err := l.conn.WaitForNotification(ctx)
	if err != nil {
		return StateEvent{}, fmt.Errorf("wait for monitor notification: %w", err)
	}
	// Received and Payload are json:"-": decoding leaves them as set here.
	ev := StateEvent{Received: time.Now(), Payload: n.Payload}
	if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil {
		return ev, fmt.Errorf("decode monitor notification %q: %w", n.Payload, err)
	}
	return ev, nil
}

// pollEvery bounds how stale WaitForState's view can get if a notification
// is missed (e.g. a node's health changing does not always notify).
const pollEvery = time.Second

// WaitForState waits until done(nodes of formation) is true and returns
// those nodes. It re-reads the nodes on every notification and at least
// every second, so it cannot miss a state reached before it started.
// On timeout the error says what the nodes looked like last.
func (m *Monitor) WaitForState(ctx context.Context, formation string, done func([]Node) bool) ([]Node, error) {
	l, err := m.Listen(ctx)
	if err != nil {
		return nil, err
	}
	defer l.Close(context.WithoutCancel(ctx))
	var nodes []Node
	for {
		// Subscribed before reading, so a change between the two is not lost.
		nodes, err = m.Nodes(ctx, formation)
		if err != nil {
			return nodes, err
		}
		if done(nodes) {
			return nodes, nil
		}
		// Any notification means "look again"; its payload is not needed here.
		wctx, cancel := context.WithTimeout(ctx, pollEvery)
		_, err = l.conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return nodes, fmt.Errorf("formation %q: %w; last seen: %s", formation, ctx.Err(), Summary(nodes))
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nodes, fmt.Errorf("wait for monitor notification: %w", err)
		}
	}
}
