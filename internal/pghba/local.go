package pghba

import (
	"fmt"
	"slices"
	"strings"
)

// IdentMap is the pg_ident.conf map the local rules use: it names the OS
// user that owns the instance and the database roles it may log in as.
const IdentMap = "pgafha"

// Loopback addresses initdb writes rules for.
var loopback = []string{"127.0.0.1/32", "::1/128"}

// NoTrust replaces initdb's trust rules for local and loopback connections
// (every database, every user, replication too): over the Unix socket only
// osUser gets in, as one of roles (peer, through IdentMap), so root or any
// other account in the container is refused; over loopback a password is
// needed (scram-sha-256). It adds the map lines osUser needs (empty or
// repeated roles are skipped). Rules
// pg_autoctl or the operator wrote are left alone, as are comments.
func NoTrust(osUser string, roles []string) Edit {
	return func(f *Files) bool {
		hba, hbaChanged := replaceTrust(f.HBA)
		ident, identChanged := ensureIdent(f.Ident, osUser, roles)
		f.HBA, f.Ident = hba, ident
		return hbaChanged || identChanged
	}
}

// replaceTrust rewrites the lines `local DB all trust` and
// `host DB all LOOPBACK trust`, DB being all or replication.
func replaceTrust(content string) (string, bool) {
	lines := strings.Split(content, "\n")
	changed := false
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) < 4 || f[len(f)-1] != "trust" || (f[1] != "all" && f[1] != "replication") || f[2] != "all" {
			continue
		}
		// initdb's column layout, so the file stays readable.
		switch {
		case f[0] == "local" && len(f) == 4:
			lines[i] = fmt.Sprintf("%-7s %-15s %-15s %-23s %s", "local", f[1], "all", "", "peer map="+IdentMap)
		case f[0] == "host" && len(f) == 5 && slices.Contains(loopback, f[3]):
			lines[i] = fmt.Sprintf("%-7s %-15s %-15s %-23s %s", "host", f[1], "all", f[3], "scram-sha-256")
		default:
			continue
		}
		changed = true
	}
	return strings.Join(lines, "\n"), changed
}

// ensureIdent appends the map lines `IdentMap osUser role` that are
// missing, one per role, in order.
func ensureIdent(content, osUser string, roles []string) (string, bool) {
	have := map[string]bool{}
	for _, l := range strings.Split(content, "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == IdentMap {
			have[f[1]+" "+f[2]] = true
		}
	}
	var add []string
	for _, r := range roles {
		if r != "" && !have[osUser+" "+r] {
			add = append(add, IdentMap+" "+osUser+" "+r)
			have[osUser+" "+r] = true
		}
	}
	if len(add) == 0 {
		return content, false
	}
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	return content + strings.Join(add, "\n") + "\n", true
}
