// Command pgaf_info is a read-only Ansible module: it reports a
// pg_auto_failover formation as its monitor sees it. It never changes anything.
package main

import (
	"context"

	"pgafha/internal/ansible"
	"pgafha/internal/monitorconn"
)

var spec = ansible.Spec{
	Name:           "pgaf_info",
	DefaultTimeout: 30,
	Options:        monitorconn.Options(),
}

func main() { ansible.Main(spec, run) }

// run observes and reports; check mode changes nothing because nothing is
// ever changed.
func run(ctx context.Context, m *ansible.Module) error {
	name := m.Params.String("formation")
	mon, err := monitorconn.Connect(ctx, m.Params)
	if err != nil {
		return err
	}
	defer mon.Close(context.WithoutCancel(ctx))

	info, err := observe(ctx, mon, name)
	if err != nil {
		return err
	}
	for _, w := range info.warnings {
		m.Result.Warn(w)
	}
	m.Result.Changed = false
	m.Result.Msg = info.summary()
	info.report(&m.Result)
	return nil
}
