package main

import (
	"context"
	"errors"
	"fmt"

	"pgafha/internal/connstr"
	"pgafha/internal/pgaf"
)

// formationInfo is everything the module reports about one formation.
type formationInfo struct {
	monitorVersion string
	formation      pgaf.Formation
	nodes          []pgaf.Node
	primary        *pgaf.Node
	uri            string
	syncNames      *string
	status         pgaf.Status
	warnings       []string
}

// observe reads the formation. Only the formation itself must exist: during
// a failover there may be no primary, and the module must still answer.
func observe(ctx context.Context, mon *pgaf.Monitor, name string) (formationInfo, error) {
	info := formationInfo{monitorVersion: mon.Version()}
	var err error
	if info.formation, err = mon.Formation(ctx, name); err != nil {
		return info, err
	}
	if info.nodes, err = mon.Nodes(ctx, name); err != nil {
		return info, err
	}
	info.status = pgaf.Assess(info.nodes)
	if len(info.nodes) == 0 {
		// The monitor's URI and sync functions raise errors on an empty formation.
		return info, nil
	}
	primary, err := mon.Primary(ctx, name, 0)
	switch {
	case err == nil:
		info.primary = &primary
	case !errors.Is(err, pgaf.ErrNoPrimary):
		return info, err
	}
	if info.uri, err = mon.FormationURI(ctx, name, ""); err != nil {
		return info, err
	}
	info.uri = connstr.Redact(info.uri)
	sync, err := mon.SyncStandbyNames(ctx, name, 0)
	if err != nil {
		info.warnings = append(info.warnings, fmt.Sprintf("could not read synchronous_standby_names: %v", err))
	} else {
		info.syncNames = &sync
	}
	return info, nil
}
