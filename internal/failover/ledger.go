package failover

import (
	"sort"
	"time"
)

// Status is what the client knows about one commit attempt.
type Status int

const (
	// Acked: the server acknowledged the commit; it must survive.
	Acked Status = iota
	// Unknown: the connection failed after the statement was sent and
	// before the acknowledgement arrived. It may or may not have landed;
	// it is neither counted as lost nor retried.
	Unknown
	// Rejected: the server answered with an error, so nothing was committed.
	Rejected
	// NotSent: the connection failed before the statement left the client.
	NotSent
)

// Commit is one numbered write attempt of the probe.
type Commit struct {
	Seq    int64
	Sent   time.Time
	Done   time.Time
	Status Status
	// Server is the address that acknowledged (Acked only).
	Server string
	// Connected is when the session that carried the attempt was opened.
	Connected time.Time
	// Err is why it was not acknowledged.
	Err string
}

// Ledger is the probe's record of its attempts, in sequence order.
type Ledger []Commit

// Count returns how many attempts have the status.
func (l Ledger) Count(s Status) int {
	n := 0
	for _, c := range l {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Seqs returns the sequence numbers of the attempts with the status.
func (l Ledger) Seqs(s Status) []int64 {
	var out []int64
	for _, c := range l {
		if c.Status == s {
			out = append(out, c.Seq)
		}
	}
	return out
}

// Outage is the longest client-visible pause of acknowledged writes around
// a fault.
type Outage struct {
	LastAckBefore time.Time
	FirstAckAfter time.Time
	OldServer     string
	NewServer     string
}

// Duration is the gap between the two acknowledgements.
func (o Outage) Duration() time.Duration { return o.FirstAckAfter.Sub(o.LastAckBefore) }

// WriteOutage finds the longest gap between consecutive acknowledgements
// from the last one at or before fault to the first one at or after
// recovered (the promotion, or the resume of a frozen primary). The old
// primary may still acknowledge a few commits between the fault request
// and its death, hence the longest gap rather than the first. ok is false
// when there is no acknowledgement before the fault or none after recovered.
func (l Ledger) WriteOutage(fault, recovered time.Time) (o Outage, ok bool) {
	acks := make([]Commit, 0, len(l))
	for _, c := range l {
		if c.Status == Acked {
			acks = append(acks, c)
		}
	}
	sort.Slice(acks, func(i, j int) bool { return acks[i].Done.Before(acks[j].Done) })
	start, end := -1, -1
	for i, c := range acks {
		if !c.Done.After(fault) {
			start = i
		}
		if end < 0 && !c.Done.Before(recovered) {
			end = i
		}
	}
	if start < 0 || end <= start {
		return Outage{}, false
	}
	best := start
	for i := start + 1; i < end; i++ {
		if acks[i+1].Done.Sub(acks[i].Done) > acks[best+1].Done.Sub(acks[best].Done) {
			best = i
		}
	}
	a, b := acks[best], acks[best+1]
	return Outage{LastAckBefore: a.Done, FirstAckAfter: b.Done, OldServer: a.Server, NewServer: b.Server}, true
}

// FirstAckAfter returns the first acknowledgement completed after t.
func (l Ledger) FirstAckAfter(t time.Time) (Commit, bool) {
	return l.FirstAck(func(c Commit) bool { return c.Done.After(t) })
}

// FirstAck returns the first acknowledgement for which cond holds.
func (l Ledger) FirstAck(cond func(Commit) bool) (Commit, bool) {
	for _, c := range l {
		if c.Status == Acked && cond(c) {
			return c, true
		}
	}
	return Commit{}, false
}

// LastAck returns the last acknowledged attempt.
func (l Ledger) LastAck() (Commit, bool) {
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].Status == Acked {
			return l[i], true
		}
	}
	return Commit{}, false
}

// FailedAttempts counts the attempts that certainly did not commit.
func (l Ledger) FailedAttempts() int { return l.Count(Rejected) + l.Count(NotSent) }

// Verify compares the ledger with the rows present on the primary: the
// acknowledged commits missing there, and how many of the unknown ones
// landed.
func (l Ledger) Verify(present map[int64]bool) (lost []int64, unknownLanded int) {
	unknown := l.Seqs(Unknown)
	return Lost(l.Seqs(Acked), present), len(unknown) - len(Lost(unknown, present))
}

// Lost returns the acknowledged sequence numbers missing from present.
func Lost(acked []int64, present map[int64]bool) []int64 {
	var out []int64
	for _, s := range acked {
		if !present[s] {
			out = append(out, s)
		}
	}
	return out
}

// Histogram counts acknowledged commits per bucket of time, for pictures
// of a cycle: Counts[i] covers From+i*Bucket to From+(i+1)*Bucket seconds
// on the cycle's clock.
type Histogram struct {
	From   float64 `json:"from"`
	Bucket float64 `json:"bucket"`
	Counts []int   `json:"counts"`
}

// AckHistogram buckets the acknowledgements by completion time relative
// to origin, from the first to the last.
func (l Ledger) AckHistogram(origin time.Time, bucket time.Duration) Histogram {
	h := Histogram{Bucket: bucket.Seconds(), Counts: []int{}}
	first, ok := l.FirstAck(func(Commit) bool { return true })
	if !ok {
		return h
	}
	start := origin.Add(first.Done.Sub(origin).Truncate(bucket))
	if first.Done.Before(start) {
		start = start.Add(-bucket)
	}
	h.From = Seconds(start.Sub(origin))
	for _, c := range l {
		if c.Status != Acked {
			continue
		}
		i := int(c.Done.Sub(start) / bucket)
		for len(h.Counts) <= i {
			h.Counts = append(h.Counts, 0)
		}
		h.Counts[i]++
	}
	return h
}
