package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"pgafha/internal/incus"
)

// plan is what must change to reach the wanted state. After is the
// instance as it will look, for --diff.
type plan struct {
	Create, Delete bool
	Action         string // "start", "stop", "unfreeze" or ""
	SetConfig      map[string]string
	SetDevices     map[string]map[string]string
	SetProfiles    []string // nil: unchanged
	Changes        []string
	After          map[string]any
}

func (p plan) changed() bool { return len(p.Changes) > 0 }

func (p plan) reconfigures() bool {
	return len(p.SetConfig) > 0 || len(p.SetDevices) > 0 || p.SetProfiles != nil
}

// decide compares the wanted instance with the current one (nil: none).
func decide(want options, cur *incus.Instance) (plan, error) {
	p := plan{SetConfig: map[string]string{}, SetDevices: map[string]map[string]string{}, Changes: []string{}}
	if cur != nil && cur.Type != "container" {
		return p, fmt.Errorf("instance %q in project %q is a %s, not a container: incus_instance manages system containers only and leaves it untouched (pick another name)", want.Name, want.Project, cur.Type)
	}
	if cur == nil {
		if want.State == "absent" {
			p.After = describeInstance(nil)
			return p, nil
		}
		if !want.HasImage {
			return p, fmt.Errorf("argument 'image' is required to create container %q (it does not exist in project %q)", want.Name, want.Project)
		}
		p.Create = true
		verb := "create"
		if want.State == "started" {
			verb = "create and start"
		}
		p.Changes = append(p.Changes, fmt.Sprintf("%s from image %s", verb, want.Image))
		p.After = describeWanted(want)
		return p, nil
	}
	if want.State == "absent" {
		p.Delete = true
		if cur.Status != "Stopped" {
			p.Action = "stop"
		}
		p.Changes = append(p.Changes, "delete")
		p.After = describeInstance(nil)
		return p, nil
	}

	for _, k := range slices.Sorted(maps.Keys(want.Config)) {
		v, ok := cur.Config[k]
		switch {
		case !ok:
			p.Changes = append(p.Changes, fmt.Sprintf("config %s=%q (was unset)", k, want.Config[k]))
		case v != want.Config[k]:
			p.Changes = append(p.Changes, fmt.Sprintf("config %s=%q (was %q)", k, want.Config[k], v))
		default:
			continue
		}
		p.SetConfig[k] = want.Config[k]
	}
	for _, name := range slices.Sorted(maps.Keys(want.Devices)) {
		have, ok := cur.Devices[name]
		if !ok || !maps.Equal(have, want.Devices[name]) {
			p.SetDevices[name] = want.Devices[name]
			verb := "add"
			if ok {
				verb = "replace"
			}
			p.Changes = append(p.Changes, fmt.Sprintf("%s device %s", verb, name))
		}
	}
	if want.Profiles != nil && !slices.Equal(want.Profiles, cur.Profiles) {
		p.SetProfiles = want.Profiles
		p.Changes = append(p.Changes, fmt.Sprintf("profiles %v (were %v)", want.Profiles, cur.Profiles))
	}
	p.Action = stateAction(want.State, cur.Status)
	if p.Action != "" {
		p.Changes = append(p.Changes, fmt.Sprintf("%s (was %s)", p.Action, cur.Status))
	}

	config, devices, profiles := p.merged(cur)
	after := &incus.Instance{Status: cur.Status, Config: config, Devices: devices, Profiles: profiles}
	if p.Action != "" {
		after.Status = map[string]string{"start": "Running", "unfreeze": "Running", "stop": "Stopped"}[p.Action]
	}
	p.After = describeInstance(after)
	return p, nil
}

// stateAction is the state change that takes an instance in status to the
// wanted state; "present" accepts any status.
func stateAction(want, status string) string {
	switch want {
	case "started":
		switch status {
		case "Running":
			return ""
		case "Frozen":
			return "unfreeze"
		}
		return "start"
	case "stopped":
		if status == "Stopped" {
			return ""
		}
		return "stop"
	}
	return ""
}

// merged is the instance's full config, devices and profiles with the plan
// applied: what is written back in one update.
func (p plan) merged(cur *incus.Instance) (map[string]string, map[string]map[string]string, []string) {
	config := maps.Clone(cur.Config)
	if config == nil {
		config = map[string]string{}
	}
	maps.Copy(config, p.SetConfig)
	devices := maps.Clone(cur.Devices)
	if devices == nil {
		devices = map[string]map[string]string{}
	}
	maps.Copy(devices, p.SetDevices)
	profiles := cur.Profiles
	if p.SetProfiles != nil {
		profiles = p.SetProfiles
	}
	return config, devices, profiles
}

// describeInstance is the --diff view: state, profiles, the user's config
// (without the keys Incus maintains) and devices.
func describeInstance(i *incus.Instance) map[string]any {
	if i == nil {
		return map[string]any{"state": "absent"}
	}
	profiles := i.Profiles
	if profiles == nil {
		profiles = []string{}
	}
	return map[string]any{
		"state":    strings.ToLower(i.Status),
		"profiles": profiles,
		"config":   incus.VisibleConfig(i.Config),
		"devices":  i.Devices,
	}
}

func describeWanted(w options) map[string]any {
	status := "Stopped"
	if w.State == "started" {
		status = "Running"
	}
	profiles := w.Profiles
	if profiles == nil {
		profiles = []string{"default"}
	}
	return describeInstance(&incus.Instance{Status: status, Config: w.Config, Devices: w.Devices, Profiles: profiles})
}

func joinChanges(c []string) string { return strings.Join(c, "; ") }
