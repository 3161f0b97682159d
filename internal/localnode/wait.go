package localnode

import (
	"context"
	"fmt"
	"time"

	"pgafha/internal/pgautoctl"
)

// ServiceGrace is how long `pg_autoctl run` may take to show up after its
// unit was started before the module says it is not running at all.
const ServiceGrace = 30 * time.Second

// retryEvery paces the wait below for a local process starting.
const retryEvery = 500 * time.Millisecond

// WaitForService waits for `pg_autoctl run` (started by the systemd unit
// named service) to appear for pgdata; what ("monitor", "node") names the
// instance in messages.
func WaitForService(ctx context.Context, r *pgautoctl.Runner, pgdata, what, service string) error {
	deadline := time.Now().Add(ServiceGrace)
	for {
		l, err := r.Inspect(ctx, pgdata)
		if err != nil || l.ServicePID != 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pg_autoctl is not running for the %s at %s (no live process in %s after %s): start its service (systemctl start %s) or use state=present", what, pgdata, l.Paths.PID, ServiceGrace, service)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for pg_autoctl to run the %s at %s: %w", what, pgdata, ctx.Err())
		case <-time.After(retryEvery):
		}
	}
}
