package failover

import "fmt"

// recoverInto, deferred at the top of a background goroutine, turns a panic
// into an error for report. Unrecovered, it would end the process before
// the cycle restores the instance it stopped or paused.
func recoverInto(report func(error)) {
	if r := recover(); r != nil {
		report(fmt.Errorf("internal error, this goroutine stopped (a bug; please report it): %v", r))
	}
}
