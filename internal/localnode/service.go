package localnode

import (
	"context"
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/service"
)

// ServiceOption declares `service`: the systemd unit the module keeps for
// its instance (def is the module's default name; "" leaves it alone).
func ServiceOption(def string) ansible.Option {
	return ansible.Option{Name: "service", Type: ansible.TypeStr, Default: def}
}

// Unit describes the instance's unit from the module options; ok is false
// when service is "" (the unit is run by something else).
func Unit(p ansible.Params, r *pgautoctl.Runner, what string) (u service.Unit, ok bool, err error) {
	name := p.String("service")
	if name == "" {
		return u, false, nil
	}
	u = service.Unit{Name: name, What: what, PGData: p.String("pgdata"), User: r.User, BinDir: r.BinDir, PgAutoctl: r.Binary}
	return u, true, u.Validate()
}

// EnsureService brings the unit to written, enabled and active (restarted
// when its file changed while it ran, or when restart asks for it), as
// root; with dryRun it only says what it would do.
func EnsureService(ctx context.Context, r *pgautoctl.Runner, u service.Unit, restart, dryRun bool) (service.Plan, error) {
	var p service.Plan
	err := r.AsRoot(func() error {
		s, err := service.Observe(ctx, u)
		if err != nil {
			return err
		}
		p = service.Decide(u, s, restart)
		if dryRun || !p.Changed() {
			return nil
		}
		return service.Apply(ctx, u, p)
	})
	if err != nil {
		return p, fmt.Errorf("systemd unit %s: %w (set service to \"\" when something else runs pg_autoctl)", u.Name, err)
	}
	return p, nil
}

// RemoveService stops, disables and deletes the unit when it exists, as
// root; with dryRun it only says whether it would. It reports whether the
// unit was (or would be) removed.
func RemoveService(ctx context.Context, r *pgautoctl.Runner, u service.Unit, dryRun bool) (bool, error) {
	var present bool
	err := r.AsRoot(func() error {
		s, err := service.Observe(ctx, u)
		if err != nil {
			return err
		}
		present = s.Present()
		if dryRun || !present {
			return nil
		}
		return service.Remove(ctx, u)
	})
	if err != nil {
		return present, fmt.Errorf("remove systemd unit %s: %w", u.Name, err)
	}
	return present, nil
}
