package main

import (
	"strings"

	"pgafha/internal/ansible"
)

// report fills the result from a plan: predicted in check mode, carried out
// otherwise (after a failure, the part that was done).
func report(m *ansible.Module, w want, s seen, p plan, server string) {
	if w.present && s.role.superuser {
		m.Result.Warn("role " + w.role + " is a superuser; this module grants LOGIN but never removes other attributes")
	}
	acts := actions(w, s, p)
	m.Result.Changed = p.changed()
	m.Result.Msg = summary(acts, m.CheckMode())
	m.Result.Set("actions", acts)
	m.Result.Set("role", w.role)
	m.Result.Set("database", w.database)
	m.Result.Set("server", server)
	m.Result.Set("password_changed", p.setPassword)
	if w.present {
		m.Result.Set("state", "present")
		m.Result.Set("owner", w.role)
		m.Result.Set("connection_limit", connLimitAfter(w, s))
		m.Result.Set("role_created", p.createRole)
		m.Result.Set("database_created", p.createDB)
		m.Result.Set("owner_changed", p.setOwner)
	} else {
		m.Result.Set("state", "absent")
		m.Result.Set("role_dropped", p.dropRole)
		m.Result.Set("database_dropped", p.dropDB)
	}
	m.Result.SetDiff(ansible.Diff{
		Before:       map[string]any{"role": roleBefore(w, s, p), "database": dbView(w.database, s.db.exists, s.db.owner)},
		After:        map[string]any{"role": roleAfter(w, s, p), "database": dbView(w.database, w.present, w.role)},
		BeforeHeader: "pgaf_database (before)", AfterHeader: "pgaf_database (after)",
	})
}

// actions lists the steps in the order apply takes them.
func actions(w want, s seen, p plan) []string {
	out := []string{}
	if !w.present {
		out = append(out, p.dbActions(w, s)...)
		return append(out, p.roleActions(w, s)...)
	}
	out = append(out, p.roleActions(w, s)...)
	return append(out, p.dbActions(w, s)...)
}

func summary(acts []string, check bool) string {
	switch {
	case len(acts) == 0:
		return "role and database are already as requested"
	case check:
		return "would " + strings.Join(acts, "; ")
	}
	return strings.Join(acts, "; ")
}

func connLimitAfter(w want, s seen) int {
	switch {
	case w.connLimit != nil:
		return *w.connLimit
	case s.role.exists:
		return s.role.connLimit
	}
	return -1
}

// The diff shows attributes, and the password only as changed or not.
func roleBefore(w want, s seen, p plan) map[string]any {
	if !s.role.exists {
		return map[string]any{"name": w.role, "exists": false}
	}
	password := "unchanged"
	if p.setPassword {
		password = "current"
	}
	return map[string]any{"name": w.role, "exists": true, "login": s.role.login,
		"connection_limit": s.role.connLimit, "password_storage": storage(s.role), "password": password}
}

func roleAfter(w want, s seen, p plan) map[string]any {
	if !w.present {
		return map[string]any{"name": w.role, "exists": false}
	}
	password := "unchanged"
	if p.setPassword {
		password = "changed"
	}
	return map[string]any{"name": w.role, "exists": true, "login": true,
		"connection_limit": connLimitAfter(w, s), "password_storage": "scram-sha-256", "password": password}
}

func dbView(name string, exists bool, owner string) map[string]any {
	if !exists {
		return map[string]any{"name": name, "exists": false}
	}
	return map[string]any{"name": name, "exists": true, "owner": owner}
}
