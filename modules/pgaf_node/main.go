// pgaf_node ensures a pg_auto_failover data node exists at pgdata and is
// registered with the monitor as asked, and (state=running) waits until the
// monitor reports it in a stable state.
package main

import (
	"context"
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/monitorconn"
	"pgafha/internal/pgaf"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/pghba"
	"pgafha/internal/switchover"
)

var spec = ansible.Spec{
	Name:           "pgaf_node",
	DefaultTimeout: 300,
	Options: append([]ansible.Option{
		{Name: "state", Type: ansible.TypeStr, Default: "running", Choices: []string{"present", "running", stateAbsent}},
		{Name: "name", Type: ansible.TypeStr, Required: true},
		{Name: "replication_password", Type: ansible.TypeStr, NoLog: true},
		{Name: "candidate_priority", Type: ansible.TypeInt, Default: 50},
		{Name: "replication_quorum", Type: ansible.TypeBool, Default: true},
		{Name: "keeper_settings", Type: ansible.TypeDict},
		{Name: "hba_rules", Type: ansible.TypeList, Elements: ansible.TypeStr},
		{Name: "register_after", Type: ansible.TypeList, Elements: ansible.TypeStr},
		{Name: "replication_hosts", Type: ansible.TypeList, Elements: ansible.TypeStr},
		{Name: "leaving_nodes", Type: ansible.TypeList, Elements: ansible.TypeStr},
		localnode.ServiceOption("pg_autoctl-node"),
		{Name: "destroy", Type: ansible.TypeBool, Default: false},
		{Name: "allow_single_node", Type: ansible.TypeBool, Default: false},
		switchover.CatchupOption(),
	}, append(monitorconn.Options(), localnode.Options()...)...),
}

// stateAbsent drops the node (remove.go).
const stateAbsent = "absent"

func main() { ansible.Main(spec, run) }

func run(ctx context.Context, m *ansible.Module) error {
	o, err := readOptions(m.Params)
	if err != nil {
		return err
	}
	for _, w := range append(o.sec.Warnings(), pghba.RuleWarnings("hba_rules", o.hbaRules)...) {
		m.Result.Warn(w)
	}
	r, err := localnode.Runner(o.osUser, o.binDir)
	if err != nil {
		return err
	}
	unit, manageUnit, err := localnode.Unit(m.Params, r, "data node (keeper)")
	if err != nil {
		return err
	}
	if o.state == stateAbsent {
		return remove(ctx, m, o, r, unit, manageUnit)
	}
	// The keeper's unit is kept with state=running only: present leaves
	// the node created but not run.
	manageUnit = manageUnit && o.state == "running"
	rep := newReport(o, m.CheckMode())

	// Observe: local files, then the monitor's view of this node.
	local, err := r.Inspect(ctx, o.pgdata)
	if err != nil {
		return err
	}
	// The certificate files first: the monitor URI, the create and enable
	// ssl read them. (In check mode nothing is written: the monitor is
	// reached with a temporary copy of the CA that would be.)
	tlsFiles := localnode.TLSFiles(m.Params)
	written, err := localnode.EnsureTLSFiles(tlsFiles, m.CheckMode())
	rep.tlsFiles(written)
	// From here a failure still reports what was changed before it.
	m.Result.Changed = len(written) > 0 && !m.CheckMode()
	if err != nil {
		return err
	}
	caFile, cleanup, err := localnode.CAForCheckMode(tlsFiles, written, m.CheckMode())
	if err != nil {
		return err
	}
	defer cleanup()
	mon, err := connectMonitor(ctx, o, caFile)
	if err != nil {
		// --check before the monitor exists (it would be created earlier in
		// the same run): predict instead of failing.
		if m.CheckMode() && local.Config == nil && pgaf.Unreachable(err) {
			m.Result.Warn(fmt.Sprintf("monitor not reachable (%v): predicting from this host's files only", err))
			rep.plan(plan{create: "create"}, local, registration{})
			if manageUnit {
				if sp, err := localnode.EnsureService(ctx, r, unit, false, true); err == nil {
					rep.service(unit, sp)
				}
			}
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
	entries, ownUsers := passEntries(o, reg.formation)
	pgpassChanged, err := r.EnsurePgpass(entries, m.CheckMode(), ownUsers...)
	if err != nil {
		return err
	}
	rep.pgpass(pgpassChanged)
	rep.plan(p, local, reg)
	m.Result.Changed = m.Result.Changed || (pgpassChanged && !m.CheckMode())
	if m.CheckMode() {
		if err := predictPassword(ctx, o, local, reg, rep); err != nil {
			return err
		}
		if p.create == "" && local.Data == pgautoctl.DataCluster {
			ac, err := ensureAuth(ctx, local, o, true)
			if err != nil {
				return err
			}
			rep.auth(ac)
		}
		if manageUnit {
			sp, err := localnode.EnsureService(ctx, r, unit, false, true)
			if err != nil {
				return err
			}
			rep.service(unit, sp)
		}
		if p.create == "" && len(p.tls) == 0 {
			reload, err := localnode.ReloadForRenewedTLS(ctx, local.PGData, o.port, o.sec, true)
			if err != nil {
				return err
			}
			rep.tlsReload(reload)
		}
		rep.write(m, reg.node, formationURI(ctx, mon, o))
		return nil
	}
	if p.create != "" {
		// The monitor gives roles by registration order: the nodes meant to
		// come first must be there before this one registers.
		if err := awaitRegistered(ctx, mon, o); err != nil {
			return err
		}
		if err := createNode(ctx, r, o); err != nil {
			return fmt.Errorf("%s node %q at %s: %w", p.create, o.name, o.pgdata, err)
		}
		m.Result.Changed = true
		if local, reg, p, err = reobserve(ctx, r, mon, o); err != nil {
			return err
		}
		rep.plan(p, local, reg)
		// A standby registered next clones the primary as soon as the
		// primary's keeper runs: its password must verify before that.
		if err := passwordAfterCreate(ctx, o, local, reg, rep); err != nil {
			return err
		}
	}
	if len(p.tls) > 0 {
		if err := changeTLS(ctx, r, mon, o, &local, &reg, &p); err != nil {
			return err
		}
		m.Result.Changed = true
	}
	if err := applyLocal(ctx, r, local, p); err != nil {
		return err
	}
	if len(p.configSets) > 0 || len(p.metadata) > 0 {
		m.Result.Changed = true
	}
	if local.Data == pgautoctl.DataCluster {
		ac, err := ensureAuth(ctx, local, o, false)
		if err != nil {
			return err
		}
		rep.auth(ac)
		m.Result.Changed = m.Result.Changed || ac.noTrust || ac.rules
	}

	// Running: the unit runs the keeper; wait for a stable state, then
	// correct the policy.
	if manageUnit {
		sp, err := localnode.EnsureService(ctx, r, unit, false, false)
		if err != nil {
			return err
		}
		rep.service(unit, sp)
		m.Result.Changed = m.Result.Changed || sp.Changed()
	}
	if o.state == "running" {
		n, err := converge(ctx, r, mon, o, p, reg.local, rep)
		if err != nil {
			return err
		}
		reg.node = &n
		reloaded, err := localnode.ReloadForRenewedTLS(ctx, local.PGData, o.port, o.sec, false)
		if err != nil {
			return err
		}
		rep.tlsReload(reloaded)
		m.Result.Changed = m.Result.Changed || reloaded
		// A standby switching next verifies this node's certificate first.
		if len(p.tls) > 0 || reloaded {
			if err := localnode.AwaitServedCert(ctx, o.hostname, o.port, o.sec); err != nil {
				return err
			}
		}
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
