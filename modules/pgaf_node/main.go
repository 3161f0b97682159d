// pgaf_node ensures a pg_auto_failover data node exists at pgdata and is
// registered with the monitor as asked, and (state=running) waits until the
// monitor reports it in a stable state.
package main

import (
	"context"
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/pgautoctl"
)

var spec = ansible.Spec{
	Name:           "pgaf_node",
	DefaultTimeout: 300,
	Options: []ansible.Option{
		{Name: "state", Type: ansible.TypeStr, Default: "running", Choices: []string{"present", "running"}},
		{Name: "pgdata", Type: ansible.TypeStr, Required: true},
		{Name: "pgport", Type: ansible.TypeInt, Default: 5432},
		{Name: "hostname", Type: ansible.TypeStr, Required: true},
		{Name: "name", Type: ansible.TypeStr, Required: true},
		{Name: "formation", Type: ansible.TypeStr, Default: "default"},
		{Name: "monitor_uri", Type: ansible.TypeStr, Required: true},
		{Name: "monitor_password", Type: ansible.TypeStr, NoLog: true},
		{Name: "replication_password", Type: ansible.TypeStr, NoLog: true},
		{Name: "candidate_priority", Type: ansible.TypeInt, Default: 50},
		{Name: "replication_quorum", Type: ansible.TypeBool, Default: true},
		{Name: "listen_addresses", Type: ansible.TypeStr, Default: "*"},
		{Name: "auth", Type: ansible.TypeStr, Default: pgautoctl.AuthSCRAM, Choices: []string{pgautoctl.AuthSCRAM, pgautoctl.AuthTrust}},
		{Name: "ssl", Type: ansible.TypeStr, Default: pgautoctl.SSLSelfSigned, Choices: []string{pgautoctl.SSLSelfSigned, pgautoctl.SSLFiles, pgautoctl.SSLDisabled}},
		{Name: "ssl_mode", Type: ansible.TypeStr, Choices: pgautoctl.SSLModes},
		{Name: "ssl_ca_file", Type: ansible.TypeStr},
		{Name: "ssl_crl_file", Type: ansible.TypeStr},
		{Name: "server_cert", Type: ansible.TypeStr},
		{Name: "server_key", Type: ansible.TypeStr},
		{Name: "keeper_settings", Type: ansible.TypeDict},
		{Name: "hba_rules", Type: ansible.TypeList, Elements: ansible.TypeStr},
		{Name: "pg_bin_dir", Type: ansible.TypeStr},
		{Name: "os_user", Type: ansible.TypeStr, Default: "postgres"},
	},
}

func main() { ansible.Main(spec, run) }

func run(ctx context.Context, m *ansible.Module) error {
	o, err := readOptions(m.Params)
	if err != nil {
		return err
	}
	for _, w := range o.sec.Warnings() {
		m.Result.Warn(w)
	}
	r, err := pgautoctl.NewRunner(o.osUser, o.binDir)
	if err != nil {
		return err
	}
	if err := r.DropPrivileges(); err != nil {
		return err
	}
	rep := newReport(o, m.CheckMode())

	// Observe: local files, then the monitor's view of this node.
	local, err := r.Inspect(o.pgdata)
	if err != nil {
		return err
	}
	mon, err := connectMonitor(ctx, o)
	if err != nil {
		// --check before the monitor exists (it would be created earlier in
		// the same run): predict instead of failing.
		if m.CheckMode() && local.Config == nil && unreachable(err) {
			m.Result.Warn(fmt.Sprintf("monitor not reachable (%v): predicting from this host's files only", err))
			rep.plan(plan{create: "create"}, local, registration{})
			rep.write(m, nil, "")
			return nil
		}
		return err
	}
	defer mon.Close(context.WithoutCancel(ctx))
	reg, err := observe(ctx, r, mon, local, o)
	if err != nil {
		return err
	}

	// Decide, then act unless in check mode.
	p, err := decide(local, reg, o)
	if err != nil {
		return err
	}
	// Passwords first: the create (registration, pg_basebackup) reads them.
	pgpassChanged, err := r.EnsurePgpass(passEntries(o), m.CheckMode())
	if err != nil {
		return err
	}
	rep.pgpass(pgpassChanged)
	rep.plan(p, local, reg)
	if m.CheckMode() {
		if err := predictPassword(ctx, o, local, reg, rep); err != nil {
			return err
		}
		if p.create == "" && local.Data == pgautoctl.DataCluster && o.hbaRules != nil {
			changed, err := ensureHBA(ctx, local.PGData, o.port, o.hbaRules, true)
			if err != nil {
				return err
			}
			rep.hba(changed)
		}
		rep.write(m, reg.node, formationURI(ctx, mon, o))
		return nil
	}
	if p.create != "" {
		if err := createNode(ctx, r, o); err != nil {
			return fmt.Errorf("%s node %q at %s: %w", p.create, o.name, o.pgdata, err)
		}
		if local, reg, p, err = reobserve(ctx, r, mon, o); err != nil {
			return err
		}
		rep.plan(p, local, reg)
	}
	if err := applyLocal(ctx, r, local, p); err != nil {
		return err
	}
	if o.hbaRules != nil {
		changed, err := ensureHBA(ctx, local.PGData, o.port, o.hbaRules, false)
		if err != nil {
			return err
		}
		rep.hba(changed)
	}

	// Running: wait for a stable state, then correct the policy.
	if o.state == "running" {
		n, err := converge(ctx, r, mon, o, p, rep)
		if err != nil {
			return err
		}
		reg.node = &n
	} else if p.policyChange() {
		rep.pending = "candidate_priority/replication_quorum are corrected with state=running"
	}
	if reg.node == nil {
		if reg, err = observe(ctx, r, mon, local, o); err != nil {
			return err
		}
	}
	rep.write(m, reg.node, formationURI(ctx, mon, o))
	return nil
}
