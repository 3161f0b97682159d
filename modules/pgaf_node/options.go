package main

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"pgafha/internal/ansible"
	"pgafha/internal/connstr"
	"pgafha/internal/localnode"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/switchover"
)

// options are the validated module options.
type options struct {
	state, pgdata, hostname, name, formation, listen, binDir, osUser string
	port, candidatePriority                                          int
	replicationQuorum                                                bool
	monitorURI                                                       *url.URL
	monitorPassword, replicationPassword                             string
	sec                                                              pgautoctl.Security
	keeperSettings                                                   map[string]string
	hbaRules                                                         []string
	// registerAfter are the nodes that must be registered before this one.
	registerAfter []string
	// replicationPeers are the data nodes (host, port) replication may
	// reach; nil: any host (the ~/.pgpass wildcard). leaving are the nodes
	// this run removes: no longer peers, although the monitor lists them.
	replicationPeers []peer
	leaving          []string
	// state=absent only.
	destroy, allowSingle bool
	catchup              time.Duration
}

var (
	nodeName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)
	configKey  = regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)
	formations = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

func readOptions(p ansible.Params) (options, error) {
	o := options{
		state: p.String("state"), pgdata: p.String("pgdata"), hostname: p.String("hostname"),
		name: p.String("name"), formation: p.String("formation"), listen: p.String("listen_addresses"),
		binDir: p.String("pg_bin_dir"), osUser: p.String("os_user"), port: p.Int("pgport"),
		candidatePriority: p.Int("candidate_priority"), replicationQuorum: p.Bool("replication_quorum"),
		monitorPassword: p.String("monitor_password"), replicationPassword: p.String("replication_password"),
		sec: localnode.Security(p), destroy: p.Bool("destroy"), allowSingle: p.Bool("allow_single_node"),
	}
	if err := localnode.Validate(p, "the other nodes and the monitor"); err != nil {
		return o, err
	}
	if !nodeName.MatchString(o.name) {
		return o, fmt.Errorf("name must be 1-63 letters, digits, '.', '_' or '-' (starting with a letter or digit), got %q", o.name)
	}
	if !formations.MatchString(o.formation) {
		return o, fmt.Errorf("formation must be a lower-case identifier, got %q", o.formation)
	}
	if o.candidatePriority < 0 || o.candidatePriority > 100 {
		return o, fmt.Errorf("candidate_priority must be between 0 (never promoted) and 100, got %d", o.candidatePriority)
	}
	var err error
	if o.monitorURI, err = parseMonitorURI(p.String("monitor_uri")); err != nil {
		return o, err
	}
	if o.catchup, err = switchover.CatchupTimeout(p); err != nil {
		return o, err
	}
	if o.sec.Auth == pgautoctl.AuthSCRAM && o.replicationPassword == "" && o.state != stateAbsent {
		return o, fmt.Errorf("auth=%s needs replication_password: standbys log in to the primary as pgautofailover_replicator with it", pgautoctl.AuthSCRAM)
	}
	if err := pgautoctl.CheckPgpassValue("monitor_password", o.monitorPassword); err != nil {
		return o, err
	}
	if err := pgautoctl.CheckPgpassValue("replication_password", o.replicationPassword); err != nil {
		return o, err
	}
	if o.keeperSettings, err = readKeeperSettings(p.Dict("keeper_settings")); err != nil {
		return o, err
	}
	o.hbaRules = localnode.HBARules(p)
	if p.IsSet("replication_hosts") {
		o.replicationPeers = []peer{}
		for i, hp := range p.Strings("replication_hosts") {
			pe, err := parsePeer(hp)
			if err != nil {
				return o, fmt.Errorf("replication_hosts[%d]: %w", i, err)
			}
			o.replicationPeers = append(o.replicationPeers, pe)
		}
	}
	for _, n := range p.Strings("leaving_nodes") {
		if !nodeName.MatchString(n) {
			return o, fmt.Errorf("leaving_nodes: %q is not a node name (1-63 letters, digits, '.', '_' or '-')", n)
		}
		o.leaving = append(o.leaving, n)
	}
	for _, n := range p.Strings("register_after") {
		switch {
		case !nodeName.MatchString(n):
			return o, fmt.Errorf("register_after: %q is not a node name (1-63 letters, digits, '.', '_' or '-')", n)
		case n == o.name:
			return o, fmt.Errorf("register_after: node %q cannot wait for itself", n)
		}
		o.registerAfter = append(o.registerAfter, n)
	}
	return o, nil
}

// parseMonitorURI accepts the URI pgaf_monitor returns. A password in it is
// refused: pg_autoctl would copy it into its world-readable config file.
func parseMonitorURI(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, fmt.Errorf("monitor_uri must be a postgres:// URI such as postgres://autoctl_node@monitor-host:5432/pg_auto_failover?sslmode=require, got %q", connstr.Redact(s))
	}
	if _, hasPw := u.User.Password(); hasPw {
		return nil, fmt.Errorf("monitor_uri must not contain a password (pg_autoctl stores the URI in its world-readable config): pass it as monitor_password, which goes to the postgres user's ~/.pgpass")
	}
	if strings.Contains(u.Host, ",") {
		return nil, fmt.Errorf("monitor_uri must name a single monitor host, got %q", u.Host)
	}
	if u.User.Username() == "" {
		u.User = url.User("autoctl_node")
	}
	return u, nil
}

func readKeeperSettings(d map[string]any) (map[string]string, error) {
	out := map[string]string{}
	keys := slices.Sorted(maps.Keys(d))
	for _, k := range keys {
		if !configKey.MatchString(k) {
			return nil, fmt.Errorf("keeper_settings: %q is not a pg_autoctl config key of the form section.name (e.g. timeout.network_partition_timeout)", k)
		}
		switch v := d[k].(type) {
		case string:
			// pg_autoctl writes the value into its config as it is.
			if !localnode.ConfigSafe(v) {
				return nil, fmt.Errorf("keeper_settings: %s must not contain quotes, backslashes or control characters, got %q", k, v)
			}
			out[k] = v
		case int64:
			out[k] = strconv.FormatInt(v, 10)
		case bool:
			out[k] = strconv.FormatBool(v)
		default:
			return nil, fmt.Errorf("keeper_settings: %s must be a string or an integer, got %v", k, v)
		}
	}
	return out, nil
}

// monitorEndpoint is what identifies a monitor: host, port, database, user.
func monitorEndpoint(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return fmt.Sprintf("%s@%s:%s%s", u.User.Username(), u.Hostname(), port, u.Path)
}

// peer is a data node's address as ~/.pgpass matches it.
type peer struct {
	host string
	port int
}

// parsePeer reads HOST:PORT, the port after the last colon (an IPv6
// address keeps its own colons).
func parsePeer(s string) (peer, error) {
	i := strings.LastIndex(s, ":")
	port, err := strconv.Atoi(s[i+1:])
	host := strings.TrimSuffix(strings.TrimPrefix(s[:max(i, 0)], "["), "]")
	switch {
	case i <= 0 || err != nil || port < 1 || port > 65535:
		return peer{}, fmt.Errorf("want HOST:PORT of a data node, got %q", s)
	case !hostSafe(host):
		return peer{}, fmt.Errorf("host %q must not contain spaces, quotes, backslashes or control characters", host)
	}
	return peer{host: host, port: port}, nil
}

func hostSafe(h string) bool {
	return !strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\'' || r == '"' || r == '\\' })
}
