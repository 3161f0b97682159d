// Package connstr finds and masks the passwords in PostgreSQL connection
// strings (URIs and libpq keyword/value strings), for every message and
// result that may echo one. It is a leaf: the module protocol and the
// monitor client both use it.
package connstr

import (
	"net/url"
	"regexp"
	"strings"
)

// Masked replaces a password.
const Masked = "********"

var (
	// scheme://user:password@host — libpq and pgx URIs, also multi-host
	// ones. The password runs to the last '@' of the authority, as net/url
	// (hence pgx) parses it, so an unescaped '@' in it is masked too.
	uriPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)([^/?#\s]*)(@)`)
	// password= in a libpq keyword/value string or a URI query, not inside
	// another word (db_password= is not a connection-string keyword).
	kvPasswordKey = regexp.MustCompile(`(?i)\b(?:ssl)?password\s*=\s*`)
)

// Redact masks the password of every connection string in text,
// whether in URI userinfo or as a password= keyword.
func Redact(text string) string {
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

// Passwords extracts the passwords embedded in a connection string,
// so they can also be masked where they appear on their own (e.g. an error
// message that echoes the bare password).
func Passwords(text string) []string {
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
