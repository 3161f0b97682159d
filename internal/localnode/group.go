package localnode

import (
	"context"
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/monitorconn"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
)

// Group is this host's data node and its group, as the monitor has them
// at rest. The caller closes Mon.
type Group struct {
	Mon   *pgaf.Monitor
	Nodes []pgaf.Node
	Self  pgaf.Node
}

// SettledGroup reads which node this host runs at pgdata, connects to the
// monitor of the module's options (monitorconn) and waits, bounded by ctx,
// until the node's group is at rest: the modules that act on an existing
// data node (restart, maintenance) start only from there.
func SettledGroup(ctx context.Context, r *pgautoctl.Runner, p ansible.Params, pgdata string) (Group, error) {
	local, err := r.ShowLocalState(ctx, pgdata)
	if err != nil {
		return Group{}, fmt.Errorf("read this host's pg_auto_failover node at %s (create it first with pgaf_node): %w", pgdata, err)
	}
	mon, err := monitorconn.Connect(ctx, p)
	if err != nil {
		return Group{}, err
	}
	nodes, err := mon.WaitForState(ctx, p.String("formation"), func(n []pgaf.Node) bool { return pgaf.GroupSettled(n, local.GroupID) })
	if err != nil {
		_ = mon.Close(context.WithoutCancel(ctx))
		return Group{}, fmt.Errorf("wait for group %d to be at rest: %w", local.GroupID, err)
	}
	self, ok := pgaf.NodeByID(nodes, local.NodeID)
	if !ok {
		_ = mon.Close(context.WithoutCancel(ctx))
		return Group{}, fmt.Errorf("this host's node (id %d) is not on the monitor: %s", local.NodeID, pgaf.Summary(nodes))
	}
	return Group{Mon: mon, Nodes: nodes, Self: self}, nil
}
