package main

import (
	"reflect"
	"strings"
	"testing"

	"pgafha/internal/incus"
)

func wanted(state string) options {
	return options{
		Name: "pgaf-monitor", Project: "default", State: state,
		Image: incus.ImageRef{Name: "pgaf-bookworm"}, HasImage: true,
		Profiles: []string{"default"},
		Config:   map[string]string{"limits.cpu": "1"},
		Devices:  map[string]map[string]string{"eth0": {"type": "nic", "network": "pgafbr0", "ipv4.address": "10.66.0.10"}},
	}
}

// existing is a container as Incus reports it after creating it from wanted():
// with the volatile.* and image.* keys Incus adds on its own.
func existing(status string) *incus.Instance {
	return &incus.Instance{
		Name: "pgaf-monitor", Type: "container", Status: status, Profiles: []string{"default"},
		Config: map[string]string{
			"limits.cpu": "1", "image.os": "debian", "volatile.base_image": "8da45c", "volatile.eth0.hwaddr": "00:16:3e:aa:bb:cc",
		},
		Devices: map[string]map[string]string{"eth0": {"type": "nic", "network": "pgafbr0", "ipv4.address": "10.66.0.10"}},
	}
}

func TestDecideConvergedInstanceChangesNothing(t *testing.T) {
	for _, c := range []struct{ state, status string }{
		{"started", "Running"}, {"stopped", "Stopped"}, {"present", "Running"}, {"present", "Stopped"},
	} {
		p, err := decide(wanted(c.state), existing(c.status))
		if err != nil {
			t.Fatalf("%s/%s: %v", c.state, c.status, err)
		}
		if p.changed() || p.reconfigures() || p.Action != "" || p.Create || p.Delete {
			t.Errorf("%s on %s: want no change, got %+v", c.state, c.status, p.Changes)
		}
	}
}

func TestDecideKeysIncusAddsAreNoDifference(t *testing.T) {
	w := wanted("started")
	w.Config = map[string]string{}
	p, err := decide(w, existing("Running"))
	if err != nil || p.changed() {
		t.Fatalf("unmanaged volatile/image keys must not count: %v %v", p.Changes, err)
	}
	after := p.After["config"].(map[string]string)
	for k := range after {
		if strings.HasPrefix(k, "volatile.") || strings.HasPrefix(k, "image.") {
			t.Errorf("diff view shows Incus-owned key %s", k)
		}
	}
}

func TestDecideCreate(t *testing.T) {
	p, err := decide(wanted("started"), nil)
	if err != nil || !p.Create || p.Delete || p.Action != "" {
		t.Fatalf("want create, got %+v, %v", p, err)
	}
	if p.After["state"] != "running" || !reflect.DeepEqual(p.After["devices"], wanted("started").Devices) {
		t.Errorf("diff after = %v", p.After)
	}
	if p, _ := decide(wanted("stopped"), nil); !p.Create || p.After["state"] != "stopped" {
		t.Errorf("stopped on absent: %+v", p)
	}
}

func TestDecideCreateNeedsImage(t *testing.T) {
	w := wanted("present")
	w.HasImage = false
	if _, err := decide(w, nil); err == nil || !strings.Contains(err.Error(), "'image' is required") {
		t.Fatalf("want image-required error, got %v", err)
	}
	// Without an image an existing container is still managed.
	if _, err := decide(w, existing("Running")); err != nil {
		t.Fatalf("existing container without image option: %v", err)
	}
}

func TestDecideAbsent(t *testing.T) {
	if p, _ := decide(wanted("absent"), nil); p.changed() {
		t.Errorf("absent on absent must not change: %v", p.Changes)
	}
	p, _ := decide(wanted("absent"), existing("Running"))
	if !p.Delete || p.Action != "stop" || p.After["state"] != "absent" {
		t.Errorf("absent on running: %+v", p)
	}
	p, _ = decide(wanted("absent"), existing("Stopped"))
	if !p.Delete || p.Action != "" {
		t.Errorf("absent on stopped: %+v", p)
	}
}

func TestDecideStateActions(t *testing.T) {
	cases := []struct{ want, status, action string }{
		{"started", "Stopped", "start"}, {"started", "Frozen", "unfreeze"}, {"started", "Running", ""},
		{"stopped", "Running", "stop"}, {"stopped", "Frozen", "stop"}, {"present", "Frozen", ""},
	}
	for _, c := range cases {
		p, err := decide(wanted(c.want), existing(c.status))
		if err != nil || p.Action != c.action {
			t.Errorf("%s on %s: action %q, want %q (%v)", c.want, c.status, p.Action, c.action, err)
		}
	}
}

func TestDecideChangesOnlyTheDifference(t *testing.T) {
	w := wanted("started")
	w.Config = map[string]string{"limits.cpu": "2", "limits.memory": "1GiB"}
	w.Devices["eth0"]["ipv4.address"] = "10.66.0.20"
	w.Devices["data"] = map[string]string{"type": "disk", "source": "/srv", "path": "/srv"}
	w.Profiles = []string{"default", "extra"}
	cur := existing("Running")
	cur.Devices["keep"] = map[string]string{"type": "disk", "source": "/x", "path": "/x"}
	p, err := decide(w, cur)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.SetConfig, map[string]string{"limits.cpu": "2", "limits.memory": "1GiB"}) {
		t.Errorf("config to set: %v", p.SetConfig)
	}
	if len(p.SetDevices) != 2 || p.SetDevices["eth0"]["ipv4.address"] != "10.66.0.20" || p.SetDevices["data"] == nil {
		t.Errorf("devices to set: %v", p.SetDevices)
	}
	if !reflect.DeepEqual(p.SetProfiles, []string{"default", "extra"}) || p.Action != "" {
		t.Errorf("profiles %v action %q", p.SetProfiles, p.Action)
	}
	config, devices, _ := p.merged(cur)
	if config["volatile.eth0.hwaddr"] == "" || devices["keep"] == nil {
		t.Errorf("update must keep what is not managed: %v %v", config, devices)
	}
	if cur.Config["limits.cpu"] != "1" {
		t.Error("merged modified the observed instance")
	}
}

func TestDecideUnmanagedProfilesAreLeftAlone(t *testing.T) {
	w := wanted("started")
	w.Profiles = nil
	cur := existing("Running")
	cur.Profiles = []string{"default", "users-own"}
	if p, _ := decide(w, cur); p.changed() {
		t.Errorf("profiles not given must not change: %v", p.Changes)
	}
}

func TestDecideRefusesVirtualMachine(t *testing.T) {
	cur := existing("Running")
	cur.Type = "virtual-machine"
	for _, state := range []string{"started", "absent", "present"} {
		_, err := decide(wanted(state), cur)
		if err == nil || !strings.Contains(err.Error(), "virtual-machine, not a container") {
			t.Errorf("state %s: want VM clash error, got %v", state, err)
		}
	}
}
