package main

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"pgafha/internal/localnode"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/service"
)

// registration is what the monitor knows about this node.
type registration struct {
	// local is this node's own state file (nil before registration).
	local *pgautoctl.LocalNode
	// node is the monitor's record for it (nil when not registered).
	node *pgaf.Node
	// stale is a monitor record that matches this node's name or address
	// while this host has no state for pgdata.
	stale *pgaf.Node
	// formation is every node of the formation, as the monitor lists it.
	formation []pgaf.Node
}

// plan is every change the run makes, in the order apply makes them.
type plan struct {
	// This host's files, as observe found them differ.
	tlsFiles []string // TLS files to write
	pgpass   bool     // ~/.pgpass entries to write

	// The node (decideNode).
	create     string      // "create", "resume" or ""
	configSets [][2]string // pg_autoctl config keys to change on this node
	metadata   []string    // `pg_autoctl set node metadata` arguments
	priority   *int        // candidate priority to set on the monitor
	quorum     *bool       // replication quorum to set on the monitor
	// initRunning: a running pg_autoctl is finishing the create itself.
	initRunning bool
	// tls lists how the TLS setup differs (pg_autoctl enable ssl changes it).
	tls []string
	// wasConfig and was are what the decision compared with (for --diff).
	wasConfig pgautoctl.Config
	was       *pgaf.Node

	// After the node: authentication files, the keeper's unit, the
	// replication password on the primary, a reload for renewed
	// certificate files.
	auth                localnode.AuthChange
	service             service.Plan
	replicationPassword bool
	tlsReload           bool
}

func (p plan) policyChange() bool { return p.priority != nil || p.quorum != nil }

// decide turns what observe found into the run's plan: the node's changes
// (decideNode), and this host's differences. A create or a TLS change
// rewrites the files a reload or an authentication check would look at:
// those are decided again after it (apply).
func decide(s seen, o options) (plan, error) {
	p, err := decideNode(s.local, s.reg, o)
	if err != nil {
		return p, err
	}
	p.tlsFiles, p.pgpass, p.service = s.tlsFiles, s.pgpass, s.service
	if p.create == "" {
		p.auth = s.auth
		p.replicationPassword = s.replicationPassword
		p.tlsReload = s.tlsReload && len(p.tls) == 0
	}
	return p, nil
}

// decideNode compares what exists (local files, monitor record) with what
// was asked. It refuses what it must not touch and never asks for a role:
// pg_auto_failover alone decides which node is primary.
func decideNode(l pgautoctl.Local, reg registration, o options) (plan, error) {
	p := plan{wasConfig: l.Config, was: reg.node}
	if l.Config == nil {
		switch {
		case l.Data == pgautoctl.DataCluster:
			return p, fmt.Errorf("pgdata %s holds a PostgreSQL %s cluster that pg_auto_failover does not manage (no pg_autoctl config at %s): refusing to register it (pg_autoctl would make it a primary with its current data); choose another pgdata, or remove that cluster if it is unused", l.PGData, l.PGVersion, l.Paths.Config)
		case l.Data == pgautoctl.DataOther:
			return p, fmt.Errorf("pgdata %s is not empty and holds no PostgreSQL cluster: refusing to create a node there", l.PGData)
		case reg.stale != nil:
			n := reg.stale
			return p, fmt.Errorf("the monitor already has node %d %q at %s in formation %q (state %s), but this host has no pg_autoctl state for %s: if that node is gone for good, remove it on the monitor first (pg_autoctl drop node --formation %s --name %s, as postgres on the monitor) and re-run", n.ID, n.Name, n.Addr(), n.Formation, n.ReportedState, l.PGData, n.Formation, n.Name)
		}
		p.create = "create"
		return p, nil
	}
	if err := checkIdentity(l, o); err != nil {
		return p, err
	}
	if l.InitPending || !l.HasState || l.Data != pgautoctl.DataCluster {
		if l.ServicePID != 0 {
			p.initRunning = true
		} else {
			p.create = "resume"
		}
		return p, nil
	}
	if reg.node == nil {
		id := int64(0)
		if reg.local != nil {
			id = reg.local.NodeID
		}
		return p, fmt.Errorf("this host has pg_autoctl state for %s (node %d) but the monitor %s has no such node in formation %q: it was dropped from the monitor; remove this node's data and state (pg_autoctl drop node --destroy) to re-create it", l.PGData, id, monitorEndpoint(o.monitorURI), o.formation)
	}
	n := reg.node
	if n.Port != o.port {
		return p, fmt.Errorf("node %q is registered with port %d, asked pgport=%d: changing the port of an existing node is not supported", n.Name, n.Port, o.port)
	}
	if n.Name != o.name {
		p.metadata = append(p.metadata, "--name", o.name)
	}
	if n.Host != o.hostname {
		p.metadata = append(p.metadata, "--hostname", o.hostname)
	}
	if n.CandidatePriority != o.candidatePriority {
		v := o.candidatePriority
		p.priority = &v
	}
	if n.ReplicationQuorum != o.replicationQuorum {
		v := o.replicationQuorum
		p.quorum = &v
	}
	for _, k := range slices.Sorted(maps.Keys(o.keeperSettings)) {
		if _, ok := l.Config[k]; !ok {
			return p, fmt.Errorf("keeper_settings: %s is not a key of the pg_autoctl config of this node (%s)", k, strings.Join(keysOf(l.Config, strings.SplitN(k, ".", 2)[0]+"."), ", "))
		}
	}
	p.configSets = configChanges(l.Config, o)
	p.tls = o.sec.TLSDrift(l.Config)
	return p, nil
}

// sameOptions reports whether the stored monitor URI already carries every
// query option asked (pg_autoctl may add its own, such as sslmode).
func sameOptions(stored string, want *url.URL) bool {
	u, err := url.Parse(stored)
	if err != nil {
		return false
	}
	have := u.Query()
	for k, v := range want.Query() {
		if have.Get(k) != v[0] {
			return false
		}
	}
	return true
}

func keysOf(cfg pgautoctl.Config, prefix string) []string {
	var out []string
	for k := range cfg {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return []string{"no key in that section"}
	}
	return out
}

// checkIdentity refuses a config that belongs to something else.
func checkIdentity(l pgautoctl.Local, o options) error {
	cfg := l.Config
	if role := cfg.Role(); role != "keeper" {
		return fmt.Errorf("pgdata %s belongs to a pg_auto_failover %s, not a data node (config %s)", l.PGData, role, l.Paths.Config)
	}
	if got := cfg["postgresql.pgdata"]; got != "" && filepath.Clean(got) != l.PGData {
		return fmt.Errorf("the pg_autoctl config %s is for pgdata %s, not %s", l.Paths.Config, got, l.PGData)
	}
	if got := cfg["pg_autoctl.formation"]; got != o.formation {
		return fmt.Errorf("the node at %s belongs to formation %q, asked %q: a node cannot move between formations; drop and re-create it", l.PGData, got, o.formation)
	}
	if err := checkPort(l, o); err != nil {
		return err
	}
	if u, err := url.Parse(cfg["pg_autoctl.monitor"]); err != nil || monitorEndpoint(u) != monitorEndpoint(o.monitorURI) {
		return fmt.Errorf("the node at %s is registered with the monitor %s, asked %s: refusing to move it to another monitor", l.PGData, endpointOf(cfg["pg_autoctl.monitor"]), monitorEndpoint(o.monitorURI))
	}
	if d := o.sec.AuthDrift(cfg); d != "" {
		return fmt.Errorf("the node at %s was created with another authentication method (%s); pg_autoctl fixes it at create time: align the option with the existing setup, or drop and re-create the node", l.PGData, d)
	}
	return nil
}

// checkPort refuses another port for an existing node.
func checkPort(l pgautoctl.Local, o options) error {
	if got, _ := strconv.Atoi(l.Config["postgresql.port"]); got != o.port {
		return fmt.Errorf("the node at %s runs on port %d, asked pgport=%d: changing the port of an existing node is not supported", l.PGData, got, o.port)
	}
	return nil
}

func endpointOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URI)"
	}
	return monitorEndpoint(u)
}

// configChanges lists the local settings that differ: the monitor URI's
// options (same monitor, e.g. another sslmode), listen_addresses and the
// keeper settings.
func configChanges(cfg pgautoctl.Config, o options) [][2]string {
	var sets [][2]string
	if !sameOptions(cfg["pg_autoctl.monitor"], o.monitorURI) {
		sets = append(sets, [2]string{"pg_autoctl.monitor", o.monitorURI.String()})
	}
	if cfg["postgresql.listen_addresses"] != o.listen {
		sets = append(sets, [2]string{"postgresql.listen_addresses", o.listen})
	}
	for _, k := range slices.Sorted(maps.Keys(o.keeperSettings)) {
		if cfg[k] != o.keeperSettings[k] {
			sets = append(sets, [2]string{k, o.keeperSettings[k]})
		}
	}
	return sets
}
