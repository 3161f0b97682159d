package failover

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

var t0 = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func ack(seq int64, doneMS int, server string) Commit {
	return Commit{Seq: seq, Sent: at(doneMS - 2), Done: at(doneMS), Status: Acked, Server: server}
}

func TestWriteOutage(t *testing.T) {
	l := Ledger{
		ack(1, 0, "a"), ack(2, 10, "a"), ack(3, 20, "a"),
		{Seq: 4, Sent: at(30), Done: at(1030), Status: Unknown},
		{Seq: 5, Sent: at(1040), Done: at(2040), Status: NotSent},
		ack(6, 4500, "b"), ack(7, 4510, "b"),
		// A later hiccup shorter than the failover gap.
		ack(8, 5000, "b"),
	}
	o, ok := l.WriteOutage(at(25), at(4000))
	if !ok {
		t.Fatal("no outage found")
	}
	if o.LastAckBefore != at(20) || o.FirstAckAfter != at(4500) || o.OldServer != "a" || o.NewServer != "b" {
		t.Errorf("outage %+v", o)
	}
	if o.Duration() != 4480*time.Millisecond {
		t.Errorf("duration %v", o.Duration())
	}
	if _, ok := l[:4].WriteOutage(at(25), at(4000)); ok {
		t.Error("an outage was reported although no write was acknowledged after the fault")
	}
	if _, ok := l.WriteOutage(at(-5), at(4000)); ok {
		t.Error("an outage was reported although no write was acknowledged before the fault")
	}
	// A longer hiccup after the recovery is not the failover's outage.
	late := append(append(Ledger(nil), l...), ack(9, 9000, "b"))
	if o, _ := late.WriteOutage(at(25), at(4000)); o.Duration() != 4480*time.Millisecond {
		t.Errorf("outage after a late hiccup: %v", o.Duration())
	}
	// The dying primary may still acknowledge just after the fault request.
	dying := Ledger{ack(1, 0, "a"), ack(2, 30, "a"), ack(3, 3030, "b")}
	if o, _ := dying.WriteOutage(at(10), at(3000)); o.LastAckBefore != at(30) {
		t.Errorf("outage starts at %v, want the last ack of the dying primary", o.LastAckBefore)
	}
	if c, ok := l.FirstAckAfter(at(25)); !ok || c.Seq != 6 {
		t.Errorf("FirstAckAfter = %+v, %v", c, ok)
	}
	if l.Count(Acked) != 6 || l.Count(Unknown) != 1 || l.Count(NotSent) != 1 {
		t.Errorf("counts %d %d %d", l.Count(Acked), l.Count(Unknown), l.Count(NotSent))
	}
}

func TestLost(t *testing.T) {
	present := map[int64]bool{1: true, 2: true, 4: true, 9: true}
	if got := Lost([]int64{1, 2, 3, 4, 5}, present); !reflect.DeepEqual(got, []int64{3, 5}) {
		t.Errorf("Lost = %v", got)
	}
	if got := Lost([]int64{1, 2}, present); got != nil {
		t.Errorf("Lost = %v, want none", got)
	}
}

func TestClassifyError(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want Status
	}{
		{"ack", nil, Acked},
		{"server error", &pgconn.PgError{Severity: "ERROR", Code: "25006", Message: "cannot execute INSERT in a read-only transaction"}, Rejected},
		{"terminated after a local commit", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, Unknown},
		{"wrapped server error", fmt.Errorf("insert: %w", &pgconn.PgError{Severity: "ERROR"}), Rejected},
		{"timeout or reset", errors.New("read tcp: connection reset by peer"), Unknown},
	}
	for _, c := range cases {
		if got := classify(c.err); got != c.want {
			t.Errorf("%s: classify = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRecoverIntoReportsAPanic(t *testing.T) {
	var got error
	func() {
		defer recoverInto(func(err error) { got = err })
		panic("boom")
	}()
	if got == nil || !strings.Contains(got.Error(), "internal error") {
		t.Errorf("recovered %v", got)
	}
}

func TestLedgerVerify(t *testing.T) {
	l := Ledger{
		{Seq: 1, Status: Acked}, {Seq: 2, Status: Acked}, {Seq: 3, Status: Unknown},
		{Seq: 4, Status: Unknown}, {Seq: 5, Status: Rejected}, {Seq: 6, Status: NotSent},
	}
	lost, landed := l.Verify(map[int64]bool{1: true, 3: true})
	if !reflect.DeepEqual(lost, []int64{2}) || landed != 1 || l.FailedAttempts() != 2 {
		t.Errorf("lost %v landed %d failed %d", lost, landed, l.FailedAttempts())
	}
	if c, ok := l.LastAck(); !ok || c.Seq != 2 {
		t.Errorf("last ack %+v %v", c, ok)
	}
}

func TestAckHistogramBucketsAroundTheFault(t *testing.T) {
	fault := time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return fault.Add(time.Duration(ms) * time.Millisecond) }
	l := Ledger{
		{Seq: 1, Done: at(-150), Status: Acked},
		{Seq: 2, Done: at(-20), Status: Acked},
		{Seq: 3, Done: at(10), Status: Unknown},
		{Seq: 4, Done: at(320), Status: Acked},
		{Seq: 5, Done: at(330), Status: Acked},
	}
	h := l.AckHistogram(fault, 100*time.Millisecond)
	if h.From != -0.2 || h.Bucket != 0.1 {
		t.Fatalf("from %v bucket %v", h.From, h.Bucket)
	}
	if want := []int{1, 1, 0, 0, 0, 2}; !reflect.DeepEqual(h.Counts, want) {
		t.Errorf("counts %v, want %v", h.Counts, want)
	}
}
