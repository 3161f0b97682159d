package failover

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// restoreTimeout bounds the restore, which runs on its own context: the
// cycle's context may be the one that just expired or was cancelled.
const restoreTimeout = 60 * time.Second

// restorer remembers what a cycle broke and puts it back exactly once,
// whether the cycle ends normally, times out, is interrupted or panics.
type restorer struct {
	power Power
	net   Network
	inst  Instance

	mu       sync.Mutex
	stopped  bool // force-stopped, to be started again if allowed
	paused   bool
	cut      bool // a network cut, always healed
	restart  bool
	restored bool
}

func (r *restorer) markStopped() { r.mu.Lock(); r.stopped = true; r.mu.Unlock() }
func (r *restorer) markPaused()  { r.mu.Lock(); r.paused = true; r.mu.Unlock() }
func (r *restorer) markCut()     { r.mu.Lock(); r.cut = true; r.mu.Unlock() }

// isCut reports whether the fault is a network cut.
func (r *restorer) isCut() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.cut }

// restore starts or resumes the instance if this cycle stopped or paused
// it, or heals the network it cut. It reports whether something was put
// back, when it was asked, and the error of that one attempt: later calls
// return nothing, so a failed restore is reported once.
func (r *restorer) restore() (bool, time.Time, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.restored || (!r.paused && !r.cut && !(r.stopped && r.restart)) {
		return false, time.Time{}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
	defer cancel()
	r.restored = true
	asked := time.Now()
	var err error
	switch {
	case r.cut:
		if err = r.net.Heal(ctx); err != nil {
			err = fmt.Errorf("heal the network cut around instance %s: %w", r.inst, err)
		}
	case r.paused:
		if err = r.power.Resume(ctx, r.inst); err != nil {
			err = fmt.Errorf("resume instance %s: %w", r.inst, err)
		}
	default:
		if err = r.power.Start(ctx, r.inst); err != nil {
			err = fmt.Errorf("start instance %s again: %w", r.inst, err)
		}
	}
	return err == nil, asked, err
}
