package main

import (
	"fmt"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/connstr"
	"pgafha/internal/localnode"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/service"
)

// report collects what the run found and did, for the result and --diff.
type report struct {
	o       options
	check   bool
	create  string // "create" or "resume", kept once decided
	steps   []string
	before  map[string]any
	after   map[string]any
	extra   []string // actions outside the plan (pgpass, passwords)
	pending string
	// deferPolicy: state=present leaves candidate priority and replication
	// quorum to state=running, so a difference there is pending, not a change.
	deferPolicy bool
}

func newReport(o options, check bool) *report {
	return &report{o: o, check: check, before: map[string]any{}, after: map[string]any{}, deferPolicy: o.state != "running"}
}

// plan records the planned changes; called again after a create, it
// replaces the steps but remembers that a create happened.
func (r *report) plan(p plan, l pgautoctl.Local, reg registration) {
	if p.create != "" {
		r.create = p.create
		r.before["node"], r.after["node"] = map[string]string{"create": "absent", "resume": "partly created"}[p.create], "registered"
	}
	r.steps = nil
	if p.initRunning {
		r.steps = append(r.steps, "let the running pg_autoctl finish the create")
	}
	if len(p.tls) > 0 {
		r.steps = append(r.steps, "change the TLS setup (pg_autoctl enable ssl): "+strings.Join(p.tls, "; "))
		r.before["tls"], r.after["tls"] = l.Config["ssl.sslmode"]+" "+l.Config["ssl.cert_file"], r.o.sec.EffectiveSSLMode()+" "+r.o.sec.ServerCert
	}
	for _, kv := range p.configSets {
		r.steps = append(r.steps, fmt.Sprintf("set %s", kv[0]))
		r.before[kv[0]], r.after[kv[0]] = redact(l.Config[kv[0]]), redact(kv[1])
	}
	if len(p.metadata) > 0 && reg.node != nil {
		r.steps = append(r.steps, "update name/hostname on the monitor")
		r.before["name"], r.after["name"] = reg.node.Name, r.o.name
		r.before["hostname"], r.after["hostname"] = reg.node.Host, r.o.hostname
	}
	if p.priority != nil && reg.node != nil && !r.deferPolicy {
		r.steps = append(r.steps, fmt.Sprintf("set candidate_priority %d → %d", reg.node.CandidatePriority, *p.priority))
		r.before["candidate_priority"], r.after["candidate_priority"] = reg.node.CandidatePriority, *p.priority
	}
	if p.quorum != nil && reg.node != nil && !r.deferPolicy {
		r.steps = append(r.steps, fmt.Sprintf("set replication_quorum %t → %t", reg.node.ReplicationQuorum, *p.quorum))
		r.before["replication_quorum"], r.after["replication_quorum"] = reg.node.ReplicationQuorum, *p.quorum
	}
}

func redact(s string) string { return connstr.Redact(s) }

func (r *report) pgpass(changed bool) {
	if changed {
		r.extra = append(r.extra, "update ~/.pgpass of "+r.o.osUser)
		r.before["pgpass"], r.after["pgpass"] = "missing or different entries", "monitor and replication entries"
	}
}

func (r *report) tlsFiles(written []string) {
	if len(written) > 0 {
		r.extra = append(r.extra, "write "+strings.Join(written, ", "))
		r.before["tls_files"], r.after["tls_files"] = "missing or different", written
	}
}

func (r *report) tlsReload(reloaded bool) {
	if reloaded {
		r.extra = append(r.extra, "reload PostgreSQL: its certificate files changed since it read them")
	}
}

func (r *report) auth(c localnode.AuthChange) {
	c.Report(r.o.osUser, r.o.hbaRules, func(s string) { r.extra = append(r.extra, s) }, r.before, r.after)
}

func (r *report) replicationPassword(changed bool) {
	if changed {
		r.extra = append(r.extra, "set the password of "+replicationUser)
		r.before["replication_password"], r.after["replication_password"] = "does not verify", "set"
	}
}

// service records what the keeper's unit needed.
func (r *report) service(u service.Unit, p service.Plan) {
	if !p.Changed() {
		return
	}
	r.extra = append(r.extra, p.Actions(u.Name)...)
	if p.Write {
		r.before["unit"], r.after["unit"] = "different or missing", u.Path()
	}
}

func (r *report) actions() []string {
	var a []string
	switch r.create {
	case "create":
		a = append(a, "create and register node "+r.o.name)
	case "resume":
		a = append(a, "resume the interrupted create of node "+r.o.name)
	}
	a = append(a, r.steps...)
	return append(a, r.extra...)
}

func (r *report) write(m *ansible.Module, n *pgaf.Node, formationURI string) {
	res := &m.Result
	acts := r.actions()
	res.Changed = len(acts) > 0
	res.Set("pgdata", r.o.pgdata)
	res.Set("formation", r.o.formation)
	res.Set("monitor_uri", redact(r.o.monitorURI.String()))
	res.Set("created", r.create != "" && !r.check)
	if formationURI != "" {
		res.Set("formation_uri", formationURI)
	}
	if n != nil {
		res.Set("node_id", n.ID)
		res.Set("name", n.Name)
		res.Set("group", n.Group)
		res.Set("role", string(n.Role()))
		res.Set("state", string(n.ReportedState))
		res.Set("assigned_state", string(n.AssignedState))
		res.Set("health", n.Health.String())
		res.Set("candidate_priority", n.CandidatePriority)
		res.Set("replication_quorum", n.ReplicationQuorum)
		switch n.ReportedState {
		case pgaf.StateWaitPrimary:
			res.Warn(fmt.Sprintf("node %s is primary without a healthy standby (wait_primary): commits are not replicated synchronously until a standby catches up", n.Name))
		case pgaf.StateMaintenance:
			res.Warn(fmt.Sprintf("node %s is in maintenance", n.Name))
		}
	}
	switch {
	case len(acts) == 0:
		res.Msg = "node is as asked"
		if n != nil {
			res.Msg = fmt.Sprintf("node %s (id %d) is %s", n.Name, n.ID, n.ReportedState)
		}
	case r.check:
		res.Msg = "would " + strings.Join(acts, "; ")
	default:
		res.Msg = strings.Join(acts, "; ")
		if n != nil {
			res.Msg += fmt.Sprintf("; node %s (id %d) is %s", n.Name, n.ID, n.ReportedState)
		}
	}
	if r.pending != "" {
		res.Msg += " (" + r.pending + ")"
	}
	if len(r.before) > 0 {
		res.SetDiff(ansible.Diff{Before: r.before, After: r.after, BeforeHeader: r.o.name + " (before)", AfterHeader: r.o.name + " (after)"})
	}
}
