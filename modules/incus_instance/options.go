package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"

	"pgafha/internal/ansible"
	"pgafha/internal/incus"
)

// options are the validated task options, normalised to what Incus stores:
// every config and device value is a string.
type options struct {
	Name, Remote, Project, State, Target string
	Image                                incus.ImageRef
	HasImage                             bool
	Profiles                             []string // nil: not managed
	Config                               map[string]string
	Devices                              map[string]map[string]string
	WaitReady                            bool
}

// Incus instance names are hostnames: letters, digits and dashes, not
// starting with a digit or dash, at most 63 characters.
var instanceName = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

// remoteName is what `incus remote add` accepts in practice; a colon or a
// slash would change how the CLI reads `remote:instance`.
var remoteName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func parseOptions(p ansible.Params) (options, error) {
	o := options{
		Name: p.String("name"), Remote: p.String("remote"), Project: p.String("project"), State: p.String("state"),
		Target: p.String("target"), WaitReady: p.Bool("wait_ready"),
	}
	if !instanceName.MatchString(o.Name) {
		return o, fmt.Errorf("argument 'name': %q is not a valid instance name (letters, digits and dashes, starting with a letter, at most 63 characters)", o.Name)
	}
	if o.Project == "" {
		return o, fmt.Errorf("argument 'project' must not be empty")
	}
	if !remoteName.MatchString(o.Remote) {
		return o, fmt.Errorf("argument 'remote': %q is not a remote name of the Incus client configuration (letters, digits, '-', '_' and '.'; `incus remote list` shows them)", o.Remote)
	}
	if o.Target != "" && !instanceName.MatchString(o.Target) {
		return o, fmt.Errorf("argument 'target': %q is not a cluster member name", o.Target)
	}
	if p.IsSet("image") {
		ref, err := incus.ParseImageRef(p.String("image"))
		if err != nil {
			return o, fmt.Errorf("argument 'image': %w", err)
		}
		o.Image, o.HasImage = ref, true
	}
	if p.IsSet("profiles") {
		o.Profiles = p.Strings("profiles")
		if o.Profiles == nil {
			o.Profiles = []string{}
		}
	}
	var err error
	if o.Config, err = normalizeConfig(p.Dict("config")); err != nil {
		return o, err
	}
	if o.Devices, err = normalizeDevices(p.Dict("devices")); err != nil {
		return o, err
	}
	return o, nil
}

func normalizeConfig(in map[string]any) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range in {
		if incus.IsIncusOwnedKey(k) {
			return nil, fmt.Errorf("argument 'config': key %q is maintained by Incus itself (volatile.*, image.*) and cannot be set", k)
		}
		s, err := scalar(v)
		if err != nil {
			return nil, fmt.Errorf("argument 'config': key %q: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

func normalizeDevices(in map[string]any) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	names := slices.Sorted(maps.Keys(in))
	for _, name := range names {
		d, ok := in[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("argument 'devices': device %q must be a dict of settings (e.g. {type: nic, network: pgafbr0}), got %T", name, in[name])
		}
		dev := map[string]string{}
		for k, v := range d {
			s, err := scalar(v)
			if err != nil {
				return nil, fmt.Errorf("argument 'devices': device %q, key %q: %w", name, k, err)
			}
			dev[k] = s
		}
		if dev["type"] == "" {
			return nil, fmt.Errorf("argument 'devices': device %q has no 'type' (nic, disk, proxy, ...)", name)
		}
		out[name] = dev
	}
	return out, nil
}

// scalar turns a YAML scalar into the string Incus stores: `true`, `2`, `1.5`.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", fmt.Errorf("value is empty (null); use an empty string \"\" to mean empty")
	}
	return "", fmt.Errorf("value must be a string, number or boolean, got a %T", v)
}
