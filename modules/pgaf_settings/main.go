// pgaf_settings puts PostgreSQL settings in force on a pg_auto_failover
// instance (data node or monitor): ALTER SYSTEM and a reload where that
// suffices, and, as the restart option allows, a restart for settings that
// need one. A standby restarts in maintenance (the primary keeps taking
// writes meanwhile); a primary is first switched over, without losing a
// commit, to a standby that has the new settings.
package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/localpg"
	"pgafha/internal/monitorconn"
	"pgafha/internal/pgsettings"
	"pgafha/internal/switchover"
)

// The restart steps, in the order a playbook runs them over the formation.
const (
	restartNever   = "never"
	restartStandby = "standby"
	restartAny     = "any"
)

var spec = ansible.Spec{
	Name:           "pgaf_settings",
	DefaultTimeout: 600,
	Options: slices.Concat([]ansible.Option{
		{Name: "settings", Type: ansible.TypeDict, Required: true},
		{Name: "restart", Type: ansible.TypeStr, Default: restartNever, Choices: []string{restartNever, restartStandby, restartAny}},
		switchover.CatchupOption(),
	}, monitorconn.Options(), localnode.InstanceOptions()),
}

func main() { ansible.Main(spec, run) }

type options struct {
	want                             map[string]string
	restart, formation, pgdata, user string
	binDir                           string
	port                             int
	catchup                          time.Duration
}

func readOptions(p ansible.Params) (options, error) {
	o := options{
		want: map[string]string{}, restart: p.String("restart"), formation: p.String("formation"),
		pgdata: p.String("pgdata"), user: p.String("os_user"), binDir: p.String("pg_bin_dir"),
		port: p.Int("pgport"),
	}
	var errs []error
	for name, v := range p.Dict("settings") {
		key := strings.ToLower(strings.TrimSpace(name))
		if key == "" || strings.ContainsAny(key, " '\"\n\x00;=") {
			errs = append(errs, fmt.Errorf("settings: %q is not a setting name", name))
			continue
		}
		s, err := pgsettings.Value(v)
		if err == nil && strings.ContainsRune(s, 0) {
			err = errors.New("the value contains a NUL byte")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("settings.%s: %w", name, err))
			continue
		}
		o.want[key] = s
	}
	var err error
	if o.catchup, err = switchover.CatchupTimeout(p); err != nil {
		errs = append(errs, err)
	}
	if err := localnode.ValidateInstance(p); err != nil {
		errs = append(errs, err)
	}
	return o, errors.Join(errs...)
}

func names(want map[string]string) []string {
	out := make([]string, 0, len(want))
	for n := range want {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func run(ctx context.Context, m *ansible.Module) error {
	o, err := readOptions(m.Params)
	if err != nil {
		return err
	}
	r, err := localnode.Runner(o.user, o.binDir)
	if err != nil {
		return err
	}
	rep := &report{m: m, want: o.want}

	// Observe: which instance this is, and its settings.
	files, err := r.Inspect(ctx, o.pgdata)
	if err != nil {
		return err
	}
	if files.Config == nil {
		if m.CheckMode() {
			return rep.noInstanceYet(o.pgdata)
		}
		return fmt.Errorf("no pg_auto_failover instance at %s: create it first (pgaf_monitor or pgaf_node)", o.pgdata)
	}
	role := pgsettings.DataNode
	if files.Config.Role() == "monitor" {
		role = pgsettings.Monitor
	}
	conn, err := localpg.Connect(ctx, o.port, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	have, err := pgsettings.Read(ctx, conn, names(o.want))
	if err != nil {
		return err
	}

	// Decide: every mistake in settings is reported before anything changes.
	changes, err := pgsettings.Decide(o.want, have, role)
	if err != nil {
		return err
	}
	if libs, ok := o.want["shared_preload_libraries"]; ok {
		if err := pgsettings.CheckLibraries(ctx, conn, libs); err != nil {
			return err
		}
	}
	rep.changes(changes)
	restartNeeded := pgsettings.NeedRestart(changes)
	if m.CheckMode() {
		return rep.predict(role, restartNeeded, o.restart)
	}

	// Act: write and reload, then restart if that is what is left and the
	// restart option allows it here.
	if pgsettings.NeedApply(changes) {
		m.Result.Changed = true
		if err := pgsettings.Write(ctx, conn, changes); err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		have, err = pgsettings.AwaitReload(rctx, func(c context.Context) (*pgx.Conn, error) {
			return localpg.Connect(c, o.port, "postgres")
		}, changes, o.want)
		cancel()
		if err != nil {
			return err
		}
	}
	pending := pgsettings.Pending(have, o.want)
	if len(pending) == 0 || o.restart == restartNever {
		return rep.done(pending, nil)
	}
	rs := &restarter{m: m, r: r, o: o, rep: rep}
	if role == pgsettings.Monitor {
		err = rs.monitor(ctx)
	} else {
		err = rs.dataNode(ctx)
	}
	if err != nil || rep.deferred != "" {
		return rep.done(pending, err)
	}
	after, err := rs.reread(ctx)
	if err != nil {
		return err
	}
	return rep.done(pgsettings.Pending(after, o.want), nil)
}
