package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"pgafha/internal/monitorconn"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
)

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

// observe finds this node on the monitor: by the node id of its local
// state when it has one, else by name or address (a stale record).
func observe(ctx context.Context, r *pgautoctl.Runner, mon *pgaf.Monitor, l pgautoctl.Local, o options) (registration, error) {
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

// reobserve looks again after a create, for the report and the next steps.
func reobserve(ctx context.Context, r *pgautoctl.Runner, mon *pgaf.Monitor, o options) (pgautoctl.Local, registration, plan, error) {
	l, err := r.Inspect(ctx, o.pgdata)
	if err != nil {
		return l, registration{}, plan{}, err
	}
	reg, err := observe(ctx, r, mon, l, o)
	if err != nil {
		return l, reg, plan{}, err
	}
	p, err := decide(l, reg, o)
	if err != nil {
		return l, reg, p, fmt.Errorf("after the create: %w", err)
	}
	if p.create != "" {
		return l, reg, p, fmt.Errorf("pg_autoctl create of node %q returned but its initialisation is not complete (%s still present or no state): see the node's pg_autoctl logs", o.name, l.Paths.Init)
	}
	return l, reg, p, nil
}

// formationURI is what applications connect with; "" if the monitor cannot
// tell (it is reported, never needed for a decision).
func formationURI(ctx context.Context, mon *pgaf.Monitor, o options) string {
	uri, err := mon.FormationURI(ctx, o.formation, "")
	if err != nil {
		return ""
	}
	return uri
}

// passEntries are the ~/.pgpass lines this node needs: autoctl_node on the
// monitor, and pgautofailover_replicator on whichever node is primary. With
// replication_hosts, that password is offered only to the formation's data
// nodes, the ones listed and the ones the monitor knows (a run limited to a
// few hosts lists only those) but the leaving ones, and ownUsers says that these are then all of
// the replicator's lines: any other one (the wildcard, a node gone) goes.
func passEntries(o options, formation []pgaf.Node) (entries []pgautoctl.PassEntry, ownUsers []string) {
	if o.monitorPassword != "" {
		port := o.monitorURI.Port()
		if port == "" {
			port = "5432"
		}
		db := o.monitorURI.Path
		if len(db) > 0 && db[0] == '/' {
			db = db[1:]
		}
		entries = append(entries, pgautoctl.PassEntry{Host: o.monitorURI.Hostname(), Port: port, DB: db, User: o.monitorURI.User.Username(), Password: o.monitorPassword})
	}
	if o.replicationPassword == "" {
		return entries, nil
	}
	if o.replicationPeers == nil {
		return append(entries, pgautoctl.PassEntry{Host: "*", Port: "*", DB: "*", User: replicationUser, Password: o.replicationPassword}), nil
	}
	peers := slices.Clone(o.replicationPeers)
	for _, n := range formation {
		if !slices.Contains(o.leaving, n.Name) {
			peers = append(peers, peer{host: n.Host, port: n.Port})
		}
	}
	// In a fixed order: the list Ansible passes comes out of a set operation
	// (its order varies from run to run), and a reordered file is a change.
	slices.SortFunc(peers, func(a, b peer) int {
		return cmp.Or(cmp.Compare(a.host, b.host), cmp.Compare(a.port, b.port))
	})
	seen := map[peer]bool{}
	for _, p := range peers {
		if seen[p] {
			continue
		}
		seen[p] = true
		entries = append(entries, pgautoctl.PassEntry{Host: p.host, Port: strconv.Itoa(p.port), DB: "*", User: replicationUser, Password: o.replicationPassword})
	}
	return entries, []string{replicationUser}
}

// replicationUser is the role pg_auto_failover streams and rewinds with.
const replicationUser = "pgautofailover_replicator"

// awaitRegistered waits (bounded by the module's timeout) until every node
// of register_after is on the monitor. pg_auto_failover makes the first
// node of a group primary: with the data nodes converged in parallel, this
// keeps the inventory's order.
func awaitRegistered(ctx context.Context, mon *pgaf.Monitor, o options) error {
	if len(o.registerAfter) == 0 {
		return nil
	}
	missing := func(nodes []pgaf.Node) []string {
		var out []string
		for _, name := range o.registerAfter {
			if !slices.ContainsFunc(nodes, func(n pgaf.Node) bool { return n.Name == name }) {
				out = append(out, name)
			}
		}
		return out
	}
	nodes, err := mon.WaitForState(ctx, o.formation, func(nodes []pgaf.Node) bool { return len(missing(nodes)) == 0 })
	if err != nil {
		return fmt.Errorf("wait for %s to register before node %q (register_after): %w", strings.Join(missing(nodes), ", "), o.name, err)
	}
	return nil
}
