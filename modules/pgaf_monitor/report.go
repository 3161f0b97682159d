package main

import (
	"fmt"
	"strconv"
	"strings"

	"pgafha/internal/ansible"
)

// changes lists a plan's actions, in the order apply takes them, and what
// each changes, for the message and --diff.
type changes struct {
	actions       []string
	before, after map[string]any
}

func (c *changes) add(action string) { c.actions = append(c.actions, action) }

func describe(o options, unit string, s seen, p plan) changes {
	c := changes{before: map[string]any{}, after: map[string]any{}}
	if p.pgpass {
		c.add("update ~/.pgpass of " + o.osUser)
		c.before["pgpass"], c.after["pgpass"] = "no autoctl_node entry", "autoctl_node entry"
	}
	if len(p.tlsFiles) > 0 {
		c.add("write " + strings.Join(p.tlsFiles, ", "))
		c.before["tls_files"], c.after["tls_files"] = "missing or different", p.tlsFiles
	}
	switch p.create {
	case "create":
		c.add("create the monitor")
		c.before["monitor"], c.after["monitor"] = "absent", "created"
	case "resume":
		c.add("resume the interrupted create of the monitor")
		c.before["monitor"], c.after["monitor"] = "partly created", "created"
	}
	for _, kv := range p.configSets {
		c.add(fmt.Sprintf("set %s to %s", kv[0], kv[1]))
		c.before[kv[0]], c.after[kv[0]] = p.wasConfig[kv[0]], kv[1]
	}
	if len(p.tls) > 0 {
		c.add("change the TLS setup (pg_autoctl enable ssl): " + strings.Join(p.tls, "; "))
		c.before["tls"], c.after["tls"] = p.wasConfig["ssl.sslmode"]+" "+p.wasConfig["ssl.cert_file"], o.sec.EffectiveSSLMode()+" "+o.sec.ServerCert
	}
	p.auth.Report(o.osUser, o.hbaRules, c.add, c.before, c.after)
	for _, a := range p.service.Actions(unit) {
		c.add(a)
	}
	if p.service.Write {
		c.before["unit"], c.after["unit"] = "different or missing", unit
	}
	if len(p.settings) > 0 {
		b, a := map[string]string{}, map[string]string{}
		for _, ch := range p.settings {
			u := s.gucs[ch.Name].Unit
			b[ch.Name], a[ch.Name] = ch.From+u, ch.To+u
		}
		c.before["settings"], c.after["settings"] = b, a
		c.add("set " + strconv.Itoa(len(p.settings)) + " monitor setting(s) with ALTER SYSTEM and reload")
	}
	if p.password {
		c.before["autoctl_node_password"], c.after["autoctl_node_password"] = "does not verify", "set"
		c.add("set the autoctl_node password")
	}
	if p.tlsReload {
		c.add("reload PostgreSQL: its certificate files changed since it read them")
	}
	return c
}

// report writes the result: p is the plan in check mode, else what apply
// did (after a failure, the part before it: changed stays truthful). It
// returns the actions it reported.
func report(m *ansible.Module, o options, unit string, s seen, p plan) []string {
	res := &m.Result
	check := m.CheckMode()
	c := describe(o, unit, s, p)
	// A monitor that does not run yet has its settings and password
	// compared once it does: in check mode that is a change to come.
	res.Changed = len(c.actions) > 0 || (check && p.pending != "" && o.state == "running")
	res.Set("monitor_uri", reportedURI(o, s, p))
	res.Set("pgdata", s.local.PGData)
	res.Set("pgport", o.port)
	res.Set("created", p.create != "" && !check)
	restart := p.restart && !p.service.Start && !p.service.Restart
	res.Set("restart_required", restart)
	if s.gucs != nil {
		settings := map[string]string{}
		for n, g := range s.gucs {
			settings[strings.TrimPrefix(n, gucPrefix)] = g.Setting + g.Unit
		}
		for _, ch := range p.settings {
			settings[strings.TrimPrefix(ch.Name, gucPrefix)] = ch.To + s.gucs[ch.Name].Unit
		}
		res.Set("settings", settings)
	}
	if s.extension != "" {
		res.Set("extension_version", s.extension)
	}
	switch {
	case !res.Changed:
		res.Msg = "monitor is as asked"
	case len(c.actions) == 0:
		res.Msg = "nothing to change before the monitor runs"
	case check:
		res.Msg = "would " + strings.Join(c.actions, "; ")
	default:
		res.Msg = strings.Join(c.actions, "; ")
	}
	if p.pending != "" {
		res.Msg += " (" + p.pending + ")"
	}
	if restart {
		res.Warn("listen_addresses changed: restart the monitor's service for it to take effect")
	}
	if len(c.before) > 0 {
		res.SetDiff(ansible.Diff{Before: c.before, After: c.after, BeforeHeader: s.local.PGData + " (before)", AfterHeader: s.local.PGData + " (after)"})
	}
	return c.actions
}

// reportedURI is the monitor URI data nodes register with: from the config
// as it is, unless the run creates the monitor or changes its TLS setup.
func reportedURI(o options, s seen, p plan) string {
	sslmode, ca, crl := o.sec.EffectiveSSLMode(), o.sec.CAFile, o.sec.CRLFile
	if cfg := p.wasConfig; cfg != nil && p.create == "" && len(p.tls) == 0 {
		sslmode, ca, crl = cfg["ssl.sslmode"], cfg["ssl.ca_file"], cfg["ssl.crl_file"]
	}
	return monitorURI(o.hostname, o.port, sslmode, ca, crl)
}
