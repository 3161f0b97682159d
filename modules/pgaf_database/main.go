// Command pgaf_database is an Ansible module that ensures an application
// role and its database on the formation's primary: the role can log in
// with the given password, stored as a SCRAM-SHA-256 verifier, and owns the
// database. The password is compared with the stored verifier locally and,
// only when it does not verify, replaced by a verifier computed here, so the
// plaintext never reaches the server.
package main

import (
	"context"
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/osuser"
)

var spec = ansible.Spec{
	Name:           "pgaf_database",
	DefaultTimeout: 30,
	Options: []ansible.Option{
		// A libpq URI or key=value string, possibly multi-host: with
		// target_session_attrs=read-write it reaches the current primary.
		{Name: "login_uri", Type: ansible.TypeStr, Required: true},
		// Overrides the URI's password, so the URI can be logged as is.
		{Name: "login_password", Type: ansible.TypeStr, NoLog: true},
		{Name: "role", Type: ansible.TypeStr, Required: true},
		{Name: "password", Type: ansible.TypeStr, NoLog: true},
		{Name: "database", Type: ansible.TypeStr, Required: true},
		// Unset leaves the role's limit alone; -1 means no limit.
		{Name: "connection_limit", Type: ansible.TypeInt},
		{Name: "state", Type: ansible.TypeStr, Default: "present", Choices: []string{"present", "absent"}},
		// Peer authentication over a Unix socket checks the OS user.
		{Name: "os_user", Type: ansible.TypeStr},
	},
}

func main() { ansible.Main(spec, run) }

func run(ctx context.Context, m *ansible.Module) error {
	w, err := wanted(m.Params)
	if err != nil {
		return err
	}

	if u := m.Params.String("os_user"); u != "" {
		if err := osuser.Switch(u); err != nil {
			return fmt.Errorf("option os_user: %w", err)
		}
	}
	db, err := connect(ctx, m.Params.String("login_uri"), m.Params.String("login_password"), m.Params.IsSet("login_password"))
	if err != nil {
		return err
	}
	defer db.close(ctx)
	for _, warning := range db.warnings() {
		m.Result.Warn(warning)
	}

	seen, err := observe(ctx, db, w)
	if err != nil {
		return err
	}
	if seen.role.secret != "" {
		m.AddSecret(secretParts(seen.role.secret)...)
	}

	p := decide(w, seen)

	// In check mode the plan is the prediction; otherwise what was done,
	// which after a failure is only the part before it.
	done := p
	if !m.CheckMode() && p.changed() {
		done, err = apply(ctx, db, w, seen, p, m.AddSecret)
	}
	report(m, w, seen, done, db.server)
	return err
}
