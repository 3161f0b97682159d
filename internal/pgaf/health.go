package pgaf

import (
	"fmt"
	"sort"
)

// Writable reports whether the node serves writes: it reports a primary
// state and the monitor is not taking that role away from it.
func (n Node) Writable() bool {
	return n.ReportedState.Role() == RolePrimary && n.AssignedState.Role() == RolePrimary
}

// PrimaryOf returns the node of group that serves writes (see Writable).
func PrimaryOf(nodes []Node, group int) (Node, bool) {
	for _, n := range nodes {
		if n.Group == group && n.Writable() {
			return n, true
		}
	}
	return Node{}, false
}

// Status is an assessment of a formation's nodes.
type Status struct {
	// Primaries holds the writable node of each group that has one.
	Primaries map[int]Node
	// Problems says, one line each, why the formation is not healthy.
	Problems []string
}

// Healthy reports whether every group has exactly one primary and every
// other node is a streaming secondary, all stable and passing health checks.
func Healthy(nodes []Node) bool { return len(Assess(nodes).Problems) == 0 }

// Assess checks the formation's nodes; it is pure so it can judge a
// snapshot taken at any time (including one from an event stream).
func Assess(nodes []Node) Status {
	st := Status{Primaries: map[int]Node{}}
	if len(nodes) == 0 {
		st.Problems = append(st.Problems, "the formation has no nodes")
		return st
	}
	groups := map[int][]Node{}
	for _, n := range nodes {
		groups[n.Group] = append(groups[n.Group], n)
	}
	ids := make([]int, 0, len(groups))
	for g := range groups {
		ids = append(ids, g)
	}
	sort.Ints(ids)
	for _, g := range ids {
		st.Problems = append(st.Problems, assessGroup(g, groups[g], st.Primaries)...)
	}
	return st
}

func assessGroup(group int, nodes []Node, primaries map[int]Node) []string {
	var problems []string
	writable := 0
	for _, n := range nodes {
		if n.Writable() {
			writable++
			primaries[group] = n
		}
		problems = append(problems, assessNode(n, len(nodes))...)
	}
	switch writable {
	case 0:
		problems = append(problems, fmt.Sprintf("group %d has no primary", group))
	case 1:
	default:
		problems = append(problems, fmt.Sprintf("group %d has %d nodes in a primary state", group, writable))
	}
	return problems
}

// assessNode names what keeps one node from being healthy; groupSize tells
// whether a lone "single" node is fine.
func assessNode(n Node, groupSize int) []string {
	var problems []string
	if !n.Stable() {
		problems = append(problems, fmt.Sprintf("%s is %s, assigned %s (transition in progress)", n.Name, n.ReportedState, n.AssignedState))
	}
	if n.Health != HealthGood {
		problems = append(problems, fmt.Sprintf("%s failed the monitor's health check (%s)", n.Name, n.Health))
	}
	if !n.PgIsRunning {
		problems = append(problems, fmt.Sprintf("%s reports Postgres is not running", n.Name))
	}
	if !n.Stable() {
		return problems
	}
	want := []State{StatePrimary, StateSecondary}
	if groupSize == 1 {
		want = []State{StateSingle}
	}
	for _, s := range want {
		if n.ReportedState == s {
			return problems
		}
	}
	switch n.ReportedState {
	case StateWaitPrimary:
		problems = append(problems, fmt.Sprintf("%s is wait_primary: no standby is replicating, writes are not protected", n.Name))
	default:
		problems = append(problems, fmt.Sprintf("%s is in state %s", n.Name, n.ReportedState))
	}
	return problems
}

// Summary is a one-line view of the nodes for messages:
// "node1 primary, node2 secondary→catchingup (bad)".
func Summary(nodes []Node) string {
	if len(nodes) == 0 {
		return "no nodes"
	}
	s := ""
	for i, n := range nodes {
		if i > 0 {
			s += ", "
		}
		s += n.Name + " " + string(n.ReportedState)
		if !n.Stable() {
			s += "→" + string(n.AssignedState)
		}
		if n.Health != HealthGood {
			s += " (" + n.Health.String() + ")"
		}
	}
	return s
}

// restingStates are the states a node rests in. wait_primary is where a
// primary rests while its standby is unavailable; maintenance is set by an
// operator.
var restingStates = map[State]bool{
	StateSingle: true, StatePrimary: true, StateSecondary: true,
	StateWaitPrimary: true, StateMaintenance: true,
}

// Settled reports whether the node has reached its assigned state and that
// state is one it rests in (not a step of a transition).
func (n Node) Settled() bool { return n.Stable() && restingStates[n.ReportedState] }

// GroupSettled reports whether every node of group is settled: the
// monitor's setters and a planned switchover must not start mid-transition.
func GroupSettled(nodes []Node, group int) bool {
	for _, n := range nodes {
		if n.Group == group && !n.Settled() {
			return false
		}
	}
	return true
}
