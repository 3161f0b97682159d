package pgaf

import (
	"encoding/json"
	"testing"
)

func TestStateRole(t *testing.T) {
	tests := []struct {
		state State
		want  Role
	}{
		{StateSingle, RolePrimary},
		{StateWaitPrimary, RolePrimary},
		{StatePrimary, RolePrimary},
		{StateJoinPrimary, RolePrimary},
		{StateApplySettings, RolePrimary},
		{StateSecondary, RoleStandby},
		{StateCatchingUp, RoleStandby},
		{StateWaitStandby, RoleStandby},
		{StateReportLSN, RoleStandby},
		{StatePreparePromotion, RolePromoting},
		{StateStopReplication, RolePromoting},
		{StateDraining, RoleDemoting},
		{StateDemoteTimeout, RoleDemoting},
		{StateDemoted, RoleDemoting},
		{StateMaintenance, RoleMaintenance},
		{StateWaitMaintenance, RoleMaintenance},
		{StateInit, RoleNone},
		{StateDropped, RoleNone},
		{State("something_new"), RoleNone},
	}
	for _, tt := range tests {
		if got := tt.state.Role(); got != tt.want {
			t.Errorf("%s.Role() = %s, want %s", tt.state, got, tt.want)
		}
	}
}

func TestNodeRoleFollowsMonitorDuringFailover(t *testing.T) {
	tests := []struct {
		reported, assigned State
		want               Role
	}{
		{StatePrimary, StatePrimary, RolePrimary},
		{StatePrimary, StateDraining, RoleDemoting},
		{StateSecondary, StatePreparePromotion, RolePromoting},
		{StateSecondary, StateCatchingUp, RoleStandby},
		{StateWaitPrimary, StatePrimary, RolePrimary},
		{StateSecondary, StateWaitMaintenance, RoleMaintenance},
	}
	for _, tt := range tests {
		n := Node{ReportedState: tt.reported, AssignedState: tt.assigned}
		if got := n.Role(); got != tt.want {
			t.Errorf("reported %s assigned %s: Role() = %s, want %s", tt.reported, tt.assigned, got, tt.want)
		}
	}
}

func TestHealthJSON(t *testing.T) {
	for in, want := range map[string]Health{`"good"`: HealthGood, `1`: HealthGood, `"bad"`: HealthBad,
		`0`: HealthBad, `-1`: HealthUnknown, `"unknown"`: HealthUnknown} {
		var h Health
		if err := json.Unmarshal([]byte(in), &h); err != nil || h != want {
			t.Errorf("unmarshal %s = %v, %v; want %v", in, h, err, want)
		}
	}
	var h Health
	if err := json.Unmarshal([]byte(`"great"`), &h); err == nil {
		t.Error("unmarshal \"great\": no error")
	}
	out, err := json.Marshal(struct{ H Health }{HealthBad})
	if err != nil || string(out) != `{"H":"bad"}` {
		t.Errorf("marshal = %s, %v", out, err)
	}
}

func TestStateEventDecodesMonitorPayload(t *testing.T) {
	// As captured from the monitor's `state` channel during a failover.
	payload := `{"type": "state", "formation": "default", "groupId": 0, "nodeId": 2, "name": "node2", ` +
		`"host": "127.0.0.1", "port": 55434, "reportedState": "primary", "goalState": "draining", "health":"good"}`
	var ev StateEvent
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		t.Fatal(err)
	}
	want := StateEvent{Type: "state", Formation: "default", NodeID: 2, Name: "node2", Host: "127.0.0.1",
		Port: 55434, ReportedState: StatePrimary, AssignedState: StateDraining, Health: HealthGood}
	if ev != want {
		t.Errorf("decoded %+v, want %+v", ev, want)
	}
}

func TestParseLSN(t *testing.T) {
	for in, want := range map[string]uint64{"0/0": 0, "0/3000060": 0x3000060, "16/B374D848": 0x16<<32 | 0xB374D848} {
		if got, err := ParseLSN(in); err != nil || got != want {
			t.Errorf("ParseLSN(%q) = %x, %v; want %x", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "3000060", "0/xyz", "1/2/3"} {
		if _, err := ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) accepted", bad)
		}
	}
}
