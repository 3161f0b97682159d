package failover

import (
	"math"
	"time"
)

// Event is one observed state change of a node, placed on the cycle's clock.
type Event struct {
	// T is seconds since the clock started (negative: before the fault).
	T        float64 `json:"t"`
	Node     string  `json:"node"`
	Reported string  `json:"reported_state"`
	Goal     string  `json:"goal_state"`
	Health   int     `json:"health"`
	// Source is "listen" (a NOTIFY on channel state) or "poll".
	Source string `json:"source"`
}

type observation struct {
	at     time.Time
	node   Node
	source string
}

// timeline turns observations into events relative to origin.
func timeline(obs []observation, origin time.Time) []Event {
	out := make([]Event, 0, len(obs))
	for _, o := range obs {
		out = append(out, Event{
			T:        Seconds(o.at.Sub(origin)),
			Node:     o.node.Name,
			Reported: o.node.Reported,
			Goal:     o.node.Goal,
			Health:   o.node.Health,
			Source:   o.source,
		})
	}
	return out
}

// Seconds rounds a duration to milliseconds, the precision the report claims.
func Seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1000) / 1000
}

// Incident is a probe commit that was not acknowledged.
type Incident struct {
	Seq int64 `json:"seq"`
	// T is when the attempt was sent, on the cycle's clock.
	T       float64 `json:"t"`
	Seconds float64 `json:"seconds"`
	Status  string  `json:"status"`
	Error   string  `json:"error"`
}

var statusNames = map[Status]string{Acked: "acknowledged", Unknown: "unknown", Rejected: "rejected", NotSent: "not_sent"}

// maxIncidents keeps the report readable; the counts stay exact.
const maxIncidents = 20

// incidents lists the unacknowledged attempts relative to origin.
func incidents(l Ledger, origin time.Time) []Incident {
	var out []Incident
	for _, c := range l {
		if c.Status == Acked || len(out) == maxIncidents {
			continue
		}
		out = append(out, Incident{
			Seq: c.Seq, T: Seconds(c.Sent.Sub(origin)), Seconds: Seconds(c.Done.Sub(c.Sent)),
			Status: statusNames[c.Status], Error: c.Err,
		})
	}
	return out
}
