package switchover

import (
	"fmt"
	"time"

	"pgafha/internal/ansible"
)

// CatchupOption is the option of every module that may switch over
// (pgaf_switchover, pgaf_settings, pgaf_maintenance): Switcher.CatchupTimeout.
func CatchupOption() ansible.Option {
	return ansible.Option{Name: "catchup_timeout", Type: ansible.TypeInt, Default: 30}
}

// CatchupTimeout reads CatchupOption.
func CatchupTimeout(p ansible.Params) (time.Duration, error) {
	c := p.Int("catchup_timeout")
	if c < 1 || c > 3600 {
		return 0, fmt.Errorf("catchup_timeout must be between 1 and 3600 seconds, got %d", c)
	}
	return time.Duration(c) * time.Second, nil
}
