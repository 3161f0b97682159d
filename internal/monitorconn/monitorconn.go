// Package monitorconn holds the options by which a module reaches a
// pg_auto_failover monitor (monitor_uri, monitor_password, formation) and
// the one way to connect with them: the password goes into the URI here,
// the first contact is bounded, and an authentication failure names the
// option to check.
package monitorconn

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"pgafha/internal/ansible"
	"pgafha/internal/connstr"
	"pgafha/internal/pgaf"
)

// Options are the shared option declarations, appended to a module's own.
func Options() []ansible.Option {
	return []ansible.Option{
		{Name: "monitor_uri", Type: ansible.TypeStr, Required: true},
		{Name: "monitor_password", Type: ansible.TypeStr, NoLog: true},
		{Name: "formation", Type: ansible.TypeStr, Default: "default"},
	}
}

// WithPassword puts password into uri (a postgres:// URI) as the
// password of its user; an empty password leaves uri as it is.
func WithPassword(uri, password string) (string, error) {
	if password == "" {
		return uri, nil
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("monitor_uri must be a postgres:// URI when monitor_password is set, got %q", connstr.Redact(uri))
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String(), nil
}

// Connect reaches the monitor of the module options.
func Connect(ctx context.Context, p ansible.Params) (*pgaf.Monitor, error) {
	return Dial(ctx, p.String("monitor_uri"), p.String("monitor_password"), p.String("formation"))
}

// Dial reaches the monitor at uri (password, if any, put into it) within
// pgaf.FirstContactTimeout and checks that the formation exists.
func Dial(ctx context.Context, uri, password, formation string) (*pgaf.Monitor, error) {
	uri, err := WithPassword(uri, password)
	if err != nil {
		return nil, err
	}
	mon, err := pgaf.ConnectBounded(ctx, uri)
	if errors.Is(err, pgaf.ErrAuth) {
		return nil, fmt.Errorf("%w (check monitor_password: it must match the monitor's autoctl_node_password)", err)
	}
	if err != nil {
		return nil, err
	}
	if _, err := mon.Formation(ctx, formation); err != nil {
		_ = mon.Close(context.WithoutCancel(ctx))
		if errors.Is(err, pgaf.ErrNoFormation) {
			return nil, fmt.Errorf("%w: create the formation on the monitor first (pg_autoctl create formation), or use an existing one", err)
		}
		return nil, err
	}
	return mon, nil
}
