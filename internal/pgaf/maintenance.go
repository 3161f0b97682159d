package pgaf

import (
	"context"
	"fmt"
	"time"
)

// StartMaintenance asks the monitor to put the node in maintenance (the
// same as `pg_autoctl enable maintenance` on that node). For a standby,
// the monitor first moves the primary to wait_primary, so that commits do
// not wait for the standby while it is down. The monitor's refusal (the
// node would leave the group without a standby it needs, …) is the error.
func (m *Monitor) StartMaintenance(ctx context.Context, n Node) error {
	return m.callBool(ctx, fmt.Sprintf("start maintenance of node %q (id %d)", n.Name, n.ID),
		`select pgautofailover.start_maintenance($1)`, n.ID)
}

// StopMaintenance asks the monitor to take the node out of maintenance: it
// becomes catchingup, then secondary.
func (m *Monitor) StopMaintenance(ctx context.Context, n Node) error {
	return m.callBool(ctx, fmt.Sprintf("stop maintenance of node %q (id %d)", n.Name, n.ID),
		`select pgautofailover.stop_maintenance($1)`, n.ID)
}

// PrimaryReadyTimeout bounds EnterMaintenance's wait for the primary to
// leave wait_primary.
const PrimaryReadyTimeout = time.Minute

// InMaintenance reports whether the monitor has the node in, or on its
// way into, maintenance.
func (n Node) InMaintenance() bool {
	return n.AssignedState.Role() == RoleMaintenance || n.ReportedState.Role() == RoleMaintenance
}

// EnterMaintenance puts the standby n in maintenance and waits until it
// reports it. The monitor refuses while the primary is still in
// wait_primary (right after a switchover or a standby's return, until that
// standby counts as synchronous again): that is waited for first, bounded
// by PrimaryReadyTimeout; a refusal after it carries the monitor's reason.
// requested is true once the monitor accepted: from then on the node must
// be taken out again (LeaveMaintenance) whatever else fails.
func (m *Monitor) EnterMaintenance(ctx context.Context, formation string, n Node) (requested bool, err error) {
	wctx, cancel := context.WithTimeout(ctx, PrimaryReadyTimeout)
	_, _ = m.WaitForState(wctx, formation, func(nodes []Node) bool {
		p, ok := PrimaryOf(nodes, n.Group)
		return ok && p.ReportedState == StatePrimary && GroupSettled(nodes, n.Group)
	})
	cancel()
	if err := m.StartMaintenance(ctx, n); err != nil {
		return false, err
	}
	_, err = m.WaitForState(ctx, formation, func(nodes []Node) bool {
		s, ok := NodeByID(nodes, n.ID)
		return ok && s.ReportedState == StateMaintenance && s.Stable()
	})
	if err != nil {
		return true, fmt.Errorf("wait for %s to report maintenance: %w", n.Name, err)
	}
	return true, nil
}

// LeaveMaintenance takes n out of maintenance (pg_autoctl starts its
// PostgreSQL again if it was stopped) and waits until it is a caught-up
// secondary of a group at rest.
func (m *Monitor) LeaveMaintenance(ctx context.Context, formation string, n Node) error {
	if err := m.StopMaintenance(ctx, n); err != nil {
		return err
	}
	_, err := m.WaitForState(ctx, formation, func(nodes []Node) bool {
		s, ok := NodeByID(nodes, n.ID)
		return ok && s.ReportedState == StateSecondary && GroupSettled(nodes, n.Group)
	})
	if err != nil {
		return fmt.Errorf("wait for %s to be a secondary again after maintenance: %w", n.Name, err)
	}
	return nil
}

// NodeByID finds a node in a snapshot.
func NodeByID(nodes []Node, id int64) (Node, bool) {
	for _, n := range nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}
