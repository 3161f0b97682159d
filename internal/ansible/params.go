package ansible

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Params holds validated option values, converted to their declared types:
// string, bool, int, float64, []any, map[string]any, or nil when unset.
type Params map[string]any

// IsSet reports whether the option has a value (given or defaulted).
func (p Params) IsSet(name string) bool { return p[name] != nil }

// String returns a str option, "" when unset.
func (p Params) String(name string) string { s, _ := p[name].(string); return s }

// Bool returns a bool option, false when unset.
func (p Params) Bool(name string) bool { b, _ := p[name].(bool); return b }

// Int returns an int option, 0 when unset.
func (p Params) Int(name string) int { i, _ := p[name].(int); return i }

// Float returns a float option, 0 when unset.
func (p Params) Float(name string) float64 { f, _ := p[name].(float64); return f }

// Dict returns a dict option, nil when unset.
func (p Params) Dict(name string) map[string]any { d, _ := p[name].(map[string]any); return d }

// List returns a list option, nil when unset.
func (p Params) List(name string) []any { l, _ := p[name].([]any); return l }

// Strings returns a list option whose elements are strings.
func (p Params) Strings(name string) []string {
	var out []string
	for _, v := range p.List(name) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Duration returns an int option counted in seconds as a time.Duration.
func (p Params) Duration(name string) time.Duration {
	return time.Duration(p.Int(name)) * time.Second
}

// Flags are the `_ansible_*` keys a module acts on; the others are ignored.
type Flags struct {
	CheckMode bool
	Diff      bool
	NoLog     bool
	Verbosity int
}

// validate checks raw args against the spec, the way Ansible's
// AnsibleModule does, and returns typed params. Error messages name the
// option and the reason; they never echo a no_log value.
func (s Spec) validateArgs(raw map[string]any) (Params, Flags, error) {
	var flags Flags
	args := map[string]any{}
	for k, v := range raw {
		if !strings.HasPrefix(k, "_ansible_") {
			args[k] = v
			continue
		}
		var err error
		switch k {
		case "_ansible_check_mode":
			flags.CheckMode, err = toBool(v)
		case "_ansible_diff":
			flags.Diff, err = toBool(v)
		case "_ansible_no_log":
			flags.NoLog, err = toBool(v)
		case "_ansible_verbosity":
			flags.Verbosity, err = toInt(v)
		}
		if err != nil {
			return nil, flags, fmt.Errorf("internal argument %s: %w", k, err)
		}
	}

	opts := s.AllOptions()
	byName := map[string]*Option{}
	for i := range opts {
		byName[opts[i].Name] = &opts[i]
		for _, a := range opts[i].Aliases {
			byName[a] = &opts[i]
		}
	}

	var unknown []string
	given := map[string]any{}
	for k, v := range args {
		o, ok := byName[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if _, dup := given[o.Name]; dup {
			return nil, flags, fmt.Errorf("option %s was given more than once (through an alias)", o.Name)
		}
		given[o.Name] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		// Worded as Ansible words it, so operators recognise it.
		msg := fmt.Sprintf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s.",
			s.Name, joinQuoted(unknown), joinQuoted(s.names()))
		return nil, flags, errors.New(msg)
	}

	var missing []string
	params := Params{}
	for _, o := range opts {
		v, ok := given[o.Name]
		if !ok || v == nil {
			if o.Required {
				missing = append(missing, o.Name)
				continue
			}
			// A copy (normalize rebuilds lists and dicts): the spec is shared,
			// and a module that edits a default must not change it for the next run.
			params[o.Name] = normalize(o.Default)
			continue
		}
		c, err := convert(v, o.Type, o.Elements)
		if err != nil {
			return nil, flags, fmt.Errorf("argument '%s' is of type %s and we were unable to convert to %s: %v",
				o.Name, kind(v), o.Type, redactErr(err, o))
		}
		if len(o.Choices) > 0 {
			if err := checkChoice(o, c); err != nil {
				return nil, flags, err
			}
		}
		params[o.Name] = c
	}
	if len(missing) > 0 {
		return nil, flags, fmt.Errorf("missing required arguments: %s", joinQuoted(missing))
	}
	return params, flags, nil
}

func redactErr(err error, o Option) string {
	if o.NoLog {
		return "(value hidden: no_log option)"
	}
	return err.Error()
}

func checkChoice(o Option, v any) error {
	vals := []any{v}
	if l, ok := v.([]any); ok {
		vals = l
	}
	for _, x := range vals {
		s := fmt.Sprint(x)
		found := false
		for _, c := range o.Choices {
			if c == s {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("value of %s must be one of: %s, got: %s", o.Name, joinQuoted(o.Choices), s)
		}
	}
	return nil
}
