package ansible

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// NoLogPlaceholder replaces no_log values in `invocation.module_args`, as
// Ansible does.
const NoLogPlaceholder = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

// Masked replaces a secret found anywhere else in the output.
const Masked = "********"

// Secrets is the set of strings that must never reach the output.
type Secrets struct{ values map[string]bool }

// Add registers secret values; empty and very short strings are ignored
// because masking them would mangle unrelated text (Ansible does the same).
func (s *Secrets) Add(values ...string) {
	if s.values == nil {
		s.values = map[string]bool{}
	}
	for _, v := range values {
		if len(v) >= 3 {
			s.values[v] = true
		}
	}
}

// Scrub removes every registered secret and every password embedded in a
// connection string from text.
func (s *Secrets) Scrub(text string) string {
	text = RedactConnString(text)
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

var (
	// scheme://user:password@host — libpq and pgx URIs, also multi-host ones.
	uriPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s]*)(@)`)
	// password=... in a libpq keyword/value string or a URI query.
	kvPassword = regexp.MustCompile(`(?i)((?:^|[\s?&;])(?:password|sslpassword)\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&;]*)`)
)

// RedactConnString masks the password of every connection string in text,
// whether in URI userinfo or as a password= keyword.
func RedactConnString(text string) string {
	text = uriPassword.ReplaceAllString(text, "${1}"+Masked+"${3}")
	return kvPassword.ReplaceAllString(text, "${1}"+Masked)
}

// connStringPasswords extracts the passwords embedded in a connection string,
// so they can also be masked where they appear on their own (e.g. an error
// message that echoes the bare password).
func connStringPasswords(text string) []string {
	var out []string
	for _, m := range uriPassword.FindAllStringSubmatch(text, -1) {
		if p, err := url.PathUnescape(m[2]); err == nil {
			out = append(out, p)
		}
		out = append(out, m[2])
	}
	for _, m := range kvPassword.FindAllStringSubmatch(text, -1) {
		out = append(out, strings.Trim(m[2], "'"))
	}
	return out
}
