// Command pgaf_ca is an Ansible module that keeps a formation's own
// certificate authority in a directory on the controller: the CA, and a
// server certificate per member naming the member's addresses, issued again
// when missing, from another CA, for other names, or close to expiry. Private
// keys stay in that directory (mode 0600) and never reach the result.
package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"pgafha/internal/ansible"
)

var spec = ansible.Spec{
	Name:           "pgaf_ca",
	DefaultTimeout: 30,
	Options: []ansible.Option{
		{Name: "dir", Type: ansible.TypeStr, Required: true},
		// member name → the host names and addresses clients reach it by.
		{Name: "members", Type: ansible.TypeDict, Required: true},
		{Name: "common_name", Type: ansible.TypeStr, Default: "pgafha formation CA"},
		{Name: "ca_valid_days", Type: ansible.TypeInt, Default: 3650},
		{Name: "cert_valid_days", Type: ansible.TypeInt, Default: 397},
		{Name: "renew_before_days", Type: ansible.TypeInt, Default: 30},
	},
}

func main() { ansible.Main(spec, run) }

func run(ctx context.Context, m *ansible.Module) error {
	o, err := readOptions(m.Params)
	if err != nil {
		return err
	}
	seen, err := observe(o)
	if err != nil {
		return err
	}
	p, err := decide(o, seen, time.Now())
	if err != nil {
		return err
	}
	for _, w := range p.warnings {
		m.Result.Warn(w)
	}
	// In check mode the plan is the prediction; otherwise what was done,
	// which after a failure is only the part before it.
	done := p
	if !m.CheckMode() && p.changed() {
		done, err = apply(o, seen, p, time.Now(), m.AddSecret)
	}
	report(m, o, seen, p, done)
	return err
}

// options are the validated module options.
type options struct {
	dir, commonName                       string
	members                               map[string][]string
	caValid, certValid, renewBefore       time.Duration
	caValidDays, certValidDays, renewDays int
}

var memberName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

func readOptions(p ansible.Params) (options, error) {
	o := options{dir: p.String("dir"), commonName: p.String("common_name"), members: map[string][]string{},
		caValidDays: p.Int("ca_valid_days"), certValidDays: p.Int("cert_valid_days"), renewDays: p.Int("renew_before_days")}
	if !filepath.IsAbs(o.dir) {
		return o, fmt.Errorf("dir must be an absolute path on the controller, got %q", o.dir)
	}
	if o.commonName == "" || strings.ContainsFunc(o.commonName, func(r rune) bool { return r < 0x20 }) {
		return o, fmt.Errorf("common_name must be a non-empty line of text, got %q", o.commonName)
	}
	switch {
	case o.caValidDays < 1:
		return o, fmt.Errorf("ca_valid_days must be at least 1, got %d", o.caValidDays)
	case o.certValidDays < 1:
		return o, fmt.Errorf("cert_valid_days must be at least 1, got %d", o.certValidDays)
	case o.renewDays < 0 || o.renewDays >= o.certValidDays:
		return o, fmt.Errorf("renew_before_days must be between 0 and cert_valid_days-1 (%d), got %d", o.certValidDays-1, o.renewDays)
	}
	day := 24 * time.Hour
	o.caValid, o.certValid, o.renewBefore = time.Duration(o.caValidDays)*day, time.Duration(o.certValidDays)*day, time.Duration(o.renewDays)*day
	members := p.Dict("members")
	if len(members) == 0 {
		return o, fmt.Errorf("members must name at least one member and its host names or addresses")
	}
	for name, v := range members {
		if !memberName.MatchString(name) || name == "ca" {
			return o, fmt.Errorf("members: %q is not a member name (1-63 letters, digits, '.', '_' or '-'; not \"ca\")", name)
		}
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return o, fmt.Errorf("members[%s] must be a non-empty list of host names or addresses", name)
		}
		for _, x := range list {
			s, ok := x.(string)
			if !ok || s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '/' || r == '\\' }) {
				return o, fmt.Errorf("members[%s]: %v is not a host name or address", name, x)
			}
			if !slices.Contains(o.members[name], s) {
				o.members[name] = append(o.members[name], s)
			}
		}
	}
	return o, nil
}

// names are the members in a stable order.
func (o options) names() []string {
	n := make([]string, 0, len(o.members))
	for k := range o.members {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}
