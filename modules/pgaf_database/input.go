package main

import (
	"fmt"
	"strings"

	"pgafha/internal/ansible"
)

// want is what the task asks for, validated before anything connects.
type want struct {
	role, database string
	password       string
	connLimit      *int // nil: leave the role's limit as it is
	present        bool
}

// PostgreSQL's NAMEDATALEN-1: longer identifiers are silently truncated,
// and a truncated name would never match what the task asked for.
const maxIdentifierBytes = 63

func wanted(p ansible.Params) (want, error) {
	w := want{
		role:     p.String("role"),
		database: p.String("database"),
		password: p.String("password"),
		present:  p.String("state") == "present",
	}
	if err := checkIdentifier("role", w.role); err != nil {
		return w, err
	}
	if err := checkRoleName(w.role); err != nil {
		return w, err
	}
	if err := checkIdentifier("database", w.database); err != nil {
		return w, err
	}
	if p.IsSet("connection_limit") {
		n := p.Int("connection_limit")
		if n < -1 {
			return w, fmt.Errorf("option connection_limit must be -1 (no limit) or a number of connections >= 0, got %d", n)
		}
		w.connLimit = &n
	}
	if w.present && w.password == "" {
		return w, fmt.Errorf("option password is required and must not be empty when state=present")
	}
	return w, nil
}

func checkIdentifier(option, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("option %s must not be empty", option)
	case len(name) > maxIdentifierBytes:
		return fmt.Errorf("option %s is %d bytes long; PostgreSQL names are at most %d bytes (it would truncate the name)",
			option, len(name), maxIdentifierBytes)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("option %s must not contain a NUL character", option)
	}
	return nil
}

// checkRoleName refuses what CREATE ROLE refuses, so that --check predicts
// a failure instead of a change.
func checkRoleName(name string) error {
	if name == "public" || name == "none" {
		return fmt.Errorf("option role: %q is a reserved role name in PostgreSQL", name)
	}
	if strings.HasPrefix(name, "pg_") {
		return fmt.Errorf("option role: %q starts with pg_, which PostgreSQL reserves for its own roles", name)
	}
	return nil
}
