package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// seen is the state of the role and the database before any change.
type seen struct {
	role roleState
	db   dbState
}

type roleState struct {
	exists    bool
	login     bool
	superuser bool
	connLimit int
	secret    string // pg_authid.rolpassword, "" when NULL or not read
}

type dbState struct {
	exists bool
	owner  string
}

func observe(ctx context.Context, s *session, w want) (seen, error) {
	var out seen
	// Only a superuser can read verifiers; without one the module could not
	// tell whether the password needs changing. Checked before the role
	// exists too, so a first run cannot succeed where the second would fail.
	if w.present && !s.superuser {
		return out, fmt.Errorf("login role %q is not a superuser: reading the stored password of role %q "+
			"(pg_authid.rolpassword) requires one, and without it this module cannot tell whether the password "+
			"must change; connect as a superuser such as postgres", s.user, w.role)
	}
	r := &out.role
	err := s.conn.QueryRow(ctx, `SELECT rolcanlogin, rolsuper, rolconnlimit FROM pg_roles WHERE rolname = $1`, w.role).
		Scan(&r.login, &r.superuser, &r.connLimit)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return out, fmt.Errorf("read role %q: %w", w.role, err)
	default:
		r.exists = true
	}

	if r.exists && w.present {
		var secret *string
		if err := s.conn.QueryRow(ctx, `SELECT rolpassword FROM pg_authid WHERE rolname = $1`, w.role).Scan(&secret); err != nil {
			return out, fmt.Errorf("read the stored password of role %q: %w", w.role, err)
		}
		if secret != nil {
			r.secret = *secret
		}
	}

	d := &out.db
	err = s.conn.QueryRow(ctx, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1`, w.database).Scan(&d.owner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return out, fmt.Errorf("read database %q: %w", w.database, err)
	default:
		d.exists = true
	}
	return out, nil
}
