package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"pgafha/internal/ansible"
	"pgafha/internal/connstr"
	"pgafha/internal/failover"
	"pgafha/internal/labnet"
	"pgafha/internal/placement"
)

// Pacing of the probe and the follower; fixed because they are what the
// published figures were measured with.
const (
	pollEvery           = 500 * time.Millisecond
	probeInterval       = 10 * time.Millisecond
	probeAttemptTimeout = time.Second
	settle              = 5 * time.Second
	// promotionGrace is how long past the target the test keeps waiting for
	// a promotion, so that a missed target still reports the real RTO.
	promotionGrace = 60 * time.Second
	maxCycles      = 100
)

// options are the validated module options.
type options struct {
	monitorURI  string
	formation   string
	rtoTarget   time.Duration
	rejoin      time.Duration
	instances   map[string]failover.Instance
	project     string
	restart     bool
	cycles      int
	scenario    string
	freezeFor   time.Duration
	downFor     time.Duration
	monitorInst failover.Instance
	writeProbe  bool
	probeURI    string
	probeUser   string
	probeDB     string
	probePass   string
	// rootCert replaces the sslrootcert of the URIs: they name the members'
	// copy of the CA, this test runs on the Incus host.
	rootCert     string
	timeout      time.Duration
	monitorHosts []string
}

// errNoCA: the CA that verifies the formation's servers is not on this
// host, a setup error like an unreachable monitor.
var errNoCA = errors.New("the formation's CA file is not readable here")

// parseOptions checks every option before anything is touched; each error
// names the option and the reason.
func parseOptions(p ansible.Params) (*options, error) {
	o := &options{
		monitorURI: p.String("monitor_uri"),
		formation:  p.String("formation"),
		project:    p.String("project"),
		restart:    p.Bool("restart"),
		cycles:     p.Int("cycles"),
		scenario:   p.String("scenario"),
		writeProbe: p.Bool("write_probe"),
		probeURI:   p.String("probe_uri"),
		probeUser:  p.String("probe_user"),
		probeDB:    p.String("probe_database"),
		probePass:  p.String("probe_password"),
		timeout:    p.Duration(ansible.TimeoutOption),
	}
	var err error
	if o.rtoTarget, err = seconds("rto_target_seconds", p.Float("rto_target_seconds"), 3600); err != nil {
		return nil, err
	}
	if o.freezeFor, err = seconds("freeze_seconds", p.Float("freeze_seconds"), 600); err != nil {
		return nil, err
	}
	if o.downFor, err = seconds("down_seconds", p.Float("down_seconds"), 600); err != nil {
		return nil, err
	}
	if o.rejoin, err = seconds("rejoin_timeout", float64(p.Int("rejoin_timeout")), 3600); err != nil {
		return nil, err
	}
	if o.cycles < 1 || o.cycles > maxCycles {
		return nil, fmt.Errorf("argument 'cycles' must be between 1 and %d, got %d", maxCycles, o.cycles)
	}
	if o.formation == "" {
		return nil, fmt.Errorf("argument 'formation' must not be empty")
	}
	if o.project == "" {
		return nil, fmt.Errorf("argument 'project' must not be empty")
	}
	// First: parsing a URI reads the CA file it names.
	if o.rootCert = p.String("ssl_root_cert"); o.rootCert != "" {
		if !filepath.IsAbs(o.rootCert) {
			return nil, fmt.Errorf("argument 'ssl_root_cert' must be an absolute path on this host, got %q", o.rootCert)
		}
		if _, err := os.Stat(o.rootCert); err != nil {
			return nil, fmt.Errorf("argument 'ssl_root_cert': %w: %w (converge the formation with this inventory first, or point ssl_root_cert at the formation's CA)", errNoCA, err)
		}
		if o.monitorURI, err = withRootCert(o.monitorURI, o.rootCert, "monitor_uri"); err != nil {
			return nil, err
		}
		if o.probeURI != "" {
			if o.probeURI, err = withRootCert(o.probeURI, o.rootCert, "probe_uri"); err != nil {
				return nil, err
			}
		}
	}
	if o.monitorHosts, err = hostsOf("monitor_uri", o.monitorURI); err != nil {
		return nil, err
	}
	if o.probeURI != "" {
		if _, err := hostsOf("probe_uri", o.probeURI); err != nil {
			return nil, err
		}
	}
	if o.instances, err = parseInstances(p.Dict("instances"), o.project); err != nil {
		return nil, err
	}
	if o.monitorInst, err = parseMonitorInstance(p.Dict("monitor_instance"), o.project); err != nil {
		return nil, err
	}
	switch {
	case o.scenario == failover.ScenarioKill && !o.writeProbe:
		return nil, fmt.Errorf("argument 'scenario': kill is measured through the write probe; it needs write_probe=true")
	case o.scenario == failover.ScenarioMonitorLoss && o.monitorInst.Name == "":
		return nil, fmt.Errorf("argument 'monitor_instance' is required with scenario monitor_loss: the Incus instance that runs the monitor")
	case o.scenario == failover.ScenarioMonitorLoss && !o.restart:
		return nil, fmt.Errorf("argument 'restart' must be true with scenario monitor_loss: the formation cannot be judged without its monitor")
	case (o.scenario == failover.ScenarioPartition || o.scenario == failover.ScenarioMonitorPartition) && !o.restart:
		return nil, fmt.Errorf("argument 'restart' must be true with scenario %s: a network cut is always healed", o.scenario)
	case o.scenario == failover.ScenarioHostLoss:
		if err := o.checkHostLoss(); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// checkHostLoss refuses host_loss unless the monitor's instance and every
// data node's name their failure domain and the formation survives the loss
// of any one of them (internal/placement): the scenario would otherwise
// stop the monitor, or the whole formation, with the primary's host.
func (o *options) checkHostLoss() error {
	if o.monitorInst.Name == "" || o.monitorInst.Domain == "" {
		return fmt.Errorf("argument 'monitor_instance' with its 'domain' is required with scenario host_loss: the monitor's host must not be the one taken down")
	}
	if len(o.instances) == 0 {
		return fmt.Errorf("argument 'instances' (node → {name, project, remote, domain}) is required with scenario host_loss")
	}
	members := []placement.Member{{Name: o.monitorInst.String(), Role: placement.RoleMonitor, Domain: o.monitorInst.Domain}}
	for _, node := range slices.Sorted(maps.Keys(o.instances)) {
		inst := o.instances[node]
		if inst.Domain == "" {
			return fmt.Errorf("argument 'instances': %s needs a 'domain' with scenario host_loss", node)
		}
		members = append(members, placement.Member{Name: inst.String(), Role: placement.RoleNode, Domain: inst.Domain})
	}
	if err := placement.Check(members); err != nil {
		return fmt.Errorf("argument 'scenario': host_loss refused: %w", err)
	}
	if !o.restart {
		return fmt.Errorf("argument 'restart' must be true with scenario host_loss: the host's instances come back together, as the host would")
	}
	return nil
}

func seconds(name string, v float64, max float64) (time.Duration, error) {
	if !(v > 0) || v > max || math.IsInf(v, 0) {
		return 0, fmt.Errorf("argument '%s' must be a number of seconds above 0 and at most %g, got %g", name, max, v)
	}
	return time.Duration(v * float64(time.Second)), nil
}

// hostsOf parses a connection string and returns its hosts; the error never
// echoes the string (it may hold a password).
func hostsOf(name, conn string) ([]string, error) {
	cfg, err := pgconn.ParseConfig(conn)
	if err != nil {
		return nil, fmt.Errorf("argument '%s' is not a valid PostgreSQL connection string: %s", name, connstr.Redact(err.Error()))
	}
	// Fallbacks repeat a host once per TLS mode that sslmode allows.
	hosts := []string{cfg.Host}
	for _, f := range cfg.Fallbacks {
		if !slices.Contains(hosts, f.Host) {
			hosts = append(hosts, f.Host)
		}
	}
	return hosts, nil
}

// parseInstances reads `instances`: node name → instance name, or node
// name → {name, project}. Unlisted nodes run in the instance of their name.
func parseInstances(d map[string]any, project string) (map[string]failover.Instance, error) {
	out := map[string]failover.Instance{}
	for node, v := range d {
		inst, err := parseInstance("instances': "+node, v, project)
		if err != nil {
			return nil, err
		}
		out[node] = inst
	}
	return out, nil
}

// parseMonitorInstance reads `monitor_instance`, {name, project}; empty
// when not given.
func parseMonitorInstance(d map[string]any, project string) (failover.Instance, error) {
	if len(d) == 0 {
		return failover.Instance{}, nil
	}
	return parseInstance("monitor_instance'", d, project)
}

// parseInstance reads an instance name, or a dict with name and project;
// what names the argument in errors.
func parseInstance(what string, v any, project string) (failover.Instance, error) {
	inst := failover.Instance{Project: project}
	switch x := v.(type) {
	case string:
		inst.Name = x
	case map[string]any:
		for k, val := range x {
			s, ok := val.(string)
			if !ok {
				return inst, fmt.Errorf("argument '%s.%s must be a string", what, k)
			}
			switch k {
			case "name":
				inst.Name = s
			case "project":
				inst.Project = s
			case "remote":
				inst.Remote = s
			case "domain":
				inst.Domain = s
			default:
				return inst, fmt.Errorf("argument '%s has unknown key %q (expected name, project, remote, domain)", what, k)
			}
		}
	default:
		return inst, fmt.Errorf("argument '%s must be an instance name or a dict with name, project, remote and domain", what)
	}
	if inst.Name == "" || inst.Project == "" {
		return inst, fmt.Errorf("argument '%s needs a non-empty instance name and project", what)
	}
	return inst, nil
}

// remoteProbes is one instance per Incus remote the run may touch, to check
// each daemon answers before anything is stopped.
func (o *options) remoteProbes() []failover.Instance {
	seen := map[string]bool{}
	var out []failover.Instance
	for _, inst := range append(slices.Collect(maps.Values(o.instances)), o.monitorInst, failover.Instance{Project: o.project}) {
		r := inst.RemoteName()
		if !seen[r] {
			seen[r] = true
			out = append(out, inst)
		}
	}
	return out
}

// hostOf lists the instances (data nodes' and the monitor's) that share
// inst's failure domain; without a domain, inst alone.
func (o *options) hostOf(inst failover.Instance) []failover.Instance {
	if inst.Domain == "" {
		return []failover.Instance{inst}
	}
	var out []failover.Instance
	for _, node := range slices.Sorted(maps.Keys(o.instances)) {
		if i := o.instances[node]; i.Domain == inst.Domain {
			out = append(out, i)
		}
	}
	if o.monitorInst.Domain == inst.Domain {
		out = append(out, o.monitorInst)
	}
	return out
}

// instance maps a node to its instance, by default the one of the same name.
func (o *options) instance(node string) failover.Instance {
	if inst, ok := o.instances[node]; ok {
		return inst
	}
	return failover.Instance{Name: node, Project: o.project}
}

// budget is how long the cycles may take in the worst case.
func (o *options) budget() time.Duration {
	per := o.rtoTarget + promotionGrace + o.rejoin + 60*time.Second
	switch o.scenario {
	case failover.ScenarioFreeze:
		per = o.freezeFor + settle + o.rejoin + 60*time.Second
	case failover.ScenarioMonitorLoss:
		per = o.downFor + o.rejoin + 60*time.Second
	case failover.ScenarioMonitorPartition:
		per = o.downFor + o.rejoin + 90*time.Second
	}
	return time.Duration(o.cycles) * per
}

func (o *options) warnings() []string {
	var w []string
	if b := o.budget(); o.timeout < b {
		w = append(w, fmt.Sprintf("timeout=%.0f s may end the run early: %d cycle(s) can take up to %.0f s; the instance is then restored without waiting for the formation to heal",
			o.timeout.Seconds(), o.cycles, b.Seconds()))
	}
	unused := []string{}
	if !o.writeProbe {
		for name, v := range map[string]string{"probe_uri": o.probeURI, "probe_user": o.probeUser, "probe_password": o.probePass, "probe_database": o.probeDB} {
			if v != "" {
				unused = append(unused, name)
			}
		}
	}
	sort.Strings(unused)
	for _, name := range unused {
		w = append(w, fmt.Sprintf("%s is ignored because write_probe is false", name))
	}
	return w
}

// config turns the options into the cycles' configuration; the probe's
// connection string is the formation URI unless probe_uri overrides it.
func (o *options) config(ctx context.Context, mon *monitorAdapter) (failover.Config, error) {
	cfg := failover.Config{
		Scenario:            o.scenario,
		RTOTarget:           o.rtoTarget,
		PromotionWait:       o.rtoTarget + promotionGrace,
		RejoinTimeout:       o.rejoin,
		FreezeFor:           o.freezeFor,
		Settle:              settle,
		DownFor:             o.downFor,
		MonitorInstance:     o.monitorInst,
		Network:             labnet.Cutter{},
		Restart:             o.restart,
		Instance:            o.instance,
		HostOf:              o.hostOf,
		MonitorHosts:        o.monitorHosts,
		PollEvery:           pollEvery,
		ProbeInterval:       probeInterval,
		ProbeAttemptTimeout: probeAttemptTimeout,
	}
	if !o.writeProbe {
		return cfg, nil
	}
	uri := o.probeURI
	if uri == "" {
		var err error
		if uri, err = mon.FormationURI(ctx); err != nil {
			return cfg, fmt.Errorf("write probe: %w (or set probe_uri)", err)
		}
	}
	if o.rootCert != "" && o.probeURI == "" {
		var err error
		if uri, err = withRootCert(uri, o.rootCert, "the formation URI"); err != nil {
			return cfg, err
		}
	}
	uri, err := withCredentials(uri, o.probeUser, o.probePass, "probe")
	if err != nil {
		return cfg, err
	}
	if cfg.Probe, err = failover.ProbeConfig(uri); err != nil {
		return cfg, fmt.Errorf("write probe: %s", connstr.Redact(err.Error()))
	}
	if o.probeDB != "" {
		cfg.Probe.Database = o.probeDB
	}
	return cfg, nil
}

// withCredentials sets user and password on a URI-form connection string;
// prefix names the options in the error ("probe" → probe_user, probe_password).
func withCredentials(uri, user, password, prefix string) (string, error) {
	if user == "" && password == "" {
		return uri, nil
	}
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s_user and %s_password need %s_uri in URI form (postgres://...)", prefix, prefix, prefix)
	}
	if user == "" && u.User != nil {
		user = u.User.Username()
	}
	if password == "" {
		if p, ok := u.User.Password(); ok {
			password = p
		}
	}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String(), nil
}

// withRootCert sets sslrootcert on a URI-form connection string; what names
// the string in errors (never echoed: it may hold a password).
func withRootCert(uri, caFile, what string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("argument 'ssl_root_cert' needs %s in URI form (postgres://...)", what)
	}
	q := u.Query()
	q.Set("sslrootcert", caFile)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
