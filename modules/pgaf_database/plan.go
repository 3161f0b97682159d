package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"pgafha/internal/scram"
)

// plan is the decision: which changes bring the server to what was asked.
type plan struct {
	createRole   bool
	grantLogin   bool
	setPassword  bool
	setConnLimit bool
	createDB     bool
	setOwner     bool
	dropDB       bool
	dropRole     bool
}

func decide(w want, s seen) plan {
	var p plan
	if !w.present {
		p.dropDB = s.db.exists
		p.dropRole = s.role.exists
		return p
	}
	if s.role.exists {
		p.grantLogin = !s.role.login
		// An md5 hash, a missing password or anything that is not a
		// well-formed SCRAM-SHA-256 verifier for this password is replaced.
		p.setPassword = !scram.Verifies(s.role.secret, w.password)
		p.setConnLimit = w.connLimit != nil && *w.connLimit != s.role.connLimit
	} else {
		p.createRole, p.setPassword = true, true
		p.setConnLimit = w.connLimit != nil && *w.connLimit != -1
	}
	p.createDB = !s.db.exists
	p.setOwner = s.db.exists && s.db.owner != w.role
	return p
}

func (p plan) changed() bool {
	return p.roleChanged() || p.createDB || p.setOwner || p.dropDB || p.dropRole
}

func (p plan) roleChanged() bool {
	return p.createRole || p.grantLogin || p.setPassword || p.setConnLimit
}

// storage names how a role's password is kept, for the diff; never the value.
func storage(r roleState) string {
	switch {
	case !r.exists:
		return "absent"
	case r.secret == "":
		return "none"
	case strings.HasPrefix(r.secret, "SCRAM-SHA-256$"):
		return "scram-sha-256"
	case strings.HasPrefix(r.secret, "md5"):
		return "md5"
	}
	return "other"
}

var passwordWas = map[string]string{
	"scram-sha-256": "the stored one does not match",
	"md5":           "replacing an md5 hash",
	"none":          "it had none",
	"other":         "replacing a stored secret that is not a valid SCRAM-SHA-256 verifier",
}

// roleActions and dbActions describe the plan for people; they name
// objects and attributes, never a password or verifier.
func (p plan) roleActions(w want, s seen) []string {
	var out []string
	switch {
	case p.createRole:
		a := fmt.Sprintf("create role %s with LOGIN and a SCRAM-SHA-256 password", w.role)
		if p.setConnLimit {
			a += fmt.Sprintf(", connection limit %d", *w.connLimit)
		}
		return append(out, a)
	case p.dropRole:
		return append(out, "drop role "+w.role)
	}
	if p.grantLogin {
		out = append(out, "grant LOGIN to role "+w.role)
	}
	if p.setPassword {
		out = append(out, fmt.Sprintf("set a new SCRAM-SHA-256 password for role %s (%s)", w.role, passwordWas[storage(s.role)]))
	}
	if p.setConnLimit {
		out = append(out, fmt.Sprintf("set the connection limit of role %s to %d (was %d)", w.role, *w.connLimit, s.role.connLimit))
	}
	return out
}

func (p plan) dbActions(w want, s seen) []string {
	switch {
	case p.createDB:
		return []string{fmt.Sprintf("create database %s owned by %s", w.database, w.role)}
	case p.setOwner:
		return []string{fmt.Sprintf("change the owner of database %s from %s to %s", w.database, s.db.owner, w.role)}
	case p.dropDB:
		return []string{"drop database " + w.database}
	}
	return nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// roleSQL is the one CREATE or ALTER ROLE statement for the plan, "" when
// the role needs none. The verifier goes in as a literal: utility
// statements take no parameters, and its text is base64, digits, '$' and
// ':' only, so it needs no escaping.
func roleSQL(w want, p plan, v scram.Verifier) string {
	var opts []string
	if p.createRole || p.grantLogin {
		opts = append(opts, "LOGIN")
	}
	if p.setPassword {
		opts = append(opts, "PASSWORD '"+v.String()+"'")
	}
	if p.setConnLimit {
		opts = append(opts, "CONNECTION LIMIT "+strconv.Itoa(*w.connLimit))
	}
	switch {
	case p.createRole:
		return "CREATE ROLE " + ident(w.role) + " WITH " + strings.Join(opts, " ")
	case len(opts) > 0:
		return "ALTER ROLE " + ident(w.role) + " WITH " + strings.Join(opts, " ")
	}
	return ""
}

func dbSQL(w want, p plan) string {
	switch {
	case p.createDB:
		return "CREATE DATABASE " + ident(w.database) + " OWNER " + ident(w.role)
	case p.setOwner:
		return "ALTER DATABASE " + ident(w.database) + " OWNER TO " + ident(w.role)
	case p.dropDB:
		return "DROP DATABASE " + ident(w.database)
	}
	return ""
}
