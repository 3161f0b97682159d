package ansible

import (
	"context"
	"reflect"
	"testing"
)

func TestValidationFailures(t *testing.T) {
	cases := []struct {
		name  string
		args  map[string]any
		wants []string
	}{
		{"unknown option named with the valid ones", base("bogus", "1"),
			[]string{"Unsupported parameters for (probe) module: bogus.",
				"Supported parameters include: count, enabled, extra, formation, modes, monitor_uri, pass, password, ports, profiles, ratio, settings, state, timeout, uri."}},
		{"several unknown options sorted", base("zz", 1, "aa", 2), []string{"module: aa, zz."}},
		{"unknown option wins over missing required", map[string]any{"bogus": 1}, []string{"bogus"}},
		{"int from a word", base("count", "abc"),
			[]string{"argument 'count' is of type string and we were unable to convert to int", `"abc" cannot be converted to an int`}},
		{"int from a fraction", base("count", "5.5"), []string{"'count'", "int"}},
		{"int from a JSON fraction", base("count", 5.5), []string{"'count'", "is of type number", "int"}},
		{"int from a bool", base("count", true), []string{"'count'", "is of type bool", "int"}},
		{"bool from a word", base("enabled", "maybe"), []string{"'enabled'", "bool", "not a valid boolean"}},
		{"bool from 2", base("enabled", 2), []string{"'enabled'", "bool"}},
		{"float from a word", base("ratio", "half"), []string{"'ratio'", "float"}},
		{"float nan", base("ratio", "nan"), []string{"'ratio'", "float"}},
		{"str from a dict", base("formation", map[string]any{"a": 1}), []string{"'formation'", "is of type dict", "str"}},
		{"str from a list", base("formation", []any{"a"}), []string{"'formation'", "is of type list", "str"}},
		{"list from a dict", base("profiles", map[string]any{"a": 1}), []string{"'profiles'", "list"}},
		{"list element of the wrong type", base("ports", "5432,x"), []string{"'ports'", "list", "element 1", `"x" cannot be converted to an int`}},
		{"dict from a bare word", base("settings", "nokv"), []string{"'settings'", "dict", `"nokv" is not a key=value pair`}},
		{"dict from broken JSON", base("settings", `{"a": `), []string{"'settings'", "dict", "not a valid JSON object"}},
		{"dict from a list", base("settings", []any{"a"}), []string{"'settings'", "is of type list", "dict"}},
		{"invalid choice", base("state", "gone"), []string{"value of state must be one of: present, absent, got: gone"}},
		{"invalid choice in a list", base("modes", "r,x"), []string{"value of modes must be one of: r, w, got: x"}},
		{"missing required", map[string]any{"formation": "f"}, []string{"missing required arguments: monitor_uri"}},
		{"required given as null", map[string]any{"monitor_uri": nil}, []string{"missing required arguments: monitor_uri"}},
		{"option and its alias together", base("uri", "postgres://h/y"), []string{"monitor_uri", "more than once"}},
		{"timeout not an int", base("timeout", "abc"), []string{"argument 'timeout' is of type string and we were unable to convert to int"}},
		{"timeout zero", base("timeout", 0), []string{"'timeout'", "between 1 and"}},
		{"timeout negative", base("timeout", "-5"), []string{"'timeout'", "got -5"}},
		{"timeout beyond a week", base("timeout", 1<<40), []string{"'timeout'", "between 1 and 604800"}},
		{"bad internal flag", base("_ansible_check_mode", "perhaps"), []string{"_ansible_check_mode"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFailed(t, execArgs(t, testSpec, c.args, nil), c.wants...)
		})
	}
}

func TestMissingRequiredListsAll(t *testing.T) {
	spec := Spec{Name: "two", Options: []Option{
		{Name: "b", Type: TypeStr, Required: true},
		{Name: "a", Type: TypeInt, Required: true},
	}}
	wantFailed(t, execArgs(t, spec, map[string]any{}, nil), "missing required arguments: b, a")
}

func TestNoTimeoutOptionWithoutDefaultTimeout(t *testing.T) {
	spec := Spec{Name: "quick", Options: []Option{{Name: "a", Type: TypeStr}}}
	wantFailed(t, execArgs(t, spec, map[string]any{"timeout": 5}, nil), "Unsupported parameters", "timeout", "Supported parameters include: a.")
}

// TestParams checks accepted values: conversions from the strings that
// `-a 'k=v'` produces, aliases and defaults.
func TestParams(t *testing.T) {
	defaults := Params{
		"monitor_uri": "postgres://127.0.0.1:1/x", "formation": "default", "password": nil,
		"state": "present", "enabled": true, "count": 5, "ratio": 0.5, "profiles": []any{"a"},
		"ports": nil, "modes": nil, "settings": nil, "extra": nil, "timeout": 30,
	}
	cases := []struct {
		name string
		args map[string]any
		want Params // differences from defaults
	}{
		{"defaults", base(), Params{}},
		{"null means default", base("count", nil, "enabled", nil), Params{}},
		{"alias", map[string]any{"uri": "postgres://h/y", "pass": "pw"}, Params{"monitor_uri": "postgres://h/y", "password": "pw"}},
		{"bool yes", base("enabled", "yes"), Params{"enabled": true}},
		{"bool no", base("enabled", "no"), Params{"enabled": false}},
		{"bool true", base("enabled", "true"), Params{"enabled": true}},
		{"bool True padded", base("enabled", " True "), Params{"enabled": true}},
		{"bool on", base("enabled", "on"), Params{"enabled": true}},
		{"bool off", base("enabled", "off"), Params{"enabled": false}},
		{"bool 1", base("enabled", "1"), Params{"enabled": true}},
		{"bool 0", base("enabled", "0"), Params{"enabled": false}},
		{"bool y", base("enabled", "y"), Params{"enabled": true}},
		{"bool JSON false", base("enabled", false), Params{"enabled": false}},
		{"bool JSON 1", base("enabled", 1), Params{"enabled": true}},
		{"bool JSON 0.0", base("enabled", 0.0), Params{"enabled": false}},
		{"int 5", base("count", "5"), Params{"count": 5}},
		{"int padded", base("count", " 7 "), Params{"count": 7}},
		{"int negative", base("count", "-3"), Params{"count": -3}},
		{"int 5.0", base("count", "5.0"), Params{"count": 5}},
		{"int JSON", base("count", 9), Params{"count": 9}},
		{"int JSON 5.0", base("count", 5.0), Params{"count": 5}},
		{"float 5", base("ratio", "5"), Params{"ratio": 5.0}},
		{"float 5.0", base("ratio", "5.0"), Params{"ratio": 5.0}},
		{"float 2.5", base("ratio", "2.5"), Params{"ratio": 2.5}},
		{"float JSON int", base("ratio", 3), Params{"ratio": 3.0}},
		{"str from number", base("formation", 42), Params{"formation": "42"}},
		{"str from bool", base("formation", true), Params{"formation": "true"}},
		{"list a,b", base("profiles", "a,b"), Params{"profiles": []any{"a", "b"}}},
		{"list trimmed", base("profiles", "a, b ,c"), Params{"profiles": []any{"a", "b", "c"}}},
		{"list empty string", base("profiles", ""), Params{"profiles": []any{}}},
		{"list JSON", base("profiles", []any{"x", "y"}), Params{"profiles": []any{"x", "y"}}},
		{"list of str from numbers", base("profiles", []any{1, 2.5}), Params{"profiles": []any{"1", "2.5"}}},
		{"list from a scalar", base("ports", 5432), Params{"ports": []any{5432}}},
		{"list of int from a string", base("ports", "5432, 5433"), Params{"ports": []any{5432, 5433}}},
		{"list choices", base("modes", "r,w"), Params{"modes": []any{"r", "w"}}},
		{"dict k=v k2=v2", base("settings", "k=v k2=v2"), Params{"settings": map[string]any{"k": "v", "k2": "v2"}}},
		{"dict k=v,k2=v2", base("settings", "k=v,k2=v2"), Params{"settings": map[string]any{"k": "v", "k2": "v2"}}},
		{"dict value with =", base("settings", "opts=a=b"), Params{"settings": map[string]any{"opts": "a=b"}}},
		{"dict JSON string", base("settings", `{"a": 1, "b": {"c": [true, "d"]}}`),
			Params{"settings": map[string]any{"a": int64(1), "b": map[string]any{"c": []any{true, "d"}}}}},
		{"dict JSON", base("settings", map[string]any{"n": 2.5}), Params{"settings": map[string]any{"n": 2.5}}},
		{"dict empty string", base("settings", ""), Params{"settings": map[string]any{}}},
		{"raw keeps shape", base("extra", []any{1, "a"}), Params{"extra": []any{int64(1), "a"}}},
		{"choice", base("state", "absent"), Params{"state": "absent"}},
		{"timeout", base("timeout", "12"), Params{"timeout": 12}},
		{"other _ansible_ keys ignored", base("_ansible_version", "2.14.18", "_ansible_tmpdir", "/tmp/x", "_ansible_whatever", 1), Params{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := Params{}
			for k, v := range defaults {
				want[k] = v
			}
			for k, v := range c.want {
				want[k] = v
			}
			var got Params
			o := execArgs(t, testSpec, c.args, func(_ context.Context, m *Module) error {
				got = m.Params
				return nil
			})
			if o.failed() {
				t.Fatalf("unexpected failure: %s", o.msg())
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("params\n got  %#v\n want %#v", got, want)
			}
		})
	}
}

func TestParamsGetters(t *testing.T) {
	p := Params{"s": "x", "b": true, "i": 3, "f": 1.5, "d": map[string]any{"k": "v"},
		"l": []any{"a", 1, "b"}, "n": nil}
	if p.String("s") != "x" || !p.Bool("b") || p.Int("i") != 3 || p.Float("f") != 1.5 ||
		p.Dict("d")["k"] != "v" || len(p.List("l")) != 3 || p.Duration("i").Seconds() != 3 {
		t.Errorf("getters returned wrong values for %v", p)
	}
	if got := p.Strings("l"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Strings = %v", got)
	}
	if p.IsSet("n") || p.IsSet("missing") || !p.IsSet("s") {
		t.Error("IsSet wrong")
	}
	if p.String("i") != "" || p.Int("s") != 0 || p.Dict("l") != nil || p.List("missing") != nil {
		t.Error("getters must return zero values for other types")
	}
}

// A module that edits a default list must not change the next run's default.
func TestDefaultsAreCopied(t *testing.T) {
	for range 2 {
		o := execArgs(t, testSpec, base(), func(_ context.Context, m *Module) error {
			if got := m.Params.Strings("profiles"); !reflect.DeepEqual(got, []string{"a"}) {
				t.Errorf("default profiles = %v", got)
			}
			m.Params.List("profiles")[0] = "mutated"
			return nil
		})
		if o.failed() {
			t.Fatal(o.msg())
		}
	}
}

func TestSpecMistakesFailCleanly(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		want string
	}{
		{"duplicate name", Spec{Name: "x", Options: []Option{{Name: "a", Type: TypeStr}, {Name: "a", Type: TypeInt}}}, `option "a" twice`},
		{"alias clash", Spec{Name: "x", Options: []Option{{Name: "a", Type: TypeStr}, {Name: "b", Type: TypeStr, Aliases: []string{"a"}}}}, `option "a" twice`},
		{"unknown type", Spec{Name: "x", Options: []Option{{Name: "a", Type: "string"}}}, `unknown type "string"`},
		{"required with default", Spec{Name: "x", Options: []Option{{Name: "a", Type: TypeStr, Required: true, Default: "d"}}}, "required and has a default"},
		{"default of wrong Go type", Spec{Name: "x", Options: []Option{{Name: "a", Type: TypeInt, Default: int64(5)}}}, "Go type int64, not int"},
		{"list default not []any", Spec{Name: "x", Options: []Option{{Name: "a", Type: TypeList, Default: []string{"a"}}}}, "Go type []string"},
		{"default outside choices", Spec{Name: "x", Options: []Option{{Name: "a", Type: TypeStr, Default: "c", Choices: []string{"a", "b"}}}}, "must be one of: a, b"},
		{"elements on a str", Spec{Name: "x", Options: []Option{{Name: "a", Type: TypeStr, Elements: TypeInt}}}, "cannot have elements"},
		{"unknown elements", Spec{Name: "x", Options: []Option{{Name: "a", Type: TypeList, Elements: "number"}}}, "cannot have elements"},
		{"timeout redeclared as str", Spec{Name: "x", DefaultTimeout: 5, Options: []Option{{Name: "timeout", Type: TypeStr}}}, "must be of type int"},
		{"timeout redeclared twice via alias", Spec{Name: "x", DefaultTimeout: 5, Options: []Option{{Name: "t", Type: TypeInt, Aliases: []string{"timeout"}}}}, `option "timeout" twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFailed(t, execArgs(t, c.spec, map[string]any{}, nil), "module spec", c.want)
		})
	}
}

func TestRedeclaredIntTimeoutIsUsed(t *testing.T) {
	spec := Spec{Name: "x", DefaultTimeout: 5, Options: []Option{{Name: "timeout", Type: TypeInt, Default: 7}}}
	o := execArgs(t, spec, map[string]any{}, func(ctx context.Context, m *Module) error {
		if m.Params.Int("timeout") != 7 {
			t.Errorf("timeout = %d", m.Params.Int("timeout"))
		}
		return nil
	})
	if o.failed() {
		t.Fatal(o.msg())
	}
}
