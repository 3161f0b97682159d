// Command host_baseline is an Ansible module that brings a Debian host's
// small baseline in one call: time zone, default locale, the packages a
// later step needs (reported, never installed: installing needs a mirror),
// and Debian PostgreSQL clusters that must not run (pg_auto_failover runs
// its own). It touches nothing when nothing differs.
package main

import (
	"context"

	"pgafha/internal/ansible"
)

var spec = ansible.Spec{
	Name:           "host_baseline",
	DefaultTimeout: 60,
	Options: []ansible.Option{
		{Name: "timezone", Type: ansible.TypeStr},
		{Name: "locale", Type: ansible.TypeStr},
		{Name: "packages", Type: ansible.TypeList, Elements: ansible.TypeStr},
		{Name: "disabled_clusters", Type: ansible.TypeList, Elements: ansible.TypeStr},
	},
}

func main() { ansible.Main(spec, run) }

func run(ctx context.Context, m *ansible.Module) error {
	w, err := wanted(m.Params)
	if err != nil {
		return err
	}

	seen, err := observe(ctx, w, hostPaths)
	if err != nil {
		return err
	}
	p := decide(w, seen)

	// After a failure only the steps before it are reported as done.
	done := p
	if !m.CheckMode() && p.changed() {
		done, err = apply(ctx, w, seen, p, hostPaths)
	}
	report(m, w, seen, p, done)
	return err
}
