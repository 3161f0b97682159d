// Package osuser switches this process to another OS user, as PostgreSQL's
// peer authentication over a Unix socket and pg_autoctl (which refuses root)
// need.
package osuser

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// User is an OS account as the switch needs it.
type User struct {
	Name     string
	UID, GID uint32
	Groups   []uint32
	Home     string
}

// Lookup finds the account name.
func Lookup(name string) (User, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return User{}, fmt.Errorf("look up OS user %q: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return User{}, fmt.Errorf("OS user %q has a non-numeric uid/gid (%s/%s)", name, u.Uid, u.Gid)
	}
	r := User{Name: name, UID: uint32(uid), GID: uint32(gid), Home: u.HomeDir}
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				r.Groups = append(r.Groups, uint32(n))
			}
		}
	}
	return r, nil
}

// Become makes u the real and effective user and group of every thread of
// this process. Root stays the saved user and group ID, so that a caller
// that started as root can take it back (setresuid(0, 0, 0)); a program
// this process starts has no way back (exec sets the saved IDs to the
// effective ones).
func (u User) Become() error {
	groups := make([]int, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("switch to OS user %s: set groups: %w", u.Name, err)
	}
	if err := syscall.Setresgid(int(u.GID), int(u.GID), 0); err != nil {
		return fmt.Errorf("switch to OS user %s: set gid: %w", u.Name, err)
	}
	if err := syscall.Setresuid(int(u.UID), int(u.UID), 0); err != nil {
		return fmt.Errorf("switch to OS user %s: set uid: %w", u.Name, err)
	}
	if os.Geteuid() != int(u.UID) {
		return fmt.Errorf("switch to OS user %s: still running as uid %d", u.Name, os.Geteuid())
	}
	return nil
}

// Switch turns this process into the OS user name: nothing to do when it
// already runs as name, a switch when it runs as root, an error otherwise.
func Switch(name string) error {
	u, err := Lookup(name)
	if err != nil {
		return err
	}
	switch me := os.Geteuid(); {
	case me == int(u.UID):
		return nil
	case me == 0:
		return u.Become()
	default:
		return fmt.Errorf("this module runs as uid %d: it must run as root (it switches to %q itself) or as %q", me, name, name)
	}
}
