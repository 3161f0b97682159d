package pgautoctl

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"pgafha/internal/osuser"
)

// ErrNotRoot: the module runs as the instance's owner and cannot regain
// root (it was not started as root).
var ErrNotRoot = errors.New("this module does not run as root")

// DropPrivileges turns the whole module process into the runner's OS user.
// Everything a module does afterwards (pg_autoctl, reading its files, local
// socket connections authenticated by peer) happens as that user, exactly as
// the systemd unit runs pg_autoctl, so no file can end up owned by root.
// Root stays the saved user and group ID only, so that AsRoot can manage
// the instance's systemd unit; a program this process starts runs with no
// way back (exec sets the saved IDs to the effective ones).
func (r *Runner) DropPrivileges() error {
	if !r.switchUser {
		return nil
	}
	if err := r.becomeUser(); err != nil {
		return err
	}
	r.switchUser, r.canRegain = false, true
	return nil
}

func (r *Runner) becomeUser() error {
	return osuser.User{Name: r.User, UID: r.UID, GID: r.GID, Groups: r.Groups, Home: r.Home}.Become()
}

// AsRoot runs fn as root, then switches back to the runner's user. It is
// for the few steps that need root (systemctl): fn must not write files
// the instance's owner should own.
func (r *Runner) AsRoot(fn func() error) (err error) {
	if !r.canRegain {
		if os.Geteuid() == 0 {
			return fn()
		}
		return ErrNotRoot
	}
	if err := syscall.Setresuid(0, 0, 0); err != nil {
		return fmt.Errorf("regain root: %w", err)
	}
	if err := syscall.Setresgid(0, 0, 0); err != nil {
		return fmt.Errorf("regain root: set gid: %w", err)
	}
	defer func() {
		if e := r.becomeUser(); e != nil && err == nil {
			err = e
		}
	}()
	return fn()
}
