package pgautoctl

import (
	"fmt"
	"os"
	"syscall"
)

// DropPrivileges turns the whole module process into the runner's OS user.
// Everything a module does afterwards (pg_autoctl, reading its files, local
// socket connections authenticated by peer) happens as that user, exactly as
// the systemd unit runs pg_autoctl, so no file can end up owned by root.
func (r *Runner) DropPrivileges() error {
	if !r.switchUser {
		return nil
	}
	groups := make([]int, len(r.Groups))
	for i, g := range r.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("switch to OS user %s: set groups: %w", r.User, err)
	}
	if err := syscall.Setgid(int(r.GID)); err != nil {
		return fmt.Errorf("switch to OS user %s: set gid: %w", r.User, err)
	}
	if err := syscall.Setuid(int(r.UID)); err != nil {
		return fmt.Errorf("switch to OS user %s: set uid: %w", r.User, err)
	}
	if os.Geteuid() != int(r.UID) {
		return fmt.Errorf("switch to OS user %s: still running as uid %d", r.User, os.Geteuid())
	}
	r.switchUser = false
	return nil
}
