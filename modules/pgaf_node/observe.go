package main

import (
	"context"

	"pgafha/internal/localnode"
	"pgafha/internal/monitorconn"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/service"
)

// seen is what observe found: this host's node, its record on the monitor,
// and how this host's files differ from what was asked (each found by the
// helper that would change it, run without changing anything).
type seen struct {
	local pgautoctl.Local
	reg   registration
	// mon is nil only in check mode when the monitor is not reachable yet
	// (monitorErr): a run that creates it has not run.
	mon        *pgaf.Monitor
	monitorErr error
	cleanup    func()

	tlsFiles            []string
	pgpass              bool
	auth                localnode.AuthChange
	service             service.Plan
	tlsReload           bool
	replicationPassword bool
}

func (s *seen) close(ctx context.Context) {
	if s.mon != nil {
		s.mon.Close(context.WithoutCancel(ctx))
	}
	if s.cleanup != nil {
		s.cleanup()
	}
}

// observe reads this host's files, then the monitor's view of this node. It
// changes nothing: the monitor is reached with a staged copy of the CA the
// run would install, so a renewed CA is used before it is written.
func observe(ctx context.Context, h localnode.Host, o options, checkMode bool) (s seen, err error) {
	if s.local, err = h.Runner.Inspect(ctx, o.pgdata); err != nil {
		return s, err
	}
	// Another port is refused (by decide too) before anything is reached:
	// its PostgreSQL would be waited for on the asked one.
	if s.local.Config != nil {
		if err := checkPort(s.local, o); err != nil {
			return s, err
		}
	}
	if s.tlsFiles, err = localnode.EnsureTLSFiles(h.TLSFiles, true); err != nil {
		return s, err
	}
	caFile, cleanup, err := localnode.StageCA(h.TLSFiles, s.tlsFiles)
	if err != nil {
		return s, err
	}
	s.cleanup = cleanup
	if s.mon, err = connectMonitor(ctx, o, caFile); err != nil {
		// --check before the monitor exists (it would be created earlier
		// in the same run): predict from this host's files.
		if !checkMode || s.local.Config != nil || !pgaf.Unreachable(err) {
			return s, err
		}
		s.mon, s.monitorErr = nil, err
	} else if s.reg, err = lookup(ctx, h.Runner, s.mon, s.local, o); err != nil {
		return s, err
	}
	entries, ownUsers := passEntries(o, s.reg.formation)
	if s.pgpass, err = h.Runner.EnsurePgpass(entries, true, ownUsers...); err != nil {
		return s, err
	}
	if h.ManageUnit {
		if s.service, err = localnode.EnsureService(ctx, h.Runner, h.Unit, false, true); err != nil {
			return s, err
		}
	}
	if s.local.Config == nil || s.local.Data != pgautoctl.DataCluster {
		return s, nil
	}
	if s.auth, err = localnode.EnsureAuth(ctx, s.local, o.port, o.osUser, o.hbaRules, hbaMarker, true); err != nil {
		return s, err
	}
	if s.tlsReload, err = localnode.ReloadForRenewedTLS(ctx, s.local.PGData, o.port, o.sec, s.tlsFiles, true); err != nil {
		return s, err
	}
	s.replicationPassword, err = replicationPasswordDiffers(ctx, o, s.local, s.reg)
	return s, err
}

// connectMonitor connects as the node's keeper will (same URI, same
// password) and checks the formation exists.
func connectMonitor(ctx context.Context, o options, caFile string) (*pgaf.Monitor, error) {
	u := *o.monitorURI
	if caFile != "" {
		q := u.Query()
		q.Set("sslrootcert", caFile)
		u.RawQuery = q.Encode()
	}
	return monitorconn.Dial(ctx, u.String(), o.monitorPassword, o.formation)
}

// lookup finds this node on the monitor: by the node id of its local state
// when it has one, else by name or address (a stale record).
func lookup(ctx context.Context, r *pgautoctl.Runner, mon *pgaf.Monitor, l pgautoctl.Local, o options) (registration, error) {
	var reg registration
	nodes, err := mon.Nodes(ctx, o.formation)
	if err != nil {
		return reg, err
	}
	reg.formation = nodes
	if l.Config != nil && l.HasState {
		ln, err := r.ShowLocalState(ctx, l.PGData)
		if err != nil {
			return reg, err
		}
		reg.local = &ln
		for i := range nodes {
			if nodes[i].ID == ln.NodeID {
				reg.node = &nodes[i]
			}
		}
		return reg, nil
	}
	if l.Config == nil {
		for i := range nodes {
			if nodes[i].Name == o.name || (nodes[i].Host == o.hostname && nodes[i].Port == o.port) {
				reg.stale = &nodes[i]
			}
		}
	}
	return reg, nil
}

// formationURI is what applications connect with; "" if the monitor cannot
// tell (it is reported, never needed for a decision).
func formationURI(ctx context.Context, mon *pgaf.Monitor, o options) string {
	if mon == nil {
		return ""
	}
	uri, err := mon.FormationURI(ctx, o.formation, "")
	if err != nil {
		return ""
	}
	return uri
}
