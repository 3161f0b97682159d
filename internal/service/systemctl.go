package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// State is what systemd and the unit file say now.
type State struct {
	// Content of the unit file ("" when there is none).
	Content string
	Enabled bool
	Active  bool
}

// Plan is what Ensure changes, derived from State and the wanted content.
type Plan struct {
	Write, Enable, Start, Restart bool
}

// Changed reports whether the plan does anything.
func (p Plan) Changed() bool { return p.Write || p.Enable || p.Start || p.Restart }

// Actions names the steps, for messages.
func (p Plan) Actions(name string) []string {
	var a []string
	if p.Write {
		a = append(a, "write the unit file of "+name)
	}
	if p.Enable {
		a = append(a, "enable "+name)
	}
	if p.Start {
		a = append(a, "start "+name)
	}
	if p.Restart {
		a = append(a, "restart "+name+" for its new unit file")
	}
	return a
}

// Decide compares the unit with what was asked. restart asks for a restart
// of a running unit for another reason (a setting read only at start).
// A file that differs only in comments or in what runs before the start is
// rewritten without a restart: the running instance is not affected by it,
// and a restart would stop PostgreSQL (on the primary: a write outage).
func Decide(u Unit, s State, restart bool) Plan {
	p := Plan{Write: s.Content != u.Content(), Enable: !s.Enabled}
	switch {
	case !s.Active:
		p.Start = true
	case restart || runningDirectives(s.Content) != runningDirectives(u.Content()):
		p.Restart = true
	}
	return p
}

// runningDirectives is a unit file without its comments, blank lines and
// ExecStartPre lines: what a running unit depends on.
func runningDirectives(content string) string {
	var out []string
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, ";") && !strings.HasPrefix(line, "ExecStartPre=") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// Observe reads the unit file and asks systemd about the unit. It must run
// as root (systemctl reaches systemd over its private socket).
func Observe(ctx context.Context, u Unit) (State, error) {
	var s State
	b, err := os.ReadFile(u.Path())
	switch {
	case err == nil:
		s.Content = string(b)
	case !errors.Is(err, os.ErrNotExist):
		return s, fmt.Errorf("read unit file %s: %w", u.Path(), err)
	}
	s.Active, s.Enabled, err = Status(ctx, u.Name+".service")
	return s, err
}

// Status asks systemd whether unit (with its suffix) is active (or getting
// there) and enabled. is-active / is-enabled exit non-zero for "inactive" /
// "disabled": their output, not their status, is the answer.
func Status(ctx context.Context, unit string) (active, enabled bool, err error) {
	a, err := Systemctl(ctx, false, "is-active", unit)
	if err != nil {
		return false, false, err
	}
	e, err := Systemctl(ctx, false, "is-enabled", unit)
	if err != nil {
		return false, false, err
	}
	return a == "active" || a == "activating" || a == "reloading", e == "enabled", nil
}

// Apply carries out the plan, as root.
func Apply(ctx context.Context, u Unit, p Plan) error {
	unit := u.Name + ".service"
	if p.Write {
		if err := os.WriteFile(u.Path(), []byte(u.Content()), 0o644); err != nil {
			return fmt.Errorf("write unit file %s: %w", u.Path(), err)
		}
		if _, err := Systemctl(ctx, true, "daemon-reload"); err != nil {
			return err
		}
	}
	if p.Enable {
		if _, err := Systemctl(ctx, true, "enable", unit); err != nil {
			return err
		}
	}
	switch {
	case p.Start:
		_, err := Systemctl(ctx, true, "start", unit)
		return err
	case p.Restart:
		_, err := Systemctl(ctx, true, "restart", unit)
		return err
	}
	return nil
}

// Systemctl runs one systemctl command (as root: it reaches systemd over its
// private socket); with strict a non-zero exit is an error, else only a
// failure to run it is (is-active / is-enabled answer through their output).
func Systemctl(ctx context.Context, strict bool, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "systemctl", args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && (strict || !errors.As(err, &exit)) {
		return "", fmt.Errorf("systemctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// Present reports whether the unit exists in any form: a file, enabled or
// running. Remove has something to do exactly then.
func (s State) Present() bool { return s.Content != "" || s.Enabled || s.Active }

// Remove stops and disables the unit and deletes its file, as root: for an
// instance that is gone (a dropped data node), whose unit would otherwise
// start it again at the next boot.
func Remove(ctx context.Context, u Unit) error {
	unit := u.Name + ".service"
	if _, err := Systemctl(ctx, true, "disable", "--now", unit); err != nil {
		return err
	}
	if err := os.Remove(u.Path()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove unit file %s: %w", u.Path(), err)
	}
	_, err := Systemctl(ctx, true, "daemon-reload")
	return err
}
