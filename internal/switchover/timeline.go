package switchover

import (
	"fmt"
	"time"
)

// Timeline is what the modules that may switch over (pgaf_settings,
// pgaf_maintenance, pgaf_node state=absent) report as `timeline`: each step,
// in seconds from the first one.
type Timeline struct {
	start  time.Time
	events []Event
}

// Mark records a step that just ended.
func (t *Timeline) Mark(format string, args ...any) {
	if t.start.IsZero() {
		t.start = time.Now()
	}
	t.events = append(t.events, Event{Seconds: seconds(time.Since(t.start).Round(time.Millisecond)), What: fmt.Sprintf(format, args...)})
}

// Events is the list for the result: empty, not null, when nothing happened.
func (t *Timeline) Events() []Event {
	if t.events == nil {
		return []Event{}
	}
	return t.events
}
