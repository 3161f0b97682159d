// Package service owns the systemd unit that runs `pg_autoctl run` for one
// pg_autoctl instance (monitor or data node): its content, and bringing the
// unit to enabled and active with the content asked, restarting it only
// when its content changed while it ran.
package service

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Unit describes the unit of one instance.
type Unit struct {
	// Name without ".service", e.g. pg_autoctl-node.
	Name string
	// What names the instance in the description: "monitor" or "data node (keeper)".
	What      string
	PGData    string
	User      string
	BinDir    string
	PgAutoctl string
}

var unitName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,200}$`)

// Validate checks the name; the paths come from validated options.
func (u Unit) Validate() error {
	if !unitName.MatchString(u.Name) || strings.HasSuffix(u.Name, ".service") {
		return fmt.Errorf("service must be a systemd unit name without .service (letters, digits, '_', '.', '@', '-'), got %q", u.Name)
	}
	return nil
}

// Path is where the unit file lives.
func (u Unit) Path() string { return filepath.Join("/etc/systemd/system", u.Name+".service") }

// Content is the unit file. The environment matches the one the modules run
// pg_autoctl with (HOME of the user, no XDG overrides): pg_autoctl derives
// its config and state paths from it.
func (u Unit) Content() string {
	return fmt.Sprintf(`# Managed by the pgaf modules (pgaf_monitor / pgaf_node): changes are overwritten.
# pg_auto_failover %[1]s at %[2]s. pg_autoctl starts and stops its own
# PostgreSQL: never start that PostgreSQL another way.
[Unit]
Description=pg_auto_failover %[1]s (%[2]s)
After=network-online.target
Wants=network-online.target
# Keep retrying: the instance must come back whatever it takes.
StartLimitIntervalSec=0

[Service]
Type=simple
User=%[3]s
Group=%[3]s
Environment=PGDATA=%[2]s
Environment=PATH=%[4]s:/usr/local/bin:/usr/bin:/bin
Environment=LANG=C.UTF-8
WorkingDirectory=~
# A crash (a lost host) leaves postmaster.pid behind. After the reboot its PID
# often belongs to another process, pg_autoctl's own among them; pg_autoctl
# then takes PostgreSQL for running and never starts it. The file goes unless
# that PID is a postgres working in this PGDATA.
ExecStartPre=%[6]s
ExecStart=%[5]s run --pgdata %[2]s
ExecReload=%[5]s reload --pgdata %[2]s
# SIGTERM to pg_autoctl only: it stops PostgreSQL itself (fast shutdown).
KillMode=mixed
TimeoutStopSec=60
Restart=on-failure
RestartSec=2s
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`, u.What, u.PGData, u.User, u.BinDir, u.PgAutoctl, stalePIDFileCheck)
}

// stalePIDFileCheck is the ExecStartPre command that removes a postmaster.pid
// left by a crash (see the unit's comment). "$$" is systemd's escape for "$".
const stalePIDFileCheck = `/bin/sh -c 'f="$$PGDATA/postmaster.pid"; [ -f "$$f" ] || exit 0; ` +
	`p=$$(head -n 1 "$$f"); ` +
	`[ "$$(cat "/proc/$$p/comm" 2>/dev/null)" = postgres ] && [ "$$(readlink "/proc/$$p/cwd")" = "$$PGDATA" ] && exit 0; ` +
	`echo "removing $$f left by a crash: PID $$p is not its postgres"; rm -f "$$f"'`
