package pgautoctl

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"pgafha/internal/atomicfile"
)

// PassEntry is one line of a libpq password file. pg_autoctl, pg_basebackup
// and the walreceiver all read the postgres user's ~/.pgpass, so passwords
// kept there never enter pg_autoctl's world-readable config or a URI.
type PassEntry struct {
	Host, Port, DB, User, Password string
}

// CheckPgpassValue refuses a value that a ~/.pgpass line cannot hold (NUL
// or a line break: escaping covers only ':' and '\'); option names it.
func CheckPgpassValue(option, v string) error {
	if strings.ContainsAny(v, "\x00\r\n") {
		return fmt.Errorf("%s must not contain NUL or line breaks (it is stored in ~/.pgpass)", option)
	}
	return nil
}

func pgpassEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}

func (e PassEntry) key() string {
	return strings.Join([]string{pgpassEscape(e.Host), pgpassEscape(e.Port), pgpassEscape(e.DB), pgpassEscape(e.User)}, ":")
}

func (e PassEntry) line() string { return e.key() + ":" + pgpassEscape(e.Password) }

// lineKey returns the first four fields of a .pgpass line as written, or ""
// for comments and malformed lines.
func lineKey(line string) string {
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		return ""
	}
	if c := colons(line); len(c) >= 4 {
		return line[:c[3]]
	}
	return ""
}

// colons returns the offsets of the unescaped ':' of a .pgpass line.
func colons(line string) []int {
	var at []int
	escaped := false
	for i, r := range line {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == ':':
			at = append(at, i)
		}
	}
	return at
}

// MergePgpass puts entries first in content (libpq uses the first matching
// line, so an older wildcard line cannot shadow them), drops older lines
// with the same host:port:db:user, and keeps every other line as it was,
// except the lines of ownUsers: for them entries are the whole list.
func MergePgpass(content string, entries []PassEntry, ownUsers ...string) string {
	ours := map[string]bool{}
	var out []string
	for _, e := range entries {
		ours[e.key()] = true
		out = append(out, e.line())
	}
	for _, l := range strings.Split(strings.TrimRight(content, "\n"), "\n") {
		k := lineKey(l)
		if l == "" || ours[k] || (k != "" && slices.Contains(ownUsers, lineUser(k))) {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}

// lineUser returns the user field of a lineKey, unescaped.
func lineUser(key string) string {
	c := colons(key)
	if len(c) < 3 {
		return ""
	}
	return strings.NewReplacer(`\:`, `:`, `\\`, `\`).Replace(key[c[2]+1:])
}

// PgpassPath is the runner user's password file.
func (r *Runner) PgpassPath() string { return filepath.Join(r.Home, ".pgpass") }

// EnsurePgpass merges entries into the user's ~/.pgpass (MergePgpass), mode
// 0600 (libpq ignores a file others can read). It reports whether the file
// changed; with dryRun it only reports.
func (r *Runner) EnsurePgpass(entries []PassEntry, dryRun bool, ownUsers ...string) (bool, error) {
	path := r.PgpassPath()
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	want := MergePgpass(string(old), entries, ownUsers...)
	fi, statErr := os.Stat(path)
	modeOK := statErr == nil && fi.Mode().Perm() == 0o600
	if want == string(old) && modeOK {
		return false, nil
	}
	if dryRun {
		return true, nil
	}
	if err := atomicfile.Write(path, []byte(want), 0o600); err != nil {
		return false, err
	}
	return true, nil
}
