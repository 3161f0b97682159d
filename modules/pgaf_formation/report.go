package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pgafha/internal/ansible"
	"pgafha/internal/pgaf"
)

// nodeView is one node in the result.
type nodeView struct {
	Name              string `json:"name"`
	ID                int64  `json:"node_id"`
	State             string `json:"state"`
	CandidatePriority int    `json:"candidate_priority"`
	ReplicationQuorum bool   `json:"replication_quorum"`
	ReplicationState  string `json:"replication_state"`
}

// report describes the policy now in force (nodes: the group as it is now).
func report(ctx context.Context, m *ansible.Module, mon *pgaf.Monitor, formation string, group int, nodes []pgaf.Node, plan policyPlan, beforeNSS int) error {
	res := &m.Result
	res.Changed = plan.change
	if res.Changed {
		res.SetDiff(ansible.Diff{
			Before:       map[string]any{"number_sync_standbys": beforeNSS},
			After:        map[string]any{"number_sync_standbys": plan.targetNSS},
			BeforeHeader: formation + " (before)", AfterHeader: formation + " (after)",
		})
	}

	f, err := mon.Formation(ctx, formation)
	if err != nil {
		return err
	}
	names, err := mon.SyncStandbyNames(ctx, formation, group)
	if err != nil {
		return err
	}
	views := make([]nodeView, 0, len(nodes))
	var table []string
	for _, n := range nodes {
		views = append(views, nodeView{n.Name, n.ID, string(n.ReportedState), n.CandidatePriority, n.ReplicationQuorum, n.ReplicationState})
		table = append(table, fmt.Sprintf("%s (id %d) %s: %s, health %s, candidate_priority %d, replication_quorum %t",
			n.Name, n.ID, n.Addr(), n.ReportedState, n.Health, n.CandidatePriority, n.ReplicationQuorum))
	}
	res.Set("formation", formation)
	res.Set("number_sync_standbys", f.NumberSyncStandbys)
	res.Set("nodes", views)
	res.Set("table", table)
	res.Set("synchronous_standby_names", names)

	primary, ok := pgaf.PrimaryOf(nodes, group)
	if !ok {
		res.Warn("the group has no primary right now: effective synchronous_standby_names unknown")
	} else {
		res.Set("primary", primary.Name)
		effective, err := primarySyncNames(ctx, primary, mon.TLS())
		if err != nil {
			res.Warn(fmt.Sprintf("could not read synchronous_standby_names on the primary %s (%v); showing the monitor's value", primary.Addr(), err))
			effective = names
		} else {
			res.Set("primary_synchronous_standby_names", effective)
		}
		sync := effective != "" && (primary.ReplicationState == "sync" || primary.ReplicationState == "quorum")
		res.Set("synchronous", sync)
		if !sync && !m.CheckMode() {
			res.Warn(fmt.Sprintf("replication is not synchronous right now (primary %s: synchronous_standby_names=%q, replication state %q): commits do not wait for a standby", primary.Name, effective, primary.ReplicationState))
		}
	}
	if uri, err := mon.FormationURI(ctx, formation, ""); err == nil {
		res.Set("formation_uri", uri)
	}
	switch {
	case !res.Changed:
		res.Msg = fmt.Sprintf("formation %s policy is as asked (number_sync_standbys=%d, synchronous_standby_names=%q)", formation, f.NumberSyncStandbys, names)
	case m.CheckMode():
		res.Msg = "would " + plan.String()
	default:
		res.Msg = plan.String() + fmt.Sprintf(" (synchronous_standby_names=%q)", names)
	}
	return nil
}

// primarySyncNames reads synchronous_standby_names on the primary itself.
// It logs in as pgautofailover_monitor, the role pg_autoctl creates for the
// monitor's health checks and lets in from the monitor host: the module
// runs there and needs no password for it. That role allows one session,
// so a clash with a health check is retried.
func primarySyncNames(ctx context.Context, primary pgaf.Node, tls pgaf.TLSParams) (string, error) {
	if tls.Mode == "" {
		tls.Mode = "prefer"
	}
	conninfo := fmt.Sprintf("host=%s port=%d user=pgautofailover_monitor dbname=postgres connect_timeout=5 application_name=pgafha", primary.Host, primary.Port) + tls.Conninfo()
	cfg, err := pgx.ParseConfig(conninfo)
	if err != nil {
		return "", err
	}
	var last error
	for range 3 {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			var v string
			err = conn.QueryRow(ctx, "SHOW synchronous_standby_names").Scan(&v)
			conn.Close(context.WithoutCancel(ctx))
			if err == nil {
				return v, nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	return "", last
}
