package main

import (
	"context"
	"fmt"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/connstr"
	"pgafha/internal/pgaf"
)

// changes lists a plan's actions, in the order apply takes them, and what
// each changes, for the message and --diff. With state=present a policy
// difference is pending (state=running corrects it), not a change.
type changes struct {
	actions       []string
	before, after map[string]any
	pending       string
}

func describe(o options, unit string, p plan) changes {
	c := changes{before: map[string]any{}, after: map[string]any{}}
	if len(p.tlsFiles) > 0 {
		c.actions = append(c.actions, "write "+strings.Join(p.tlsFiles, ", "))
		c.before["tls_files"], c.after["tls_files"] = "missing or different", p.tlsFiles
	}
	if p.pgpass {
		c.actions = append(c.actions, "update ~/.pgpass of "+o.osUser)
		c.before["pgpass"], c.after["pgpass"] = "missing or different entries", "monitor and replication entries"
	}
	switch p.create {
	case "create":
		c.actions = append(c.actions, "create and register node "+o.name)
		c.before["node"], c.after["node"] = "absent", "registered"
	case "resume":
		c.actions = append(c.actions, "resume the interrupted create of node "+o.name)
		c.before["node"], c.after["node"] = "partly created", "registered"
	}
	if p.initRunning {
		c.actions = append(c.actions, "let the running pg_autoctl finish the create")
	}
	if len(p.tls) > 0 {
		c.actions = append(c.actions, "change the TLS setup (pg_autoctl enable ssl): "+strings.Join(p.tls, "; "))
		c.before["tls"], c.after["tls"] = p.wasConfig["ssl.sslmode"]+" "+p.wasConfig["ssl.cert_file"], o.sec.EffectiveSSLMode()+" "+o.sec.ServerCert
	}
	for _, kv := range p.configSets {
		c.actions = append(c.actions, "set "+kv[0])
		c.before[kv[0]], c.after[kv[0]] = redact(p.wasConfig[kv[0]]), redact(kv[1])
	}
	if len(p.metadata) > 0 && p.was != nil {
		c.actions = append(c.actions, "update name/hostname on the monitor")
		c.before["name"], c.after["name"] = p.was.Name, o.name
		c.before["hostname"], c.after["hostname"] = p.was.Host, o.hostname
	}
	p.auth.Report(o.osUser, o.hbaRules, func(s string) { c.actions = append(c.actions, s) }, c.before, c.after)
	if p.service.Changed() {
		c.actions = append(c.actions, p.service.Actions(unit)...)
		if p.service.Write {
			c.before["unit"], c.after["unit"] = "different or missing", unit
		}
	}
	if p.policyChange() && p.was != nil {
		if o.state != "running" {
			c.pending = "candidate_priority/replication_quorum are corrected with state=running"
		} else {
			if p.priority != nil {
				c.actions = append(c.actions, fmt.Sprintf("set candidate_priority %d → %d", p.was.CandidatePriority, *p.priority))
				c.before["candidate_priority"], c.after["candidate_priority"] = p.was.CandidatePriority, *p.priority
			}
			if p.quorum != nil {
				c.actions = append(c.actions, fmt.Sprintf("set replication_quorum %t → %t", p.was.ReplicationQuorum, *p.quorum))
				c.before["replication_quorum"], c.after["replication_quorum"] = p.was.ReplicationQuorum, *p.quorum
			}
		}
	}
	if p.replicationPassword {
		c.actions = append(c.actions, "set the password of "+replicationUser)
		c.before["replication_password"], c.after["replication_password"] = "does not verify", "set"
	}
	if p.tlsReload {
		c.actions = append(c.actions, "reload PostgreSQL: its certificate files changed since it read them")
	}
	return c
}

func redact(s string) string { return connstr.Redact(s) }

// report writes the result: p is the plan in check mode, else what apply
// did (after a failure, the part before it: changed stays truthful). It
// returns the actions it reported.
func report(ctx context.Context, m *ansible.Module, o options, unit string, s seen, p plan) []string {
	res := &m.Result
	check := m.CheckMode()
	c := describe(o, unit, p)
	if s.monitorErr != nil {
		res.Warn(fmt.Sprintf("monitor not reachable (%v): predicting from this host's files only", s.monitorErr))
	}
	res.Changed = len(c.actions) > 0
	res.Set("pgdata", o.pgdata)
	res.Set("formation", o.formation)
	res.Set("monitor_uri", redact(o.monitorURI.String()))
	res.Set("created", p.create != "" && !check)
	if uri := formationURI(ctx, s.mon, o); uri != "" {
		res.Set("formation_uri", uri)
	}
	n := s.reg.node
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
	case len(c.actions) == 0:
		res.Msg = "node is as asked"
		if n != nil {
			res.Msg = fmt.Sprintf("node %s (id %d) is %s", n.Name, n.ID, n.ReportedState)
		}
	case check:
		res.Msg = "would " + strings.Join(c.actions, "; ")
	default:
		res.Msg = strings.Join(c.actions, "; ")
		if n != nil {
			res.Msg += fmt.Sprintf("; node %s (id %d) is %s", n.Name, n.ID, n.ReportedState)
		}
	}
	if c.pending != "" {
		res.Msg += " (" + c.pending + ")"
	}
	if len(c.before) > 0 {
		res.SetDiff(ansible.Diff{Before: c.before, After: c.after, BeforeHeader: o.name + " (before)", AfterHeader: o.name + " (after)"})
	}
	return c.actions
}
