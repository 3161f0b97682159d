package failover

import (
	"fmt"
	"sort"
	"time"
)

// Window is a span during which one node kept accepting writes: from its
// first to its last acknowledged write with no refused or failed attempt
// on that node in between.
type Window struct {
	Node     string
	From, To time.Time
}

// SplitBrain is two nodes accepting writes in overlapping windows.
type SplitBrain struct {
	A, B Window
}

func (s SplitBrain) describe(origin time.Time) string {
	return fmt.Sprintf("%s accepted writes from %+.3f to %+.3f s and %s from %+.3f to %+.3f s",
		s.A.Node, Seconds(s.A.From.Sub(origin)), Seconds(s.A.To.Sub(origin)),
		s.B.Node, Seconds(s.B.From.Sub(origin)), Seconds(s.B.To.Sub(origin)))
}

// windows groups each node's attempts, in time order, into windows of
// consecutive acknowledgements; a failed attempt (a zero time) closes the
// window.
func windows(attempts map[string][]time.Time) []Window {
	var out []Window
	for node, times := range attempts {
		open := false
		for _, t := range times {
			switch {
			case t.IsZero():
				open = false
			case open:
				out[len(out)-1].To = t
			default:
				out = append(out, Window{Node: node, From: t, To: t})
				open = true
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From.Before(out[j].From) })
	return out
}

// splitBrains returns every pair of windows of different nodes that
// overlap in time.
func splitBrains(ws []Window) []SplitBrain {
	var out []SplitBrain
	for i, a := range ws {
		for _, b := range ws[i+1:] {
			if a.Node != b.Node && !b.From.After(a.To) && !a.From.After(b.To) {
				out = append(out, SplitBrain{A: a, B: b})
			}
		}
	}
	return out
}

// WindowReport is a Window on the cycle's clock (seconds from the fault).
type WindowReport struct {
	Node string  `json:"node"`
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

func reportWindows(ws []Window, origin time.Time) []WindowReport {
	out := make([]WindowReport, 0, len(ws))
	for _, w := range ws {
		out = append(out, WindowReport{Node: w.Node, From: Seconds(w.From.Sub(origin)), To: Seconds(w.To.Sub(origin))})
	}
	return out
}
