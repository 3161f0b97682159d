package main

import (
	"cmp"
	"slices"
	"strconv"

	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
)

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
