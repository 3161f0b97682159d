package failover

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// Instance is an Incus instance in a project, on a remote of the Incus
// client configuration ("" or "local": this machine's daemon), in a failure
// domain (its host; "" when not known).
type Instance struct {
	Name    string `json:"name"`
	Project string `json:"project"`
	Remote  string `json:"remote,omitempty"`
	Domain  string `json:"domain,omitempty"`
}

func (i Instance) String() string {
	if i.RemoteName() == "local" {
		return i.Project + "/" + i.Name
	}
	return i.Remote + ":" + i.Project + "/" + i.Name
}

// RemoteName is the instance's remote, "local" when none is given.
func (i Instance) RemoteName() string {
	if i.Remote == "" {
		return "local"
	}
	return i.Remote
}

// same reports whether two values name the same instance.
func (i Instance) same(o Instance) bool {
	return i.Name == o.Name && i.Project == o.Project && i.RemoteName() == o.RemoteName()
}

// Power is what a cycle needs from Incus. Every call returns once the
// operation has completed.
type Power interface {
	ForceStop(ctx context.Context, inst Instance) error
	Start(ctx context.Context, inst Instance) error
	Pause(ctx context.Context, inst Instance) error
	Resume(ctx context.Context, inst Instance) error
	// KillPostmaster sends SIGKILL to the postmaster listening on port
	// inside the running instance, and nothing else.
	KillPostmaster(ctx context.Context, inst Instance, port int) error
	// Addresses lists the instance's IP addresses (running instances only).
	Addresses(ctx context.Context, inst Instance) ([]string, error)
}

// Network is what the partition scenarios need from the host: cut every
// path between two sets of addresses, and heal it.
type Network interface {
	Cut(ctx context.Context, a, b []string) error
	Heal(ctx context.Context) error
}

// checkTarget refuses to touch an instance unless it really hosts the node
// (a wrong `instances` map must not stop an innocent container) and does
// not host the monitor (stopping it would make the test meaningless and
// leave the formation without its arbiter).
func checkTarget(addrs []string, inst Instance, node Node, monitorHosts []string) error {
	holds := sameHost(node.Host, inst.Name)
	for _, a := range addrs {
		if sameHost(node.Host, a) {
			holds = true
		}
		for _, m := range monitorHosts {
			if sameHost(m, a) || sameHost(m, inst.Name) {
				return fmt.Errorf("instance %s holds the monitor's address %s: refusing to stop the monitor", inst, m)
			}
		}
	}
	if !holds {
		return fmt.Errorf("instance %s (addresses %s) does not host node %q (host %s); set the instances option to map node names to Incus instances",
			inst, strings.Join(addrs, ", "), node.Name, node.Host)
	}
	return nil
}

// sameHost compares a node host (IP or name) with an address or instance
// name; a fully qualified name matches its first label.
func sameHost(host, other string) bool {
	if host == "" || other == "" {
		return false
	}
	h, o := net.ParseIP(host), net.ParseIP(other)
	if h != nil || o != nil {
		return h != nil && o != nil && h.Equal(o)
	}
	first, _, _ := strings.Cut(host, ".")
	return strings.EqualFold(host, other) || strings.EqualFold(first, other)
}
