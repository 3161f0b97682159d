// Module incus_instance makes an Incus system container match what the task
// asks: exists or not, running or stopped, with the given profiles, config
// keys and devices. It changes only the difference and predicts it in check
// mode.
package main

import (
	"context"
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/incus"
)

var spec = ansible.Spec{
	Name:           "incus_instance",
	DefaultTimeout: 180,
	Options: []ansible.Option{
		{Name: "name", Type: ansible.TypeStr, Required: true},
		// A remote of the Incus client configuration; "local" is this machine's socket.
		{Name: "remote", Type: ansible.TypeStr, Default: "local"},
		{Name: "project", Type: ansible.TypeStr, Default: "default"},
		// Needed only to create: a local alias or fingerprint, or remote:alias.
		{Name: "image", Type: ansible.TypeStr},
		{Name: "state", Type: ansible.TypeStr, Default: "started", Choices: []string{"started", "stopped", "present", "absent"}},
		// Unset: the profiles are left as they are (Incus applies `default` on create).
		{Name: "profiles", Type: ansible.TypeList, Elements: ansible.TypeStr},
		// Only the keys given are managed; others are left alone.
		{Name: "config", Type: ansible.TypeDict},
		// Only the devices given are managed; each must match exactly.
		{Name: "devices", Type: ansible.TypeDict},
		{Name: "target", Type: ansible.TypeStr},
		{Name: "wait_ready", Type: ansible.TypeBool, Default: true},
	},
}

func main() { ansible.Main(spec, run) }

// stopGraceSeconds is how long a stop waits for the container's init to shut
// down before it is forced.
const stopGraceSeconds = 30

func run(ctx context.Context, m *ansible.Module) error {
	want, err := parseOptions(m.Params)
	if err != nil {
		return err
	}

	c, err := incus.ConnectRemote(ctx, want.Remote)
	if err != nil {
		return err
	}
	if ok, err := c.ProjectExists(ctx, want.Project); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("project %q does not exist (projects: %v); create it first, e.g. `incus project create %s`", want.Project, c.Projects(), want.Project)
	}

	// Observe.
	cur, err := c.Instance(ctx, want.Project, want.Name)
	if err != nil {
		return err
	}

	// Decide.
	p, err := decide(want, cur)
	if err != nil {
		return err
	}
	var image *incus.Image
	if p.Create {
		if err := c.CheckTarget(ctx, want.Target); err != nil {
			return err
		}
		// Resolved in check mode too: an unknown image must fail before anything is created.
		if image, err = c.ResolveImage(ctx, want.Project, want.Image); err != nil {
			return err
		}
	}
	if cur != nil && want.Target != "" && cur.Location != "" && cur.Location != "none" && cur.Location != want.Target {
		m.Result.Warn(fmt.Sprintf("instance %s runs on cluster member %s of remote %s, not on target %s; it is not moved (move it with `incus move %s:%s --target %s` if it should be)",
			want.Name, cur.Location, want.Remote, want.Target, want.Remote, want.Name, want.Target))
	}
	m.Result.SetDiff(ansible.Diff{Before: describeInstance(cur), After: p.After})

	// Act unless check mode.
	if m.CheckMode() {
		m.Result.Changed = p.changed()
	} else {
		done, err := apply(ctx, c, want, cur, p, image)
		// A step that went through before a failure is a change too.
		m.Result.Changed = done
		if err != nil {
			return err
		}
	}

	// Report.
	final := cur
	if !m.CheckMode() && p.changed() {
		if final, err = c.Instance(ctx, want.Project, want.Name); err != nil {
			return err
		}
	}
	if !m.CheckMode() && want.WaitReady && want.State == "started" {
		r, err := c.WaitReady(ctx, want.Project, want.Name)
		if err != nil {
			return fmt.Errorf("wait for container %q to be ready: %w", want.Name, err)
		}
		if r.Systemd == "degraded" {
			m.Result.Warn(fmt.Sprintf("container %s booted with failed systemd units (`systemctl --failed` inside it)", want.Name))
		}
		if final != nil {
			final.IPv4, final.Status = r.IPv4, r.Status
		}
	}
	report(m, want, final, p)
	return nil
}

// apply carries out the plan: create, reconfigure, change state, delete. It
// reports whether any step went through.
func apply(ctx context.Context, c *incus.Client, want options, cur *incus.Instance, p plan, image *incus.Image) (bool, error) {
	switch {
	case p.Create:
		err := c.Create(ctx, want.Project, incus.CreateRequest{
			Name: want.Name, Image: image, Profiles: want.Profiles,
			Config: want.Config, Devices: want.Devices, Target: want.Target,
			Start: want.State == "started",
		})
		if err != nil {
			// Created but not started (or the wait ended) is still a change.
			inst, lerr := c.Instance(context.WithoutCancel(ctx), want.Project, want.Name)
			return lerr == nil && inst != nil, err
		}
		return true, nil
	case p.Delete:
		if p.Action == "stop" {
			if err := c.SetState(ctx, want.Project, want.Name, "stop", stopGraceSeconds); err != nil {
				return false, err
			}
		}
		return true, c.Delete(ctx, want.Project, want.Name)
	}
	done := false
	if p.reconfigures() {
		config, devices, profiles := p.merged(cur)
		if err := c.Update(ctx, cur, config, devices, profiles); err != nil {
			return false, err
		}
		done = true
	}
	if p.Action != "" {
		if err := c.SetState(ctx, want.Project, want.Name, p.Action, stopGraceSeconds); err != nil {
			return done, err
		}
		done = true
	}
	return done, nil
}

func report(m *ansible.Module, want options, final *incus.Instance, p plan) {
	status, addresses, kind := "Absent", []string{}, ""
	if final != nil && !(p.Delete && !m.CheckMode()) {
		status, kind = final.Status, final.Type
		if final.IPv4 != nil {
			addresses = final.IPv4
		}
	}
	location := ""
	if final != nil && final.Location != "none" {
		location = final.Location
	}
	m.Result.Set("name", want.Name)
	m.Result.Set("remote", want.Remote)
	m.Result.Set("project", want.Project)
	m.Result.Set("location", location)
	m.Result.Set("status", status)
	m.Result.Set("type", kind)
	m.Result.Set("addresses", addresses)
	m.Result.Set("actions", p.Changes)
	switch {
	case !p.changed():
		m.Result.Msg = fmt.Sprintf("container %s (%s) is %s as asked", want.Name, where(want), status)
	case m.CheckMode():
		m.Result.Msg = fmt.Sprintf("would change container %s (%s): %s", want.Name, where(want), joinChanges(p.Changes))
	default:
		m.Result.Msg = fmt.Sprintf("changed container %s (%s): %s", want.Name, where(want), joinChanges(p.Changes))
	}
}

// where names the remote and project of the instance for messages.
func where(o options) string {
	if o.Remote == incus.LocalRemote {
		return "project " + o.Project
	}
	return "remote " + o.Remote + ", project " + o.Project
}
