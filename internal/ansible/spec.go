// Package ansible implements the Ansible binary-module protocol: it reads the
// JSON args file Ansible passes as argv[1], validates the options a module
// declares the way Ansible's own module framework does, and writes exactly one
// JSON result object on stdout, with every secret removed.
package ansible

import (
	"fmt"
	"sort"
	"strings"
)

// Type is the declared type of an option, named as Ansible names it.
type Type string

// Option types, with the conversions Ansible users expect from `-a 'k=v'`.
const (
	TypeStr   Type = "str"
	TypeBool  Type = "bool"
	TypeInt   Type = "int"
	TypeFloat Type = "float"
	TypeList  Type = "list"
	TypeDict  Type = "dict"
	TypeRaw   Type = "raw"
)

// Option declares one module option. It is the single source of truth for
// validation, redaction and the documentation check.
type Option struct {
	Name     string
	Type     Type
	Required bool
	Default  any
	Choices  []string
	// NoLog marks a secret: its value never appears in any output.
	NoLog   bool
	Aliases []string
	// Elements is the type of each list element (TypeList only).
	Elements Type
}

// Spec is what a module declares about itself.
type Spec struct {
	Name    string
	Options []Option
	// DefaultTimeout, when > 0, adds a standard `timeout` option (seconds)
	// that bounds every waiting operation through the run context.
	DefaultTimeout int
}

// TimeoutOption is the name of the option that bounds a run.
const TimeoutOption = "timeout"

// AllOptions returns the declared options plus the framework-provided ones.
func (s Spec) AllOptions() []Option {
	opts := append([]Option(nil), s.Options...)
	if s.DefaultTimeout > 0 && s.option(TimeoutOption) == nil {
		opts = append(opts, Option{Name: TimeoutOption, Type: TypeInt, Default: s.DefaultTimeout})
	}
	return opts
}

func (s Spec) option(name string) *Option {
	for i := range s.Options {
		if s.Options[i].Name == name {
			return &s.Options[i]
		}
	}
	return nil
}

// validateSpec catches declaration mistakes early; they are programming
// errors, reported as a failed result rather than a panic.
func (s Spec) validate() error {
	seen := map[string]bool{}
	for _, o := range s.AllOptions() {
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			if seen[n] {
				return fmt.Errorf("module spec declares option %q twice", n)
			}
			seen[n] = true
		}
		if !validType(o.Type) {
			return fmt.Errorf("module spec: option %q has unknown type %q", o.Name, o.Type)
		}
		if o.Required && o.Default != nil {
			return fmt.Errorf("module spec: option %q is required and has a default", o.Name)
		}
		if o.Default != nil && !defaultMatches(o.Type, o.Default) {
			return fmt.Errorf("module spec: option %q has a default of Go type %T, not %s", o.Name, o.Default, o.Type)
		}
		if o.Default != nil && len(o.Choices) > 0 {
			if err := checkChoice(o, o.Default); err != nil {
				return fmt.Errorf("module spec: default of option %q: %w", o.Name, err)
			}
		}
		if o.Elements != "" && (o.Type != TypeList || !validType(o.Elements) || o.Elements == TypeList || o.Elements == TypeDict) {
			return fmt.Errorf("module spec: option %q of type %s cannot have elements of type %q", o.Name, o.Type, o.Elements)
		}
	}
	// The run deadline is read as an int: a module redeclaring `timeout`
	// must keep that type.
	if t := s.option(TimeoutOption); s.DefaultTimeout > 0 && t != nil && t.Type != TypeInt {
		return fmt.Errorf("module spec: option %q must be of type int when DefaultTimeout is set", TimeoutOption)
	}
	return nil
}

func validType(t Type) bool {
	switch t {
	case TypeStr, TypeBool, TypeInt, TypeFloat, TypeList, TypeDict, TypeRaw:
		return true
	}
	return false
}

// names lists every accepted option name, aliases included, sorted.
func (s Spec) names() []string {
	var out []string
	for _, o := range s.AllOptions() {
		out = append(out, o.Name)
		out = append(out, o.Aliases...)
	}
	sort.Strings(out)
	return out
}

// Describe returns the options as plain data, for `--describe` (the docs check).
func (s Spec) Describe() map[string]any {
	opts := map[string]any{}
	for _, o := range s.AllOptions() {
		d := map[string]any{"type": string(o.Type), "required": o.Required}
		if o.Default != nil {
			d["default"] = o.Default
		}
		if len(o.Choices) > 0 {
			d["choices"] = o.Choices
		}
		if o.NoLog {
			d["no_log"] = true
		}
		if len(o.Aliases) > 0 {
			d["aliases"] = o.Aliases
		}
		if o.Elements != "" {
			d["elements"] = string(o.Elements)
		}
		opts[o.Name] = d
	}
	return map[string]any{"module": s.Name, "options": opts}
}

func joinQuoted(items []string) string { return strings.Join(items, ", ") }

// defaultMatches keeps declared defaults in the Go types Params getters return.
func defaultMatches(t Type, v any) bool {
	switch t {
	case TypeStr:
		_, ok := v.(string)
		return ok
	case TypeBool:
		_, ok := v.(bool)
		return ok
	case TypeInt:
		_, ok := v.(int)
		return ok
	case TypeFloat:
		_, ok := v.(float64)
		return ok
	case TypeList:
		_, ok := v.([]any)
		return ok
	case TypeDict:
		_, ok := v.(map[string]any)
		return ok
	}
	return true
}
