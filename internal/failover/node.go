// Package failover runs and measures failover cycles of a pg_auto_failover
// formation: it checks the baseline, kills (or freezes) the primary's
// container, follows the monitor's state machine, probes writes like an
// application would, restores what it stopped, and proves that no
// acknowledged commit was lost.
package failover

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Node is one data node as the monitor reports it.
type Node struct {
	Name     string
	Host     string
	Port     int
	Reported string
	Goal     string
	// Health is the monitor's health check result: 1 good, 0 bad, -1 unknown.
	Health int
	// ReportAge is how long ago the node's keeper last reported to the
	// monitor, by the monitor's clock; 0 when not known (notifications).
	ReportAge time.Duration
}

// staleReport is how long a keeper may stay silent before the node counts
// as not reporting (keepers report about every second).
const staleReport = 30 * time.Second

// sameState compares what the state machine cares about.
func (n Node) sameState(o Node) bool {
	return n.Name == o.Name && n.Reported == o.Reported && n.Goal == o.Goal && n.Health == o.Health
}

// settled reports whether the node has reached the state the monitor
// assigned and passes the monitor's health checks.
func (n Node) settled(state string) bool {
	return n.Reported == state && n.Goal == state && n.Health == 1
}

func (n Node) String() string {
	return fmt.Sprintf("%s %s/%s health %d", n.Name, n.Reported, n.Goal, n.Health)
}

// Healthy is a formation in the shape a failover test needs.
type Healthy struct {
	Primary     Node
	Secondaries []Node
}

// CheckHealthy returns the primary and secondaries when exactly one node is a
// settled primary, at least one is a settled secondary, and every node is
// settled; otherwise an error saying what is wrong, for the report.
func CheckHealthy(nodes []Node) (Healthy, error) {
	var h Healthy
	var primaries, problems []string
	for _, n := range nodes {
		switch {
		case n.ReportAge > staleReport:
			problems = append(problems, fmt.Sprintf("%s has not reported to the monitor for %.0f s", n.Name, n.ReportAge.Seconds()))
		case n.settled("primary"):
			h.Primary = n
			primaries = append(primaries, n.Name)
		case n.settled("secondary"):
			h.Secondaries = append(h.Secondaries, n)
		default:
			problems = append(problems, n.String())
		}
	}
	sort.Strings(problems)
	switch {
	case len(nodes) == 0:
		return h, fmt.Errorf("the monitor reports no data node in the formation")
	case len(problems) > 0:
		return h, fmt.Errorf("not every node is a healthy primary or secondary: %s", strings.Join(problems, "; "))
	case len(primaries) != 1:
		return h, fmt.Errorf("expected exactly one primary, found %d (%s)", len(primaries), strings.Join(primaries, ", "))
	case len(h.Secondaries) == 0:
		return h, fmt.Errorf("no healthy secondary: a failover would have nowhere to go")
	}
	return h, nil
}

// promotedStates are the standby states after which it accepts writes.
var promotedStates = map[string]bool{"wait_primary": true, "primary": true}

// promoted returns the node other than oldPrimary that has reported a
// promoted state, if any.
func promoted(nodes map[string]Node, oldPrimary string) (Node, bool) {
	for _, n := range sortedNodes(nodes) {
		if n.Name != oldPrimary && promotedStates[n.Reported] {
			return n, true
		}
	}
	return Node{}, false
}

func sortedNodes(m map[string]Node) []Node {
	out := make([]Node, 0, len(m))
	for _, n := range m {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
