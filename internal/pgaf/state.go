package pgaf

import (
	"fmt"
	"strings"
)

// State is a pg_auto_failover replication state (enum
// pgautofailover.replication_state), reported by a node or assigned to it.
type State string

// The states of pg_auto_failover 2.0's finite state machine.
const (
	StateUnknown            State = "unknown"
	StateInit               State = "init"
	StateSingle             State = "single"
	StateWaitPrimary        State = "wait_primary"
	StatePrimary            State = "primary"
	StateDraining           State = "draining"
	StateDemoteTimeout      State = "demote_timeout"
	StateDemoted            State = "demoted"
	StateCatchingUp         State = "catchingup"
	StateSecondary          State = "secondary"
	StatePreparePromotion   State = "prepare_promotion"
	StateStopReplication    State = "stop_replication"
	StateWaitStandby        State = "wait_standby"
	StateMaintenance        State = "maintenance"
	StateJoinPrimary        State = "join_primary"
	StateApplySettings      State = "apply_settings"
	StatePrepareMaintenance State = "prepare_maintenance"
	StateWaitMaintenance    State = "wait_maintenance"
	StateReportLSN          State = "report_lsn"
	StateFastForward        State = "fast_forward"
	StateJoinSecondary      State = "join_secondary"
	StateDropped            State = "dropped"
)

// Role is what a state means for clients of the formation.
type Role string

// Roles, coarser than states.
const (
	// RolePrimary accepts writes (alone, or with standbys).
	RolePrimary Role = "primary"
	// RoleStandby is a hot standby or on its way to becoming one.
	RoleStandby Role = "standby"
	// RolePromoting is a standby being promoted by a failover.
	RolePromoting Role = "promoting"
	// RoleDemoting is a primary being demoted by a failover.
	RoleDemoting Role = "demoting"
	// RoleMaintenance is out of the formation on purpose.
	RoleMaintenance Role = "maintenance"
	// RoleNone: registering, dropped or unknown.
	RoleNone Role = "none"
)

var roles = map[State]Role{
	StateSingle: RolePrimary, StateWaitPrimary: RolePrimary, StatePrimary: RolePrimary,
	StateJoinPrimary: RolePrimary, StateApplySettings: RolePrimary,

	StateSecondary: RoleStandby, StateCatchingUp: RoleStandby, StateWaitStandby: RoleStandby,
	StateJoinSecondary: RoleStandby, StateReportLSN: RoleStandby, StateFastForward: RoleStandby,

	StatePreparePromotion: RolePromoting, StateStopReplication: RolePromoting,

	StateDraining: RoleDemoting, StateDemoteTimeout: RoleDemoting, StateDemoted: RoleDemoting,

	StateMaintenance: RoleMaintenance, StatePrepareMaintenance: RoleMaintenance,
	StateWaitMaintenance: RoleMaintenance,
}

// Role classifies the state; unknown strings are RoleNone.
func (s State) Role() Role {
	if r, ok := roles[s]; ok {
		return r
	}
	return RoleNone
}

// Health is the monitor's last health check of a node.
type Health int

// Health values as the monitor stores them.
const (
	HealthUnknown Health = -1
	HealthBad     Health = 0
	HealthGood    Health = 1
)

func (h Health) String() string {
	switch h {
	case HealthGood:
		return "good"
	case HealthBad:
		return "bad"
	}
	return "unknown"
}

// MarshalText writes health as a word in JSON results.
func (h Health) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalJSON accepts the word the monitor's notifications carry
// ("good") as well as the number its tables store (1).
func (h *Health) UnmarshalJSON(b []byte) error {
	switch strings.Trim(string(b), `"`) {
	case "good", "1":
		*h = HealthGood
	case "bad", "0":
		*h = HealthBad
	case "unknown", "-1", "null":
		*h = HealthUnknown
	default:
		return fmt.Errorf("unknown node health %s", b)
	}
	return nil
}
