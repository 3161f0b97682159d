package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/localpg"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/service"
)

// converge handles what needs the running monitor: the extension check,
// the failure-detection settings and the autoctl_node password.
func converge(ctx context.Context, m *ansible.Module, r *pgautoctl.Runner, o options, l pgautoctl.Local, rep *report) error {
	needsRunning := len(o.settings) > 0 || o.password != ""
	if l.ServicePID == 0 {
		switch {
		case o.state == "present":
			if needsRunning {
				rep.pending = "settings and password are applied once the monitor runs (state=running)"
			}
			return nil
		case m.CheckMode():
			rep.pending = "the monitor is not running: settings and password will be compared once it runs"
			if needsRunning {
				rep.changed = true
			}
			return nil
		}
		if err := localnode.WaitForService(ctx, r, o.pgdata, "monitor", "pg_autoctl-monitor"); err != nil {
			return err
		}
	}
	conn, err := localpg.ConnectWhenReady(ctx, o.port, monitorDB)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())

	ext, err := extensionVersion(ctx, conn)
	if err != nil {
		return err
	}
	if ext == "" {
		return fmt.Errorf("the PostgreSQL at %s runs but its pg_auto_failover database has no pgautofailover extension: its create was interrupted; stop its service, then re-run this task with state=present to resume the create", o.pgdata)
	}
	rep.extension = ext

	gucs, err := loadGUCs(ctx, conn)
	if err != nil {
		return err
	}
	changes, err := planSettings(o.settings, gucs)
	if err != nil {
		return err
	}
	pwOK := true
	if o.password != "" {
		if pwOK, err = localpg.PasswordVerifies(ctx, conn, autoctlUser, o.password); err != nil {
			return err
		}
	}
	rep.recordSettings(gucs, changes)
	rep.recordPassword(o.password != "", pwOK)
	if m.CheckMode() {
		return nil
	}
	// Each step marks the result changed as soon as it has changed
	// something: a failure after it must not report changed=false.
	if len(changes) > 0 {
		altered, err := applySettings(ctx, conn, changes)
		m.Result.Changed = m.Result.Changed || altered
		if err != nil {
			return err
		}
	}
	if !pwOK {
		if err := localpg.SetPassword(ctx, conn, autoctlUser, o.password); err != nil {
			return err
		}
		m.Result.Changed = true
	}
	return nil
}

// report collects what the run found and did.
type report struct {
	changed   bool
	actions   []string
	before    map[string]any
	after     map[string]any
	uri       string
	pgdata    string
	port      int
	pending   string
	extension string
	settings  map[string]string
	restart   bool
	created   bool
}

func newReport(o options, l pgautoctl.Local, p plan) *report {
	rep := &report{before: map[string]any{}, after: map[string]any{}, pgdata: l.PGData, port: o.port, restart: p.restart}
	sslmode, ca, crl := o.sec.EffectiveSSLMode(), o.sec.CAFile, o.sec.CRLFile
	if l.Config != nil && p.create == "" && len(p.tls) == 0 {
		sslmode, ca, crl = l.Config["ssl.sslmode"], l.Config["ssl.ca_file"], l.Config["ssl.crl_file"]
	}
	rep.uri = monitorURI(o.hostname, o.port, sslmode, ca, crl)
	switch p.create {
	case "create":
		rep.note("create the monitor")
		rep.before["monitor"], rep.after["monitor"] = "absent", "created"
		rep.created = true
	case "resume":
		rep.note("resume the interrupted create of the monitor")
		rep.before["monitor"], rep.after["monitor"] = "partly created", "created"
		rep.created = true
	}
	for _, kv := range p.configSets {
		rep.note(fmt.Sprintf("set %s to %s", kv[0], kv[1]))
		rep.before[kv[0]], rep.after[kv[0]] = l.Config[kv[0]], kv[1]
	}
	if len(p.tls) > 0 {
		rep.note("change the TLS setup (pg_autoctl enable ssl): " + strings.Join(p.tls, "; "))
		rep.before["tls"], rep.after["tls"] = l.Config["ssl.sslmode"]+" "+l.Config["ssl.cert_file"], o.sec.EffectiveSSLMode()+" "+o.sec.ServerCert
	}
	return rep
}

// service records what the monitor's unit needed; a restart done here
// leaves nothing to restart.
func (rep *report) service(u service.Unit, p service.Plan) {
	for _, a := range p.Actions(u.Name) {
		rep.note(a)
	}
	if p.Write {
		rep.before["unit"], rep.after["unit"] = "different or missing", u.Path()
	}
	if p.Restart || p.Start {
		rep.restart = false
	}
}

func (rep *report) note(action string) {
	rep.changed = true
	rep.actions = append(rep.actions, action)
}

func (rep *report) recordSettings(gucs map[string]guc, changes []settingChange) {
	rep.settings = map[string]string{}
	for n, g := range gucs {
		rep.settings[strings.TrimPrefix(n, gucPrefix)] = g.Setting + g.Unit
	}
	if len(changes) == 0 {
		return
	}
	b, a := map[string]string{}, map[string]string{}
	for _, c := range changes {
		unit := gucs[c.Name].Unit
		b[c.Name], a[c.Name] = c.From+unit, c.To+unit
		rep.settings[strings.TrimPrefix(c.Name, gucPrefix)] = c.To + unit
	}
	rep.before["settings"], rep.after["settings"] = b, a
	rep.note("set " + strconv.Itoa(len(changes)) + " monitor setting(s) with ALTER SYSTEM and reload")
}

func (rep *report) recordPassword(given, ok bool) {
	if given && !ok {
		rep.before["autoctl_node_password"], rep.after["autoctl_node_password"] = "does not verify", "set"
		rep.note("set the autoctl_node password")
	}
}

func (rep *report) write(m *ansible.Module) {
	res := &m.Result
	res.Changed = rep.changed
	res.Set("monitor_uri", rep.uri)
	res.Set("pgdata", rep.pgdata)
	res.Set("pgport", rep.port)
	res.Set("created", rep.created && !m.CheckMode())
	res.Set("restart_required", rep.restart)
	if rep.settings != nil {
		res.Set("settings", rep.settings)
	}
	if rep.extension != "" {
		res.Set("extension_version", rep.extension)
	}
	switch {
	case !rep.changed:
		res.Msg = "monitor is as asked"
	case m.CheckMode():
		res.Msg = "would " + strings.Join(rep.actions, "; ")
	default:
		res.Msg = strings.Join(rep.actions, "; ")
	}
	if rep.pending != "" {
		res.Msg += " (" + rep.pending + ")"
	}
	if rep.restart {
		res.Warn("listen_addresses changed: restart the monitor's service for it to take effect")
	}
	if len(rep.before) > 0 {
		res.SetDiff(ansible.Diff{Before: rep.before, After: rep.after, BeforeHeader: rep.pgdata + " (before)", AfterHeader: rep.pgdata + " (after)"})
	}
}
