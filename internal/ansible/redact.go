package ansible

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"pgafha/internal/connstr"
)

// NoLogPlaceholder replaces no_log values in `invocation.module_args`, as
// Ansible does.
const NoLogPlaceholder = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

// Masked replaces a secret found anywhere else in the output.
const Masked = connstr.Masked

// Secrets is the set of strings that must never reach the output.
type Secrets struct{ values map[string]bool }

// Add registers secret values; empty and very short strings are ignored
// because masking them would mangle unrelated text (Ansible does the same).
func (s *Secrets) Add(values ...string) {
	if s.values == nil {
		s.values = map[string]bool{}
	}
	for _, v := range values {
		if len(v) < 3 {
			continue
		}
		s.values[v] = true
		// Error messages often quote or percent-encode what they echo.
		for _, form := range []string{strconv.Quote(v), url.QueryEscape(v), url.PathEscape(v)} {
			form = strings.TrimSuffix(strings.TrimPrefix(form, `"`), `"`)
			if form != v {
				s.values[form] = true
			}
		}
	}
}

// Scrub removes every registered secret and every password embedded in a
// connection string from text.
func (s *Secrets) Scrub(text string) string {
	text = connstr.Redact(text)
	// Longest first so a secret containing another is masked whole.
	vals := make([]string, 0, len(s.values))
	for v := range s.values {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	for _, v := range vals {
		text = strings.ReplaceAll(text, v, Masked)
	}
	return text
}

// scrubValue walks a result value and scrubs every string in it.
func (s *Secrets) scrubValue(v any) any {
	switch x := v.(type) {
	case string:
		return s.Scrub(x)
	case json.Number:
		// A numeric secret (a PIN, a port used as a token) is masked too.
		if s.values[x.String()] {
			return Masked
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = s.scrubValue(x[i])
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i := range x {
			out[i] = s.Scrub(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[s.Scrub(k)] = s.scrubValue(val)
		}
		return out
	}
	return v
}
