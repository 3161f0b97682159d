#!/usr/bin/env bash
# PostgreSQL settings for real (postgres_ha_pg_settings, postgres_ha_monitor_pg_settings
# → pgaf_settings) on the e2e formation (project pgaf-e2e):
#   - a setting pg_auto_failover owns, an unknown one, a bad value and a lowered
#     max_connections fail with their reasons, and nothing changes;
#   - --check --diff names the changes and changes nothing;
#   - one converge (--tags settings, as the role README's cheat sheet says) with a
#     reloadable setting (work_mem) and two that need a restart (max_connections on
#     the data nodes and on the monitor), the write probe running:
#     every setting in force everywhere (pending_restart false), the standby restarted
#     in maintenance, the primary after a switchover, 0 acknowledged commits lost,
#     the write outage printed;
#   - the next one is changed=0 (a whole no-op converge is 40-formation.sh's).
# The many-cycle figures are scripts/bench-settings.sh's.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../lib/assert.sh
source tests/lib/assert.sh
# shellcheck source=SCRIPTDIR/../lib/lab.sh
source tests/lib/lab.sh
# shellcheck source=SCRIPTDIR/../lib/probe.sh
source tests/lib/probe.sh

INV=tests/inventory/e2e.yml
PROJECT=pgaf-e2e
MONITOR=pgaf-monitor
NODES=(pgaf-primary pgaf-replica)

[[ -x library/pgaf_settings && -x bin/writeprobe ]] || ./build.sh
probe_workdir settings

# converge NAME SETTINGS_JSON [args...]: the playbook with these settings; log kept, $rc set.
converge() {
	local name=$1 settings=$2
	shift 2
	rc=0
	lab_playbook "$INV" -e "$settings" "$@" >"$tmp/$name.log" 2>&1 || rc=$?
}
show() { incus exec --project "$PROJECT" --cwd /tmp "$1" -- su postgres -c "psql -X -At -d postgres -c 'show $2'"; }
# pending HOST: how many of the settings under test wait for a restart there.
pending() {
	incus exec --project "$PROJECT" --cwd /tmp "$1" -- su postgres -c "psql -X -At -d postgres -c \"select count(*) from pg_settings
		where pending_restart and name in ('max_connections', 'work_mem')\""
}
events() { formation_sql "$PROJECT" "$MONITOR" "select max(eventid) from pgautofailover.event"; }
# snapshot: the values under test on every instance, one line.
snapshot() {
	local h
	for h in "${NODES[@]}"; do printf '%s %s %s; ' "$h" "$(show "$h" max_connections)" "$(show "$h" work_mem)"; done
	printf 'monitor %s\n' "$(show "$MONITOR" max_connections)"
}

formation_wait_healthy "$PROJECT" "$MONITOR" 180 || fail "the e2e formation is not healthy: run tests/e2e/40-formation.sh first"
# Values that differ from what the formation runs, whatever an earlier run left
# (max_connections only goes up on data nodes: lowering it is refused).
cur=$(show "${NODES[0]}" max_connections)
conns=$((cur + 10))
mon_cur=$(show "$MONITOR" max_connections)
mon_conns=$((mon_cur == 110 ? 120 : 110))
[[ $(show "${NODES[0]}" work_mem) == 6MB ]] && work_mem=7MB || work_mem=6MB
want="{\"postgres_ha_pg_settings\": {\"max_connections\": $conns, \"work_mem\": \"$work_mem\"},
       \"postgres_ha_monitor_pg_settings\": {\"max_connections\": $mon_conns}}"
echo "    asking for max_connections $conns, work_mem $work_mem on the data nodes, max_connections $mon_conns on the monitor"

check "settings that are owned, unknown, badly valued or lowered below what a standby needs fail with the reasons, nothing changes"
before=$(snapshot)
events_before=$(events)
converge bad "{\"postgres_ha_pg_settings\": {\"synchronous_commit\": \"off\", \"no_such_setting\": 1, \"work_mem\": \"lots\", \"max_connections\": $((cur - 10))}}" --tags settings
[[ $rc -ne 0 ]] || fail "a converge with bad settings succeeded"
for frag in "settings.synchronous_commit: not settable here on a data node: failover without losing a commit" \
	"settings.no_such_setting: PostgreSQL has no such setting" \
	"settings.work_mem: " "is not a number with an optional unit" \
	"settings.max_connections: lowering it ($cur → $((cur - 10))) is not rolled out"; do
	assert_contains "$(cat "$tmp/bad.log")" "$frag" "playbook output"
done
assert_eq "$(snapshot)" "$before" "settings after the failed run"
assert_eq "$(events)" "$events_before" "monitor events"

check "--check --diff names the changes and changes nothing"
converge check "$want" --check --diff --tags settings
[[ $rc -eq 0 ]] || { tail -30 "$tmp/check.log"; fail "--check exited $rc"; }
assert_contains "$(cat "$tmp/check.log")" "+max_connections = $conns" "--diff output"
assert_contains "$(cat "$tmp/check.log")" "+work_mem = $work_mem" "--diff output"
assert_contains "$(cat "$tmp/check.log")" "+max_connections = $mon_conns" "--diff output (monitor)"
[[ $(lab_recap_changed "$tmp/check.log") -ge 3 ]] || fail "--check reports fewer than 3 changes"
assert_eq "$(snapshot)" "$before" "settings after --check"
assert_eq "$(events)" "$events_before" "monitor events after --check"

check "one converge puts every setting in force by a rolling restart, no acknowledged commit lost"
first=$(formation_primary "$PROJECT" "$MONITOR")
probe_start "$PROJECT" "$MONITOR" "$tmp/probe.json" || fail "the write probe did not start"
sleep 2
converge apply "$want" --tags settings
formation_wait_healthy "$PROJECT" "$MONITOR" 120 || true
sleep 1
probe_rc=0
probe_stop || probe_rc=$?
PROBE_PID=
[[ $rc -eq 0 ]] || { tail -40 "$tmp/apply.log"; fail "the converge exited $rc"; }
cat "$tmp/probe.json" >&2
assert_eq "$probe_rc" 0 "write probe exit code (1: acknowledged commits lost)"
assert_eq "$(probe_field "$tmp/probe.json" lost_commits)" 0 "lost commits"
for h in "${NODES[@]}"; do
	assert_eq "$(show "$h" max_connections)" "$conns" "max_connections on $h"
	assert_eq "$(show "$h" work_mem)" "$work_mem" "work_mem on $h"
	assert_eq "$(pending "$h")" 0 "settings pending a restart on $h"
done
assert_eq "$(show "$MONITOR" max_connections)" "$mon_conns" "max_connections on the monitor"
assert_contains "$(cat "$tmp/apply.log")" "is in maintenance; the primary commits without waiting for it" "playbook output (standby restart)"
assert_contains "$(cat "$tmp/apply.log")" "is the primary: switching over to a standby first" "playbook output (primary restart)"
[[ $(formation_primary "$PROJECT" "$MONITOR") != "$first" ]] || fail "$first is still the primary: the switchover before its restart did not happen"
echo "    write outage $(probe_field "$tmp/probe.json" write_outage_seconds) s," \
	"$(probe_field "$tmp/probe.json" acknowledged_commits) commits acknowledged, none lost"

check "the next converge changes nothing"
converge again "$want" --tags settings
[[ $rc -eq 0 ]] || { tail -30 "$tmp/again.log"; fail "the re-run exited $rc"; }
lab_assert_unchanged "$tmp/again.log" "the re-run"
echo "PASS"
