package incus

import (
	"context"
	"fmt"

	"github.com/lxc/incus/v7/shared/api"
)

// ForceStop kills an instance at once, like pulling its power cord: no
// shutdown of the init system, which a failover test must not wait for.
func (c *Client) ForceStop(ctx context.Context, project, name string) error {
	req := api.InstanceStatePut{Action: "stop", Force: true, Timeout: -1}
	op, err := c.in(project).UpdateInstanceState(name, req, "")
	if err := wait(ctx, op, err); err != nil {
		return fmt.Errorf("force-stop instance %q in project %q: %w", name, project, err)
	}
	return nil
}
