package scram

//go:generate sh -c "python3 gen_tables.py > saslprep_tables.go"

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize prepares a password the way PostgreSQL does before hashing it
// (RFC 4013 SASLprep, as in its pg_saslprep): a verifier is only usable if
// the server and every libpq client derive the same bytes from the same
// password. Where SASLprep rejects the password (invalid UTF-8, a prohibited
// or unassigned character, a bidi violation), PostgreSQL falls back to the
// raw bytes, and so does this.
func Normalize(password string) string {
	if isASCII(password) {
		return password
	}
	if !utf8.ValidString(password) {
		return password
	}
	var mapped strings.Builder
	for _, r := range password {
		switch {
		case unicode.Is(mapToNothing, r):
		case unicode.Is(nonASCIISpace, r):
			mapped.WriteByte(' ')
		default:
			mapped.WriteRune(r)
		}
	}
	out := norm.NFKC.String(mapped.String())
	if !allowed(out) {
		return password
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// allowed applies SASLprep's prohibition and bidirectional rules to a
// mapped, normalized string.
func allowed(s string) bool {
	hasRandAL, hasL := false, false
	for _, r := range s {
		if unicode.Is(prohibited, r) {
			return false
		}
		hasRandAL = hasRandAL || unicode.Is(randALCat, r)
		hasL = hasL || unicode.Is(lCat, r)
	}
	if !hasRandAL {
		return true
	}
	// A right-to-left string must not mix in left-to-right characters and
	// must start and end with a right-to-left one (RFC 3454 section 6).
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return !hasL && unicode.Is(randALCat, first) && unicode.Is(randALCat, last)
}
