package incus

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	incus "github.com/lxc/incus/v7/client"
	"github.com/lxc/incus/v7/shared/cliconfig"
)

// LocalRemote is the remote name of the daemon on this machine's socket.
const LocalRemote = "local"

// ConnectRemote opens the daemon that remote names in the Incus client
// configuration of the user running the module ($INCUS_CONF, else
// ~/.config/incus): the same names, addresses and certificates the incus
// CLI and Ansible's incus connection use. "" and "local" are this machine's
// daemon over its unix socket (Connect).
func ConnectRemote(ctx context.Context, remote string) (*Client, error) {
	if remote == "" || remote == LocalRemote {
		return Connect(ctx)
	}
	conf, err := cliconfig.LoadConfig("")
	if err != nil {
		return nil, fmt.Errorf("read the Incus client configuration: %w", err)
	}
	if err := checkRemote(conf, remote); err != nil {
		return nil, err
	}
	type result struct {
		srv incus.InstanceServer
		err error
	}
	done := make(chan result, 1)
	// The configuration's connect takes no context: bound it from here.
	go func() {
		srv, err := conf.GetInstanceServer(remote)
		done <- result{srv, err}
	}()
	addr := strings.Join(conf.Remotes[remote].Addrs, ",")
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("connect to Incus remote %q (%s): %w%s", remote, addr, r.err, certificateHint(r.err, remote))
		}
		// An untrusted client still gets GET /1.0; everything else would be refused.
		info, _, err := r.srv.GetServer()
		if err != nil {
			return nil, fmt.Errorf("ask Incus remote %q (%s) about itself: %w", remote, addr, err)
		}
		if info.Auth != "trusted" {
			return nil, fmt.Errorf("remote %q (%s) does not trust this client's certificate (auth %q): run `incus config trust add-certificate` on that server, or `incus remote add %s` with a trust token", remote, addr, info.Auth, remote)
		}
		return &Client{srv: r.srv, remote: remote, server: info}, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("connect to Incus remote %q (%s): no answer: %w", remote, addr, ctx.Err())
	}
}

// checkRemote refuses a remote the configuration lacks or that is not an
// Incus daemon (an image server such as `images`).
func checkRemote(conf *cliconfig.Config, remote string) error {
	r, ok := conf.Remotes[remote]
	if !ok {
		return fmt.Errorf("remote %q is not in the Incus client configuration %s (remotes there: %s); add it as the user that runs Ansible, e.g. `incus remote add %s https://ADDRESS:8443`",
			remote, conf.ConfigPath("config.yml"), strings.Join(slices.Sorted(maps.Keys(conf.Remotes)), ", "), remote)
	}
	if r.Public || (r.Protocol != "" && r.Protocol != "incus") {
		return fmt.Errorf("remote %q (%s) is an image server, not an Incus daemon that can hold instances", remote, strings.Join(r.Addrs, ","))
	}
	return nil
}

// certificateHint tells what to do about a TLS failure, the usual cause of a
// remote that is configured but refuses to talk.
func certificateHint(err error, remote string) string {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "certificate") || strings.Contains(msg, "x509") || strings.Contains(msg, "tls"):
		return fmt.Sprintf(" (the server's certificate must be the one `incus remote add %s` accepted, and this client's certificate must be trusted there: `incus config trust add-certificate` on that server)", remote)
	case strings.Contains(msg, "not authorized") || strings.Contains(msg, "forbidden"):
		return fmt.Sprintf(" (the server does not trust this client's certificate: run `incus config trust add-certificate` there, or `incus remote add %s` with a trust token)", remote)
	}
	return ""
}

// Remote is the remote this client was opened for ("local" for the socket).
func (c *Client) Remote() string {
	if c.remote == "" {
		return LocalRemote
	}
	return c.remote
}

// CheckTarget refuses a cluster member the daemon cannot place an instance
// on: any target on a daemon that is not clustered, or a member name the
// cluster does not have.
func (c *Client) CheckTarget(ctx context.Context, target string) error {
	if target == "" {
		return nil
	}
	srv := c.server
	if srv == nil {
		var err error
		if srv, _, err = c.srv.GetServer(); err != nil {
			return fmt.Errorf("ask remote %q whether it is clustered: %w", c.Remote(), err)
		}
	}
	var members []string
	if srv.Environment.ServerClustered {
		var err error
		if members, err = c.srv.GetClusterMemberNames(); err != nil {
			return fmt.Errorf("list the cluster members of remote %q: %w", c.Remote(), err)
		}
	}
	if err := targetError(c.Remote(), target, srv.Environment.ServerClustered, members); err != nil {
		return err
	}
	return ctx.Err()
}

// targetError is CheckTarget's decision.
func targetError(remote, target string, clustered bool, members []string) error {
	if !clustered {
		return fmt.Errorf("target %q names a cluster member, but remote %q is not clustered: leave target unset, or name the remote of the host itself", target, remote)
	}
	if !slices.Contains(members, target) {
		sorted := slices.Clone(members)
		slices.Sort(sorted)
		return fmt.Errorf("target %q is not a member of the cluster behind remote %q (members: %s)", target, remote, strings.Join(sorted, ", "))
	}
	return nil
}
