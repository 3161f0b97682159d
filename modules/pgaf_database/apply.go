package main

import (
	"context"
	"fmt"
	"strings"

	"pgafha/internal/localpg"
	"pgafha/internal/scram"
)

// apply carries out the plan in dependency order and returns the part of it
// that was done, so a failure half-way still reports what changed.
func apply(ctx context.Context, s *session, w want, sn seen, p plan, addSecret func(...string)) (plan, error) {
	var done plan
	if p.dropDB {
		if _, err := s.conn.Exec(ctx, dbSQL(w, plan{dropDB: true})); err != nil {
			return done, fmt.Errorf("drop database %q (it must have no sessions): %w", w.database, err)
		}
		done.dropDB = true
	}
	if p.dropRole {
		if _, err := s.conn.Exec(ctx, "DROP ROLE "+ident(w.role)); err != nil {
			return done, fmt.Errorf("drop role %q (it must not own objects or hold privileges in any database): %w", w.role, err)
		}
		done.dropRole = true
	}
	if p.roleChanged() {
		if err := applyRole(ctx, s, w, p, addSecret); err != nil {
			return done, fmt.Errorf("%s: %w", strings.Join(p.roleActions(w, sn), "; "), err)
		}
		done.createRole, done.grantLogin, done.setPassword, done.setConnLimit = p.createRole, p.grantLogin, p.setPassword, p.setConnLimit
	}
	if p.createDB || p.setOwner {
		if _, err := s.conn.Exec(ctx, dbSQL(w, p)); err != nil {
			return done, fmt.Errorf("%s: %w", strings.Join(p.dbActions(w, sn), "; "), err)
		}
		done.createDB, done.setOwner = p.createDB, p.setOwner
	}
	return done, nil
}

// applyRole sends the one CREATE or ALTER ROLE statement, with a freshly
// salted verifier when the password changes, in a quiet transaction.
func applyRole(ctx context.Context, s *session, w want, p plan, addSecret func(...string)) error {
	var v scram.Verifier
	if p.setPassword {
		var err error
		if v, err = scram.New(w.password, s.iterations); err != nil {
			return fmt.Errorf("compute the SCRAM-SHA-256 verifier: %w", err)
		}
		addSecret(secretParts(v.String())...)
	}
	return localpg.Quietly(ctx, s.conn, roleSQL(w, p, v))
}

// secretParts is a stored secret and each piece of it worth guessing
// from, so that none of them can surface in the output on its own.
func secretParts(secret string) []string {
	out := []string{secret}
	if strings.HasPrefix(secret, "md5") && len(secret) == 35 {
		return append(out, secret[3:])
	}
	for _, part := range strings.FieldsFunc(secret, func(r rune) bool { return r == '$' || r == ':' }) {
		if len(part) >= 16 && part != secret {
			out = append(out, part)
		}
	}
	return out
}
