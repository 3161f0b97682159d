// Package pgsettings compares the PostgreSQL settings an operator asks for
// with what an instance runs, and says per setting what it takes to get
// there: nothing, ALTER SYSTEM and a reload, or a restart.
package pgsettings

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Value renders an option value (a string, number or boolean from YAML) as
// the text ALTER SYSTEM is given.
func Value(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return "on", nil
		}
		return "off", nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", fmt.Errorf("no value (null): give the value to set")
	default:
		return "", fmt.Errorf("a %T cannot be a setting's value: give a string, a number or a boolean", v)
	}
}

// Meta is what pg_settings says about a setting, enough to read a value
// the way the server would.
type Meta struct {
	Name    string
	Vartype string // bool, integer, real, string, enum
	Unit    string // "", "8kB", "kB", "MB", "ms", "s", "min", …
	Context string
	// EnumVals are the accepted values of an enum; Min and Max bound numbers.
	EnumVals []string
	Min, Max *float64
}

var numberWithUnit = regexp.MustCompile(`^\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*$`)

// memory and time units in bytes and microseconds, as PostgreSQL spells them
// (case matters: "mb" is refused by the server as well).
var memoryUnits = map[string]float64{"B": 1, "kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
var timeUnits = map[string]float64{"us": 1, "ms": 1e3, "s": 1e6, "min": 60e6, "h": 3600e6, "d": 86400e6}

// baseUnit returns the size of the setting's unit in bytes or
// microseconds, and the table its value's suffixes come from.
func baseUnit(unit string) (float64, map[string]float64, error) {
	if unit == "" {
		return 1, nil, nil
	}
	m := numberWithUnit.FindStringSubmatch(unit)
	count, suffix := 1.0, unit
	if m != nil && m[1] != "" {
		c, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, nil, err
		}
		count, suffix = c, m[2]
	}
	if f, ok := memoryUnits[suffix]; ok {
		return count * f, memoryUnits, nil
	}
	if f, ok := timeUnits[suffix]; ok {
		return count * f, timeUnits, nil
	}
	return 0, nil, fmt.Errorf("unknown unit %q", unit)
}

// Normalize reads value as the server reads it for the setting meta and
// returns it in the form pg_settings.setting shows, so that two spellings
// of one value ("1GB", "1024MB", "131072" for shared_buffers) compare equal.
// A value the server would refuse is an error that says why.
func Normalize(meta Meta, value string) (string, error) {
	switch meta.Vartype {
	case "bool":
		return normalizeBool(value)
	case "enum":
		for _, e := range meta.EnumVals {
			if strings.EqualFold(strings.TrimSpace(value), e) {
				return e, nil
			}
		}
		return "", fmt.Errorf("%q is not one of %s", value, strings.Join(meta.EnumVals, ", "))
	case "integer", "real":
		return normalizeNumber(meta, value)
	default:
		return value, nil
	}
}

func normalizeBool(value string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "on", "true", "yes", "1", "t", "y":
		return "on", nil
	case "off", "false", "no", "0", "f", "n":
		return "off", nil
	}
	return "", fmt.Errorf("%q is not a boolean (on/off, true/false, yes/no, 1/0)", value)
}

func normalizeNumber(meta Meta, value string) (string, error) {
	m := numberWithUnit.FindStringSubmatch(value)
	if m == nil {
		return "", fmt.Errorf("%q is not a number with an optional unit", value)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return "", fmt.Errorf("%q is not a number: %w", value, err)
	}
	if m[2] != "" {
		base, table, err := baseUnit(meta.Unit)
		if err != nil {
			return "", err
		}
		f, ok := table[m[2]]
		if table == nil || !ok {
			return "", fmt.Errorf("%q: unit %q does not apply (this setting's unit is %q)", value, m[2], meta.Unit)
		}
		n = n * f / base
	}
	integer := meta.Vartype == "integer"
	if integer {
		// PostgreSQL rounds a value given in another unit to the nearest
		// whole number of its own unit.
		n = math.Round(n)
	}
	if meta.Min != nil && n < *meta.Min || meta.Max != nil && n > *meta.Max {
		return "", fmt.Errorf("%q is outside the range %s … %s%s", value, formatNumber(deref(meta.Min), integer), formatNumber(deref(meta.Max), integer), unitSuffix(meta.Unit))
	}
	return formatNumber(n, integer), nil
}

// formatNumber prints n as pg_settings does: integers in full, reals
// like C's %g.
func formatNumber(n float64, integer bool) string {
	if integer && !math.IsNaN(n) {
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatFloat(n, 'g', 6, 64)
}

// Equal reports whether two spellings of a value mean the same for meta
// (current is typically pg_settings.setting, want the operator's value).
func Equal(meta Meta, current, want string) (bool, error) {
	w, err := Normalize(meta, want)
	if err != nil {
		return false, err
	}
	c, err := Normalize(meta, current)
	if err != nil {
		// A current value this package cannot read differs from any wanted one.
		return false, nil
	}
	return c == w, nil
}

func unitSuffix(u string) string {
	if u == "" {
		return ""
	}
	return " (unit " + u + ")"
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// Lower reports whether numeric value a is below b, both read for meta.
func Lower(meta Meta, a, b string) (bool, error) {
	na, err := Normalize(meta, a)
	if err != nil {
		return false, err
	}
	nb, err := Normalize(meta, b)
	if err != nil {
		return false, err
	}
	fa, errA := strconv.ParseFloat(na, 64)
	fb, errB := strconv.ParseFloat(nb, 64)
	if errA != nil || errB != nil {
		return false, fmt.Errorf("%q and %q are not both numbers", a, b)
	}
	return fa < fb, nil
}
