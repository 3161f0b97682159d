package main

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// gucPrefix is the namespace of the monitor's failure-detection settings.
const gucPrefix = "pgautofailover."

// guc is one row of pg_settings.
type guc struct {
	Name, Setting, Unit, VarType, Min, Max, Context string
}

// settingChange is one setting whose value must change.
type settingChange struct {
	Name, From, To string
}

// planSettings compares the wanted settings with pg_settings and returns
// the changes, in name order. Every wanted value is validated first, so a
// bad one fails the task before anything is applied.
func planSettings(want map[string]any, current map[string]guc) ([]settingChange, error) {
	var changes []settingChange
	names := slices.Sorted(maps.Keys(want))
	for _, key := range names {
		name := strings.ToLower(key)
		if !strings.HasPrefix(name, gucPrefix) {
			name = gucPrefix + name
		}
		g, ok := current[name]
		if !ok {
			return nil, fmt.Errorf("settings: %q is not a setting of the pgautofailover extension (known: %s)", key, strings.Join(knownNames(current), ", "))
		}
		to, err := normalizeValue(g, want[key])
		if err != nil {
			return nil, fmt.Errorf("settings: %s: %w", name, err)
		}
		if to != g.Setting {
			changes = append(changes, settingChange{Name: name, From: g.Setting, To: to})
		}
	}
	return changes, nil
}

func knownNames(current map[string]guc) []string {
	out := make([]string, 0, len(current))
	for n := range current {
		out = append(out, strings.TrimPrefix(n, gucPrefix))
	}
	sort.Strings(out)
	return out
}

var unitValue = regexp.MustCompile(`^\s*(-?[0-9]+)\s*([a-zA-Z]*)\s*$`)

// usPer converts a time unit to microseconds; PostgreSQL's GUC parser
// accepts the same units.
var usPer = map[string]int64{"us": 1, "ms": 1000, "s": 1_000_000, "min": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}

// normalizeValue returns the wanted value in the form pg_settings.setting
// shows it (integers in the setting's base unit, booleans as on/off).
func normalizeValue(g guc, v any) (string, error) {
	switch g.VarType {
	case "integer":
		n, err := toBaseUnit(g.Unit, v)
		if err != nil {
			return "", err
		}
		lo, _ := strconv.ParseInt(g.Min, 10, 64)
		hi, _ := strconv.ParseInt(g.Max, 10, 64)
		if g.Min != "" && g.Max != "" && (n < lo || n > hi) {
			return "", fmt.Errorf("%d%s is outside the allowed range %s..%s%s", n, g.Unit, g.Min, g.Max, g.Unit)
		}
		return strconv.FormatInt(n, 10), nil
	case "bool":
		switch strings.ToLower(fmt.Sprint(v)) {
		case "true", "on", "yes", "1":
			return "on", nil
		case "false", "off", "no", "0":
			return "off", nil
		}
		return "", fmt.Errorf("%q is not a boolean", fmt.Sprint(v))
	}
	return fmt.Sprint(v), nil
}

func toBaseUnit(unit string, v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, fmt.Errorf("%v is not an integer", x)
		}
		return int64(x), nil
	case string:
		m := unitValue.FindStringSubmatch(x)
		if m == nil {
			return 0, fmt.Errorf("%q is not an integer with an optional unit (us, ms, s, min, h, d)", x)
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q: %w", x, err)
		}
		if m[2] == "" {
			return n, nil
		}
		from, ok := usPer[m[2]]
		to, ok2 := usPer[unit]
		if !ok || !ok2 {
			return 0, fmt.Errorf("%q: unit %q does not apply to this setting (its unit is %q)", x, m[2], unit)
		}
		if (n*from)%to != 0 {
			return 0, fmt.Errorf("%q is not a whole number of %s", x, unit)
		}
		return n * from / to, nil
	}
	return 0, fmt.Errorf("%v is not an integer", v)
}
