// Module pgaf_placement checks, before anything changes, that a formation
// survives the loss of any one failure domain (an Incus host, a cluster
// member, a rack): the monitor must share its domain with no data node, and
// no single domain may hold every data node. It only reads its options:
// changed is always false, and check mode runs it the same way.
package main

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"pgafha/internal/ansible"
	"pgafha/internal/placement"
)

var spec = ansible.Spec{
	Name:           "pgaf_placement",
	DefaultTimeout: 10,
	Options: []ansible.Option{
		// The monitor's member name (a key of domains).
		{Name: "monitor", Type: ansible.TypeStr, Required: true},
		// Member name → failure domain, the monitor and every data node.
		{Name: "domains", Type: ansible.TypeDict, Required: true},
		// warn: a placement that cannot survive is a warning, not a failure (labs on one host).
		{Name: "check", Type: ansible.TypeStr, Default: "enforce", Choices: []string{"enforce", "warn"}},
	},
}

func main() { ansible.Main(spec, run) }

func run(_ context.Context, m *ansible.Module) error {
	members, err := parseMembers(m.Params.String("monitor"), m.Params.Dict("domains"))
	if err != nil {
		return err
	}

	problem := placement.Check(members)

	m.Result.Changed = false
	m.Result.Set("domains", placement.Domains(members))
	memberDomains := map[string]string{}
	for _, mb := range members {
		memberDomains[mb.Name] = mb.Domain
	}
	m.Result.Set("member_domains", memberDomains)
	m.Result.Set("survives_domain_loss", problem == nil)
	switch {
	case problem == nil:
		m.Result.Msg = fmt.Sprintf("the formation survives the loss of any one of its %d failure domains", len(placement.Domains(members)))
	case m.Params.String("check") == "enforce":
		return fmt.Errorf("%w. Place the members on different Incus hosts (ansible_incus_remote, pgaf_lab_target) or name their failure domains (postgres_ha_failure_domain); postgres_ha_failure_domain_check: warn accepts it (labs on one host)", problem)
	default:
		m.Result.Warn(problem.Error())
		m.Result.Msg = "accepted although " + problem.Error()
	}
	return nil
}

// parseMembers turns the options into members, refusing what cannot be
// judged: a monitor missing from domains, an empty or non-string domain.
func parseMembers(monitor string, domains map[string]any) ([]placement.Member, error) {
	if _, ok := domains[monitor]; !ok {
		return nil, fmt.Errorf("argument 'domains' has no entry for the monitor %q (it lists %v)", monitor, slices.Sorted(maps.Keys(domains)))
	}
	var members []placement.Member
	for _, name := range slices.Sorted(maps.Keys(domains)) {
		d, ok := domains[name].(string)
		if !ok || d == "" {
			return nil, fmt.Errorf("argument 'domains': member %q needs a non-empty failure domain (a string), got %v", name, domains[name])
		}
		role := placement.RoleNode
		if name == monitor {
			role = placement.RoleMonitor
		}
		members = append(members, placement.Member{Name: name, Role: role, Domain: d})
	}
	return members, nil
}
