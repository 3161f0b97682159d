package incus

import (
	"context"
	"fmt"
	"time"

	"github.com/lxc/incus/v7/shared/api"
)

// Readiness is what WaitReady last saw.
type Readiness struct {
	Status  string
	Systemd string // "running", "degraded", "starting", "none" (no systemd), "" (not asked yet)
	IPv4    []string
}

func (r Readiness) ready() bool {
	return r.Status == "Running" && (r.Systemd == "running" || r.Systemd == "degraded" || r.Systemd == "none") && len(r.IPv4) > 0
}

func (r Readiness) String() string {
	ip := "no IPv4 address yet"
	if len(r.IPv4) > 0 {
		ip = fmt.Sprintf("IPv4 %v", r.IPv4)
	}
	sd := r.Systemd
	if sd == "" {
		sd = "not checked"
	}
	return fmt.Sprintf("status %s, systemd %s, %s", r.Status, sd, ip)
}

// systemdProbe maps `systemctl is-system-running` to an exit code, so that
// exec needs no output streams. No systemd at all counts as booted.
const systemdProbe = `[ -d /run/systemd/system ] || exit 20
case "$(systemctl is-system-running 2>/dev/null)" in
running) exit 0 ;; degraded) exit 10 ;; initializing|starting) exit 11 ;; *) exit 12 ;;
esac`

var probeCodes = map[int]string{0: "running", 10: "degraded", 11: "starting", 12: "not running", 20: "none"}

// readyPoll paces WaitReady: each look runs a short command in the container.
const readyPoll = 500 * time.Millisecond

// WaitReady polls until the container runs, its init system has finished
// booting and it has a global IPv4 address, or ctx ends.
func (c *Client) WaitReady(ctx context.Context, project, name string) (Readiness, error) {
	var last Readiness
	for {
		r, err := c.readiness(ctx, project, name)
		if err != nil {
			return r, err
		}
		last = r
		if last.ready() {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("container %q not ready (%s): %w", name, last, ctx.Err())
		case <-time.After(readyPoll):
		}
	}
}

func (c *Client) readiness(ctx context.Context, project, name string) (Readiness, error) {
	srv := c.in(project)
	state, _, err := srv.GetInstanceState(name)
	if err != nil {
		return Readiness{}, fmt.Errorf("read state of %q: %w", name, err)
	}
	r := Readiness{Status: state.Status, IPv4: globalIPv4(state)}
	if r.Status != "Running" {
		return r, nil
	}
	op, err := srv.ExecInstance(name, api.InstanceExecPost{Command: []string{"/bin/sh", "-c", systemdProbe}}, nil)
	if err != nil {
		// The container may be between init stages; try again next round.
		return r, nil
	}
	if err := op.WaitContext(ctx); err != nil {
		return r, nil
	}
	code, ok := op.Get().Metadata["return"].(float64)
	if !ok {
		return r, nil
	}
	if s, known := probeCodes[int(code)]; known {
		r.Systemd = s
	} else {
		r.Systemd = fmt.Sprintf("probe exit %d", int(code))
	}
	return r, nil
}
