package pgaf

import (
	"context"
	"fmt"
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
