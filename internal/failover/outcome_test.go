package failover

import (
	"reflect"
	"testing"
)

func TestClassify(t *testing.T) {
	var f findings
	if o, r := f.classify(OutcomePassed); o != OutcomePassed || r != nil {
		t.Fatalf("no finding: got %s %v", o, r)
	}
	f.add(OutcomeRejoinTimeout, "slow rejoin")
	f.add(OutcomeTargetMissed, "slow promotion")
	f.add(OutcomeCommitsLost, "3 lost")
	o, r := f.classify(OutcomePassed)
	if o != OutcomeCommitsLost {
		t.Errorf("outcome %s, want %s", o, OutcomeCommitsLost)
	}
	if want := []string{"3 lost", "slow promotion", "slow rejoin"}; !reflect.DeepEqual(r, want) {
		t.Errorf("reasons %v, want %v", r, want)
	}
	var g findings
	if o, _ := g.classify(OutcomeRiddenOut); o != OutcomeRiddenOut || !Passed(o) {
		t.Errorf("freeze without finding: %s", o)
	}
}

func TestWorst(t *testing.T) {
	cases := []struct {
		in   []string
		want string
	}{
		{[]string{OutcomePassed, OutcomePassed}, OutcomePassed},
		{[]string{OutcomePassed, OutcomeTargetMissed}, OutcomeTargetMissed},
		{[]string{OutcomeRejoinTimeout, OutcomeUnhealthyBaseline}, OutcomeUnhealthyBaseline},
		{[]string{OutcomeRiddenOut, OutcomePassed}, OutcomePassed},
		{[]string{OutcomeRiddenOut}, OutcomeRiddenOut},
	}
	for _, c := range cases {
		if got := Worst(c.in); got != c.want {
			t.Errorf("Worst(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}
