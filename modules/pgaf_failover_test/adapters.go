package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"pgafha/internal/failover"
	"pgafha/internal/incus"
	"pgafha/internal/monitorconn"
	"pgafha/internal/pgaf"
)

// monitorAdapter presents the pg_auto_failover monitor as the cycle needs
// it. It reconnects once when its connection fails: a dropped session must
// not end a test that is in the middle of restoring the lab.
type monitorAdapter struct {
	uri       string
	formation string

	mu  sync.Mutex
	mon *pgaf.Monitor
}

// uri holds the password already (monitorconn.WithPassword): reconnect needs it.
func connectMonitor(ctx context.Context, uri, formation string) (*monitorAdapter, error) {
	mon, err := monitorconn.Dial(ctx, uri, "", formation)
	if err != nil {
		return nil, err
	}
	return &monitorAdapter{uri: uri, formation: formation, mon: mon}, nil
}

func (a *monitorAdapter) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = a.mon.Close(ctx)
}

// FormationURI is the monitor's multi-host URI for applications.
func (a *monitorAdapter) FormationURI(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mon.FormationURI(ctx, a.formation, "")
}

// Nodes reads the formation's nodes and how long ago each last reported.
func (a *monitorAdapter) Nodes(ctx context.Context) ([]failover.Node, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	nodes, err := a.mon.Nodes(ctx, a.formation)
	if err != nil && ctx.Err() == nil {
		if rerr := a.reconnect(ctx); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		nodes, err = a.mon.Nodes(ctx, a.formation)
	}
	if err != nil {
		return nil, err
	}
	out := make([]failover.Node, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, failover.Node{
			Name: n.Name, Host: n.Host, Port: n.Port,
			Reported: string(n.ReportedState), Goal: string(n.AssignedState), Health: int(n.Health),
			ReportAge: n.ReportAge,
		})
	}
	return out, nil
}

func (a *monitorAdapter) reconnect(ctx context.Context) error {
	mon, err := pgaf.Connect(ctx, a.uri)
	if err != nil {
		return fmt.Errorf("reconnect to the monitor: %w", err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = a.mon.Close(cctx)
	a.mon = mon
	return nil
}

// Subscribe listens on the monitor's state channel on a connection of its own.
func (a *monitorAdapter) Subscribe(ctx context.Context) (failover.Subscription, error) {
	a.mu.Lock()
	mon := a.mon
	a.mu.Unlock()
	l, err := mon.Listen(ctx)
	if err != nil {
		return nil, err
	}
	return &subscription{l: l, formation: a.formation}, nil
}

type subscription struct {
	l         *pgaf.Listener
	formation string
}

// Next returns the next notification about this formation's nodes.
func (s *subscription) Next(ctx context.Context) (failover.Node, error) {
	for {
		ev, err := s.l.Next(ctx)
		if err != nil {
			if ev.Payload != "" && ctx.Err() == nil {
				continue // an undecodable payload is skipped; polling covers it
			}
			return failover.Node{}, err
		}
		if ev.Formation != s.formation {
			continue
		}
		return failover.Node{
			Name: ev.Name, Host: ev.Host, Port: ev.Port,
			Reported: string(ev.ReportedState), Goal: string(ev.AssignedState), Health: int(ev.Health),
		}, nil
	}
}

func (s *subscription) Close(ctx context.Context) error { return s.l.Close(ctx) }

// powerAdapter drives Incus instances for the cycle. The Incus client binds
// every request to the context it was connected with, so each call connects
// with its own context: the restore after a Ctrl-C or an expired timeout
// must not inherit the cancelled one.
type powerAdapter struct{}

func (powerAdapter) client(ctx context.Context, i failover.Instance) (*incus.Client, error) {
	return incus.ConnectRemote(ctx, i.Remote)
}

func (p powerAdapter) ForceStop(ctx context.Context, i failover.Instance) error {
	c, err := p.client(ctx, i)
	if err != nil {
		return err
	}
	return c.ForceStop(ctx, i.Project, i.Name)
}

func (p powerAdapter) Pause(ctx context.Context, i failover.Instance) error {
	c, err := p.client(ctx, i)
	if err != nil {
		return err
	}
	return c.SetState(ctx, i.Project, i.Name, "freeze", 0)
}

// Start and Resume make the instance run, whoever started it, and retry
// until it does: an interrupted force-stop may still be completing on the
// daemon when the restore begins, and must not have the last word.
func (p powerAdapter) Start(ctx context.Context, i failover.Instance) error {
	return p.ensureRunning(ctx, i, "start")
}

func (p powerAdapter) Resume(ctx context.Context, i failover.Instance) error {
	return p.ensureRunning(ctx, i, "unfreeze")
}

func (p powerAdapter) ensureRunning(ctx context.Context, i failover.Instance, action string) error {
	var last error
	for {
		if c, err := p.client(ctx, i); err != nil {
			last = err
		} else if inst, err := c.Instance(ctx, i.Project, i.Name); err != nil {
			last = err
		} else if inst == nil {
			return fmt.Errorf("no instance %q in Incus project %q", i.Name, i.Project)
		} else if inst.Status == "Running" {
			return nil
		} else if (action == "start" && inst.Status == "Stopped") || (action == "unfreeze" && inst.Status == "Frozen") {
			if last = c.SetState(ctx, i.Project, i.Name, action, 0); last == nil {
				continue
			}
		} else {
			last = fmt.Errorf("instance %s is %s", i, inst.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s instance %s: %w (last: %v)", action, i, ctx.Err(), last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// killPostmaster finds the PostgreSQL data directory of the server on
// $PORT through its socket (peer authentication as postgres), and SIGKILLs
// the postmaster whose PID heads that directory's postmaster.pid.
const killPostmaster = `set -eu
dir=$(su postgres -c "psql -X -At -p $PORT -d postgres -c 'show data_directory'")
pid=$(head -n 1 "$dir/postmaster.pid")
kill -KILL "$pid"
echo "$pid"`

func (p powerAdapter) KillPostmaster(ctx context.Context, i failover.Instance, port int) error {
	c, err := p.client(ctx, i)
	if err != nil {
		return err
	}
	res, err := c.Exec(ctx, i.Project, i.Name, []string{"sh", "-c", killPostmaster}, map[string]string{"PORT": strconv.Itoa(port)})
	if err != nil {
		return err
	}
	if res.Code != 0 {
		return fmt.Errorf("kill the postmaster on port %d in instance %s: exit %d: %s", port, i, res.Code, strings.TrimSpace(res.Stderr))
	}
	return nil
}

func (p powerAdapter) Addresses(ctx context.Context, i failover.Instance) ([]string, error) {
	c, err := p.client(ctx, i)
	if err != nil {
		return nil, err
	}
	inst, err := c.Instance(ctx, i.Project, i.Name)
	if err != nil {
		return nil, err
	}
	if inst == nil {
		return nil, fmt.Errorf("no instance %q in Incus project %q", i.Name, i.Project)
	}
	if inst.Status != "Running" {
		return nil, fmt.Errorf("instance %s is %s: %w", i, inst.Status, failover.ErrNotRunning)
	}
	return inst.IPv4, nil
}
