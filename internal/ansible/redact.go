package ansible

import (
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-json"
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

var (
	// scheme://user:password@host — libpq and pgx URIs, also multi-host
	// ones. The password runs to the last '@' of the authority, as net/url
	// (hence pgx) parses it, so an unescaped '@' in it is masked too.
	uriPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)([^/?#\s]*)(@)`)
	// password= in a libpq keyword/value string or a URI query, not inside
	// another word (db_password= is not a connection-string keyword).
	kvPasswordKey = regexp.MustCompile(`(?i)\b(?:ssl)?password\s*=\s*`)
)

// RedactConnString masks the password of every connection string in text,
// whether in URI userinfo or as a password= keyword.
func RedactConnString(text string) string {
	text = uriPassword.ReplaceAllString(text, "${1}"+Masked+"${3}")
	var b strings.Builder
	last := 0
	for _, v := range kvPasswordValues(text) {
		b.WriteString(text[last:v.start])
		b.WriteString(Masked)
		last = v.end
	}
	b.WriteString(text[last:])
	return b.String()
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
	for _, v := range kvPasswordValues(text) {
		out = append(out, v.raw, v.value)
	}
	return out
}

type kvValue struct {
	start, end int    // the value's span in the text, quotes included
	raw, value string // as written, and as libpq or the URI parser reads it
}

// kvPasswordValues finds password values the way their parser delimits
// them: a URI query value ends at '&' or '#' and is percent-encoded; a libpq
// value is either single-quoted with backslash escapes or runs to the next
// whitespace, so '&', ';' and quotes inside it stay part of the secret.
func kvPasswordValues(text string) []kvValue {
	var out []kvValue
	for _, m := range kvPasswordKey.FindAllStringIndex(text, -1) {
		start, end := m[1], m[1]
		if len(out) > 0 && start < out[len(out)-1].end {
			continue // inside the previous value
		}
		inQuery := m[0] > 0 && (text[m[0]-1] == '?' || text[m[0]-1] == '&')
		switch {
		case inQuery:
			for end < len(text) && !strings.ContainsRune("&# \t\r\n", rune(text[end])) {
				end++
			}
		case end < len(text) && text[end] == '\'':
			end++
			for end < len(text) && text[end] != '\'' {
				if text[end] == '\\' && end+1 < len(text) {
					end++
				}
				end++
			}
			if end < len(text) {
				end++ // closing quote
			}
		default:
			for end < len(text) && !isSpace(text[end]) {
				end++
			}
		}
		if end == start {
			continue
		}
		raw := text[start:end]
		value := raw
		if inQuery {
			if u, err := url.QueryUnescape(raw); err == nil {
				value = u
			}
		} else if raw[0] == '\'' {
			value = unescapeLibpq.Replace(strings.TrimSuffix(raw[1:], "'"))
			raw = strings.TrimSuffix(raw[1:], "'")
		}
		out = append(out, kvValue{start: start, end: end, raw: raw, value: value})
	}
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

var unescapeLibpq = strings.NewReplacer(`\\`, `\`, `\'`, `'`)
