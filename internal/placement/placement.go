// Package placement decides whether a formation survives the loss of any
// one failure domain (an Incus host, a cluster member, a rack): after it,
// the monitor and at least one data node must be left, so that the monitor
// can promote a standby or keep the primary going. It is the one owner of
// that rule, for the playbook's preflight (pgaf_placement) and the
// failover test's host_loss scenario.
package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Roles of a member.
const (
	RoleMonitor = "monitor"
	RoleNode    = "node"
)

// Member is one instance of the formation and where it runs.
type Member struct {
	Name   string
	Role   string
	Domain string
}

// Check returns nil when the loss of any single failure domain leaves the
// monitor and at least one data node, else an error that names each shared
// domain and its members.
func Check(members []Member) error {
	byDomain := map[string][]Member{}
	monitors, nodes := 0, 0
	for _, m := range members {
		if m.Domain == "" {
			return fmt.Errorf("member %s has no failure domain", m.Name)
		}
		switch m.Role {
		case RoleMonitor:
			monitors++
		case RoleNode:
			nodes++
		default:
			return fmt.Errorf("member %s has role %q (expected %s or %s)", m.Name, m.Role, RoleMonitor, RoleNode)
		}
		byDomain[m.Domain] = append(byDomain[m.Domain], m)
	}
	if monitors != 1 {
		return fmt.Errorf("a formation has one monitor, got %d", monitors)
	}
	var problems []string
	for _, d := range slices.Sorted(maps.Keys(byDomain)) {
		in := byDomain[d]
		lostNodes := 0
		hasMonitor := false
		for _, m := range in {
			if m.Role == RoleMonitor {
				hasMonitor = true
			} else {
				lostNodes++
			}
		}
		switch {
		case hasMonitor && lostNodes > 0:
			problems = append(problems, fmt.Sprintf("%s share failure domain %q: losing it loses the monitor with a data node, and nothing is left to promote a standby", names(in), d))
		case lostNodes == nodes && nodes > 0:
			problems = append(problems, fmt.Sprintf("%s share failure domain %q: losing it loses every data node", names(in), d))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the formation cannot survive the loss of one failure domain: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Domains lists each failure domain with its members, for reports.
func Domains(members []Member) map[string][]string {
	out := map[string][]string{}
	for _, m := range members {
		out[m.Domain] = append(out[m.Domain], m.Name)
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

func names(ms []Member) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name+" ("+m.Role+")")
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
