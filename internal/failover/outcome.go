package failover

// Outcomes, from the most to the least severe; a cycle reports the first
// that applies and lists every failure it found.
const (
	OutcomeUnhealthyBaseline  = "unhealthy_baseline"
	OutcomeError              = "error"
	OutcomeCommitsLost        = "commits_lost"
	OutcomeSplitBrain         = "split_brain"
	OutcomeAborted            = "aborted"
	OutcomeNoPromotion        = "no_promotion"
	OutcomeTargetMissed       = "target_missed"
	OutcomeWritesNotResumed   = "writes_not_resumed"
	OutcomeWritesFailed       = "writes_failed"
	OutcomeRejoinTimeout      = "rejoin_timeout"
	OutcomeUnexpectedFailover = "unexpected_failover"
	OutcomePassed             = "passed"
	// OutcomeRiddenOut: a freeze passed without a failover, as it should.
	OutcomeRiddenOut = "ridden_out"
)

var severity = []string{
	OutcomeUnhealthyBaseline, OutcomeError, OutcomeCommitsLost, OutcomeSplitBrain, OutcomeAborted,
	OutcomeNoPromotion, OutcomeTargetMissed, OutcomeWritesNotResumed,
	OutcomeWritesFailed, OutcomeRejoinTimeout, OutcomeUnexpectedFailover,
}

// Passed reports whether an outcome is a success.
func Passed(outcome string) bool {
	return outcome == OutcomePassed || outcome == OutcomeRiddenOut
}

// findings collects what went wrong in a cycle, each under its outcome.
type findings struct {
	byOutcome map[string][]string
}

func (f *findings) add(outcome, reason string) {
	if f.byOutcome == nil {
		f.byOutcome = map[string][]string{}
	}
	f.byOutcome[outcome] = append(f.byOutcome[outcome], reason)
}

// classify returns the most severe outcome found (success when none) and
// every reason, most severe first.
func (f *findings) classify(success string) (string, []string) {
	outcome := success
	var reasons []string
	for _, o := range severity {
		if rs := f.byOutcome[o]; len(rs) > 0 {
			if outcome == success {
				outcome = o
			}
			reasons = append(reasons, rs...)
		}
	}
	return outcome, reasons
}

// Worst returns the most severe of several outcomes.
func Worst(outcomes []string) string {
	for _, o := range severity {
		for _, got := range outcomes {
			if got == o {
				return o
			}
		}
	}
	for _, got := range outcomes {
		if got == OutcomePassed {
			return got
		}
	}
	if len(outcomes) > 0 {
		return outcomes[0]
	}
	return OutcomePassed
}
