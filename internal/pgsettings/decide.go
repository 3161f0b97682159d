package pgsettings

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Current is one setting as the running instance has it.
type Current struct {
	Meta
	// Setting is pg_settings.setting (in the setting's unit); Shown is
	// current_setting(), the human form ("128MB").
	Setting, Shown string
	PendingRestart bool
	// Written is the value postgresql.auto.conf holds (what ALTER SYSTEM
	// wrote), nil when it holds none.
	Written *string
}

// Action is what puts a setting in force once it is written.
type Action string

const (
	// Reload: the server reads it again on SIGHUP (contexts sighup,
	// superuser, user, backend).
	Reload Action = "reload"
	// Restart: only a restart of PostgreSQL applies it (context postmaster).
	Restart Action = "restart"
)

// Change is one setting that is not in force as asked.
type Change struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
	// Write is true when postgresql.auto.conf does not hold the value yet.
	Write  bool   `json:"write"`
	Action Action `json:"action"`
}

// Role is the kind of instance the settings are for: some settings belong
// to pg_auto_failover on one kind only.
type Role string

const (
	DataNode Role = "data node"
	Monitor  Role = "monitor"
)

// owned lists the settings that pg_auto_failover or another option of
// this project sets, with the reason an operator's value is refused.
var owned = map[string]string{
	"listen_addresses":              "pgaf_node/pgaf_monitor set it from their listen_addresses option",
	"port":                          "pg_autoctl fixes it at create (the pgport option); the monitor records it",
	"ssl":                           "the ssl options of pgaf_node/pgaf_monitor (role variable postgres_ha_ssl) own the TLS settings",
	"ssl_cert_file":                 "the ssl options of pgaf_node/pgaf_monitor (role variable postgres_ha_ssl) own the TLS settings",
	"ssl_key_file":                  "the ssl options of pgaf_node/pgaf_monitor (role variable postgres_ha_ssl) own the TLS settings",
	"ssl_ca_file":                   "the ssl options of pgaf_node/pgaf_monitor (role variable postgres_ha_ssl) own the TLS settings",
	"ssl_crl_file":                  "the ssl options of pgaf_node/pgaf_monitor (role variable postgres_ha_ssl) own the TLS settings",
	"data_directory":                "pg_autoctl fixes it at create (the pgdata option)",
	"config_file":                   "pg_autoctl fixes it at create (the pgdata option)",
	"hba_file":                      "pg_autoctl fixes it at create (the pgdata option)",
	"ident_file":                    "pg_autoctl fixes it at create (the pgdata option)",
	"default_transaction_read_only": "it is the switchover's write fence: pgaf_switchover sets and lifts it",
}

var ownedOnDataNodes = map[string]string{
	"synchronous_standby_names": "the monitor sets it from the formation policy (number_sync_standbys, replication_quorum, candidate_priority)",
	"synchronous_commit":        "failover without losing a commit relies on the value pg_auto_failover sets (on)",
	"hot_standby":               "pg_auto_failover's standbys must serve reads and health checks",
	"wal_level":                 "replication and pg_rewind need the value pg_auto_failover sets",
	"wal_log_hints":             "pg_rewind, which pg_auto_failover runs after a failover, needs it on",
	"primary_conninfo":          "pg_autoctl writes a standby's recovery settings",
	"primary_slot_name":         "pg_autoctl writes a standby's recovery settings",
	"promote_trigger_file":      "pg_autoctl promotes standbys itself",
}

var ownedOnMonitor = map[string]string{
	"shared_preload_libraries": "the monitor must load the pgautofailover extension, which pg_autoctl set up",
}

// standbyAtLeastPrimary are the settings a hot standby must run with a value
// at least its primary's (PostgreSQL stops a standby's recovery otherwise).
// Raising one rolls like any restart: standbys first, then the primary's
// demotion restarts it with the new value. Lowering one would need the
// primary restarted in place first, before any standby: a write outage
// that pg_auto_failover may turn into a failover, so it is refused.
var standbyAtLeastPrimary = map[string]bool{
	"max_connections": true, "max_worker_processes": true, "max_wal_senders": true,
	"max_prepared_transactions": true, "max_locks_per_transaction": true,
}

// Refused returns why name may not be set on role, or "".
func Refused(name string, role Role) string {
	if r := owned[name]; r != "" {
		return r
	}
	if role == Monitor {
		if strings.HasPrefix(name, "pgautofailover.") {
			return "pgaf_monitor's failure-detection options (role variables postgres_ha_*_timeout) own the monitor's pgautofailover settings"
		}
		return ownedOnMonitor[name]
	}
	if strings.HasPrefix(name, "recovery_target") {
		return "pg_autoctl writes a standby's recovery settings"
	}
	return ownedOnDataNodes[name]
}

// Decide compares the wanted settings (lower-case name → value) with what
// the instance has, and returns the changes, sorted by name. Every problem
// in want (unknown name, refused setting, value the server would refuse)
// is reported at once, and then there are no changes: nothing is applied
// from a list with a mistake in it.
func Decide(want map[string]string, have map[string]Current, role Role) ([]Change, error) {
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	var changes []Change
	var errs []error
	for _, name := range names {
		c, err := decideOne(name, want[name], have, role)
		if err != nil {
			errs = append(errs, fmt.Errorf("settings.%s: %w", name, err))
			continue
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return changes, nil
}

func decideOne(name, want string, have map[string]Current, role Role) (*Change, error) {
	if r := Refused(name, role); r != "" {
		return nil, fmt.Errorf("not settable here on a %s: %s", role, r)
	}
	cur, ok := have[name]
	if !ok {
		return nil, errors.New("PostgreSQL has no such setting (see pg_settings; a setting of an extension exists once its library is loaded)")
	}
	if cur.Context == "internal" {
		return nil, errors.New("cannot be changed: it is fixed when PostgreSQL is built or initialised")
	}
	if _, err := Normalize(cur.Meta, want); err != nil {
		return nil, err
	}
	inForce, _ := Equal(cur.Meta, cur.Setting, want)
	if role == DataNode && standbyAtLeastPrimary[cur.Name] && !inForce {
		if lower, _ := Lower(cur.Meta, want, cur.Setting); lower {
			return nil, fmt.Errorf("lowering it (%s → %s) is not rolled out: a hot standby refuses to run with a lower value than its primary, and a promotion does not restart PostgreSQL, so only an in-place restart of the primary could apply it first (a write outage pg_auto_failover may answer with a failover). Lower it in a maintenance window by hand, or keep the current value", cur.Shown, want)
		}
	}
	var write bool
	if cur.Written != nil {
		same, _ := Equal(cur.Meta, *cur.Written, want)
		write = !same
	} else {
		// Nothing written: pin the value when it is not the running one, or
		// when a file change waits for a restart that would replace it.
		write = !inForce || cur.PendingRestart
	}
	if !write && inForce && !cur.PendingRestart {
		return nil, nil
	}
	c := &Change{Name: name, From: cur.Shown, To: want, Write: write, Action: Reload}
	// A running value that is already the wanted one needs no restart,
	// even with a different value pending: writing ours and reloading
	// clears pending_restart.
	if cur.Context == "postmaster" && !inForce {
		c.Action = Restart
	}
	return c, nil
}

// NeedApply reports whether any change is written or put in force by a
// reload; the others only wait for a restart.
func NeedApply(changes []Change) bool {
	for _, c := range changes {
		if c.Write || c.Action == Reload {
			return true
		}
	}
	return false
}

// NeedRestart reports whether any change waits for a restart.
func NeedRestart(changes []Change) bool {
	for _, c := range changes {
		if c.Action == Restart {
			return true
		}
	}
	return false
}

// Libraries lists the libraries a shared_preload_libraries value names
// (comma-separated, each maybe quoted), the way the server splits it.
func Libraries(value string) []string {
	var out []string
	for _, part := range strings.Split(value, ",") {
		name := strings.Trim(strings.TrimSpace(part), `"`)
		if name != "" {
			out = append(out, name)
		}
	}
	return out
}

// MissingLibraries returns the libraries of a shared_preload_libraries
// value that exists cannot find: PostgreSQL would not start with them, and
// pg_autoctl does not retry a failed start. A name with a directory or
// $libdir is looked up as given.
func MissingLibraries(value, libdir string, exists func(string) bool) []string {
	var missing []string
	for _, name := range Libraries(value) {
		path := strings.Replace(name, "$libdir", libdir, 1)
		if !strings.Contains(path, "/") {
			path = libdir + "/" + path
		}
		if !strings.HasSuffix(path, ".so") {
			path += ".so"
		}
		if !exists(path) {
			missing = append(missing, name)
		}
	}
	return missing
}
