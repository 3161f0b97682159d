package incus

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	incus "github.com/lxc/incus/v7/client"
	"github.com/lxc/incus/v7/shared/api"
)

// Instance is what the modules need to know about an existing instance.
type Instance struct {
	Name     string
	Project  string
	Type     string // "container" or "virtual-machine"
	Status   string // "Running", "Stopped", "Frozen", ...
	Location string
	Config   map[string]string
	Devices  map[string]map[string]string
	Profiles []string
	IPv4     []string // global addresses on every interface but lo

	put  api.InstancePut
	etag string
}

// Instance returns the named instance, or nil when there is none.
func (c *Client) Instance(ctx context.Context, project, name string) (*Instance, error) {
	srv := c.in(project)
	inst, etag, err := srv.GetInstance(name)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up instance %q in project %q: %w", name, project, err)
	}
	out := &Instance{
		Name: inst.Name, Project: project, Type: inst.Type, Status: inst.Status, Location: inst.Location,
		Config: inst.Config, Devices: inst.Devices, Profiles: inst.Profiles,
		put: inst.Writable(), etag: etag,
	}
	if out.Type == "" {
		out.Type = "container"
	}
	if inst.Status == "Running" {
		state, _, err := srv.GetInstanceState(name)
		if err != nil {
			return nil, fmt.Errorf("read state of instance %q: %w", name, err)
		}
		out.IPv4 = globalIPv4(state)
	}
	return out, ctx.Err()
}

func globalIPv4(state *api.InstanceState) []string {
	var out []string
	for ifname, n := range state.Network {
		if ifname == "lo" {
			continue
		}
		for _, a := range n.Addresses {
			if a.Family == "inet" && a.Scope == "global" && net.ParseIP(a.Address) != nil {
				out = append(out, a.Address)
			}
		}
	}
	sort.Strings(out)
	return out
}

// CreateRequest describes a new container.
type CreateRequest struct {
	Name     string
	Image    *Image
	Profiles []string
	Config   map[string]string
	Devices  map[string]map[string]string
	Target   string // cluster member; "" lets Incus choose
	Start    bool
}

// Create creates a container from an image and waits for it.
func (c *Client) Create(ctx context.Context, project string, r CreateRequest) error {
	srv := c.in(project)
	if r.Target != "" {
		srv = srv.UseTarget(r.Target)
	}
	req := api.InstancesPost{
		Name: r.Name,
		Type: api.InstanceTypeContainer,
		InstancePut: api.InstancePut{
			Profiles: r.Profiles,
			Config:   r.Config,
			Devices:  r.Devices,
		},
		Start: r.Start,
	}
	var err error
	if r.Image.server == nil {
		req.Source = api.InstanceSource{Type: "image", Fingerprint: r.Image.Fingerprint}
		op, cerr := srv.CreateInstance(req)
		err = wait(ctx, op, cerr)
	} else {
		// A remote image: the daemon downloads it from the image server itself.
		var op incus.RemoteOperation
		op, err = srv.CreateInstanceFromImage(r.Image.server, *r.Image.info, req)
		if err == nil {
			err = waitRemote(ctx, op)
		}
	}
	if err != nil {
		return fmt.Errorf("create container %q in project %q from image %s: %w", r.Name, project, r.Image.Ref, err)
	}
	return nil
}

func waitRemote(ctx context.Context, op incus.RemoteOperation) error {
	done := make(chan error, 1)
	go func() { done <- op.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = op.CancelTarget()
		return ctx.Err()
	}
}

// Update replaces the instance's config, devices and profiles, keeping the
// rest of its writable state. The ETag makes a concurrent change fail
// instead of being overwritten.
func (c *Client) Update(ctx context.Context, inst *Instance, config map[string]string, devices map[string]map[string]string, profiles []string) error {
	put := inst.put
	put.Config = config
	put.Devices = devices
	put.Profiles = profiles
	op, err := c.in(inst.Project).UpdateInstance(inst.Name, put, inst.etag)
	if err := wait(ctx, op, err); err != nil {
		return fmt.Errorf("update instance %q: %w", inst.Name, err)
	}
	return nil
}

// SetState runs a state action: start, stop, unfreeze. A stop first asks
// the init system to shut down and forces it after graceSeconds.
func (c *Client) SetState(ctx context.Context, project, name, action string, graceSeconds int) error {
	srv := c.in(project)
	req := api.InstanceStatePut{Action: action, Timeout: -1}
	if action == "stop" {
		req.Timeout = graceSeconds
	}
	op, err := srv.UpdateInstanceState(name, req, "")
	err = wait(ctx, op, err)
	if err != nil && action == "stop" {
		req.Force = true
		op, err = srv.UpdateInstanceState(name, req, "")
		err = wait(ctx, op, err)
	}
	if err != nil {
		return fmt.Errorf("%s instance %q: %w", action, name, err)
	}
	return nil
}

// Delete removes a stopped instance.
func (c *Client) Delete(ctx context.Context, project, name string) error {
	op, err := c.in(project).DeleteInstance(name)
	if err := wait(ctx, op, err); err != nil {
		return fmt.Errorf("delete instance %q: %w", name, err)
	}
	return nil
}

// VisibleConfig drops the keys Incus maintains itself (volatile.*, image.*):
// they are not the user's configuration and never count as a difference.
func VisibleConfig(config map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range config {
		if !IsIncusOwnedKey(k) {
			out[k] = v
		}
	}
	return out
}

// IsIncusOwnedKey reports a config key that Incus sets on its own.
func IsIncusOwnedKey(k string) bool {
	return strings.HasPrefix(k, "volatile.") || strings.HasPrefix(k, "image.")
}
