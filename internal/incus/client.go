// Package incus is the small part of the Incus API the lab modules need:
// look up, create, reconfigure, start, stop and delete system containers in a
// project of the local daemon or of a remote, and wait until one has booted.
package incus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	incus "github.com/lxc/incus/v7/client"
	"github.com/lxc/incus/v7/shared/api"
)

// DefaultSocket is where the Debian package's incusd listens.
const DefaultSocket = "/var/lib/incus/unix.socket"

// Client talks to one Incus daemon: the local one over its unix socket
// (Connect) or a remote of the client configuration (ConnectRemote).
type Client struct {
	srv    incus.InstanceServer
	remote string // "" for the local socket
	// server is the daemon's GET /1.0 answer when connecting already asked
	// for it (ConnectRemote's trust check), nil otherwise.
	server *api.Server
}

// SocketPath is the socket Connect uses: $INCUS_SOCKET, else the default.
func SocketPath() string {
	if s := os.Getenv("INCUS_SOCKET"); s != "" {
		return s
	}
	return DefaultSocket
}

// Connect opens the local daemon's socket. Every request made through the
// client is bound to ctx.
func Connect(ctx context.Context) (*Client, error) {
	socket := SocketPath()
	srv, err := incus.ConnectIncusUnixWithContext(ctx, socket, &incus.ConnectionArgs{SkipGetEvents: true})
	if err != nil {
		return nil, fmt.Errorf("local Incus daemon not reachable over %s (is incusd running? `incus admin waitready` tells): %w", socket, err)
	}
	return &Client{srv: srv}, nil
}

// ProjectExists reports whether the Incus project exists.
func (c *Client) ProjectExists(ctx context.Context, name string) (bool, error) {
	_, _, err := c.srv.GetProject(name)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up project %q: %w", name, err)
	}
	return true, ctx.Err()
}

// Projects lists the project names, for error messages.
func (c *Client) Projects() []string {
	names, _ := c.srv.GetProjectNames()
	return names
}

func (c *Client) in(project string) incus.InstanceServer {
	return c.srv.UseProject(project)
}

func isNotFound(err error) bool {
	return err != nil && api.StatusErrorCheck(err, http.StatusNotFound)
}

// wait blocks until an async operation ends or ctx is done.
func wait(ctx context.Context, op incus.Operation, err error) error {
	if err != nil {
		return err
	}
	if err := op.WaitContext(ctx); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("operation %s still running: %w", op.Get().ID, ctx.Err())
		}
		return err
	}
	return nil
}
