package pgsettings

import (
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

var (
	sharedBuffers = Meta{Name: "shared_buffers", Vartype: "integer", Unit: "8kB", Context: "postmaster", Min: f(16), Max: f(1073741823)}
	workMem       = Meta{Name: "work_mem", Vartype: "integer", Unit: "kB", Context: "user", Min: f(64), Max: f(2147483647)}
	ckptTimeout   = Meta{Name: "checkpoint_timeout", Vartype: "integer", Unit: "s", Context: "sighup", Min: f(30), Max: f(86400)}
	ckptTarget    = Meta{Name: "checkpoint_completion_target", Vartype: "real", Context: "sighup", Min: f(0), Max: f(1)}
	logStatement  = Meta{Name: "log_statement", Vartype: "enum", Context: "superuser", EnumVals: []string{"none", "ddl", "mod", "all"}}
	hotFeedback   = Meta{Name: "hot_standby_feedback", Vartype: "bool", Context: "sighup"}
	appName       = Meta{Name: "application_name", Vartype: "string", Context: "user"}
)

func TestNormalizeReadsValuesAsTheServerDoes(t *testing.T) {
	cases := []struct {
		meta     Meta
		in, want string
	}{
		{sharedBuffers, "256MB", "32768"},
		{sharedBuffers, "1GB", "131072"},
		{sharedBuffers, "16384", "16384"},
		{workMem, "4MB", "4096"},
		{workMem, " 64kB ", "64"},
		{ckptTimeout, "5min", "300"},
		{ckptTimeout, "90", "90"},
		{ckptTarget, "0.9", "0.9"},
		{logStatement, "DDL", "ddl"},
		{hotFeedback, "true", "on"},
		{hotFeedback, "0", "off"},
		{appName, "Billing App", "Billing App"},
		{Meta{Vartype: "integer", Unit: "ms", Min: f(-1), Max: f(2147483647)}, "-1", "-1"},
		{Meta{Vartype: "integer", Unit: "ms", Min: f(-1), Max: f(2147483647)}, "1.5s", "1500"},
		{Meta{Vartype: "integer", Min: f(1), Max: f(262143)}, "2147", "2147"},
	}
	for _, c := range cases {
		got, err := Normalize(c.meta, c.in)
		if err != nil || got != c.want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", c.meta.Name, c.in, got, err, c.want)
		}
	}
}

func TestNormalizeRefusesWhatTheServerRefuses(t *testing.T) {
	cases := []struct {
		meta Meta
		in   string
		why  string
	}{
		{sharedBuffers, "lots", "not a number"},
		{sharedBuffers, "256mb", `unit "mb" does not apply`},
		{sharedBuffers, "1", "outside the range 16"},
		{ckptTimeout, "5MB", `unit "MB" does not apply`},
		{ckptTarget, "1.5", "outside the range"},
		{logStatement, "everything", "not one of none, ddl, mod, all"},
		{hotFeedback, "maybe", "not a boolean"},
		{Meta{Vartype: "integer"}, "10MB", "does not apply"},
	}
	for _, c := range cases {
		_, err := Normalize(c.meta, c.in)
		if err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("Normalize(%s, %q) error = %v; want it to say %q", c.meta.Name, c.in, err, c.why)
		}
	}
}

func TestEqualComparesSpellings(t *testing.T) {
	if ok, _ := Equal(sharedBuffers, "16384", "128MB"); !ok {
		t.Error("16384 × 8kB should equal 128MB")
	}
	if ok, _ := Equal(sharedBuffers, "16384", "256MB"); ok {
		t.Error("16384 × 8kB should not equal 256MB")
	}
	if ok, _ := Equal(hotFeedback, "on", "yes"); !ok {
		t.Error("on should equal yes")
	}
}

func TestValueRendersYAMLScalars(t *testing.T) {
	cases := map[string]any{"on": true, "off": false, "120": 120, "0.9": 0.9, "64MB": "64MB", "1000000": 1e6}
	for want, in := range cases {
		if got, err := Value(in); err != nil || got != want {
			t.Errorf("Value(%v) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []any{nil, []any{1}, map[string]any{}} {
		if _, err := Value(in); err == nil {
			t.Errorf("Value(%v) accepted", in)
		}
	}
}
