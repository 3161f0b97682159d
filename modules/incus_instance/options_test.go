package main

import (
	"strings"
	"testing"

	"pgafha/internal/ansible"
)

func params(extra map[string]any) ansible.Params {
	p := ansible.Params{"name": "pgaf-primary", "remote": "local", "project": "default", "state": "started", "wait_ready": true}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func TestParseOptionsNormalisesScalars(t *testing.T) {
	o, err := parseOptions(params(map[string]any{
		"image":   "pgaf-bookworm",
		"config":  map[string]any{"limits.cpu": int64(2), "security.nesting": true, "user.ratio": 1.5},
		"devices": map[string]any{"eth0": map[string]any{"type": "nic", "network": "pgafbr0", "mtu": int64(1500)}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if o.Config["limits.cpu"] != "2" || o.Config["security.nesting"] != "true" || o.Config["user.ratio"] != "1.5" {
		t.Errorf("config %v", o.Config)
	}
	if o.Devices["eth0"]["mtu"] != "1500" || o.Profiles != nil {
		t.Errorf("devices %v profiles %v", o.Devices, o.Profiles)
	}
}

func TestParseOptionsRejectsBadInput(t *testing.T) {
	cases := map[string]struct {
		extra map[string]any
		want  string
	}{
		"bad name":        {map[string]any{"name": "1-bad_name"}, "argument 'name'"},
		"volatile key":    {map[string]any{"config": map[string]any{"volatile.eth0.hwaddr": "x"}}, "maintained by Incus"},
		"dict value":      {map[string]any{"config": map[string]any{"limits.cpu": map[string]any{}}}, `key "limits.cpu"`},
		"device not dict": {map[string]any{"devices": map[string]any{"eth0": "nic"}}, `device "eth0" must be a dict`},
		"device no type":  {map[string]any{"devices": map[string]any{"eth0": map[string]any{"network": "x"}}}, "has no 'type'"},
		"device null":     {map[string]any{"devices": map[string]any{"eth0": map[string]any{"type": nil}}}, "null"},
		"unknown remote":  {map[string]any{"image": "nowhere:debian/12"}, `remote "nowhere"`},
		"empty project":   {map[string]any{"project": ""}, "'project'"},
		"remote no alias": {map[string]any{"image": "images:"}, "no alias"},
		"remote colon":    {map[string]any{"remote": "hostb:"}, "argument 'remote'"},
		"remote empty":    {map[string]any{"remote": ""}, "argument 'remote'"},
		"target spaces":   {map[string]any{"target": "member 1"}, "argument 'target'"},
	}
	for name, c := range cases {
		_, err := parseOptions(params(c.extra))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want error containing %q, got %v", name, c.want, err)
		}
	}
}

func TestParseOptionsEmptyProfilesListIsManaged(t *testing.T) {
	o, err := parseOptions(params(map[string]any{"profiles": []any{}}))
	if err != nil || o.Profiles == nil || len(o.Profiles) != 0 {
		t.Fatalf("an empty profiles list means `no profiles`, got %#v %v", o.Profiles, err)
	}
}
