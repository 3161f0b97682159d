#!/usr/bin/env bash
# Planned switchover for real (playbooks/switchover.yml → pgaf_switchover) on the
# e2e formation (project pgaf-e2e), with the write probe (bin/writeprobe) running:
#   - --check --diff names the change and changes nothing;
#   - a switchover to the standby and one back, the second with pg_auto_failover's
#     stale-row race forced (the old primary is assigned wait_primary): the roles
#     swap, 0 acknowledged commits lost, the write outage is printed;
#   - a converge after it (postgres_ha_primary unset) is changed=0 and keeps the roles;
#   - asking for the node that is primary already changes nothing;
#   - a name that is no data node fails with the reason, nothing changes;
#   - a write fence an interrupted run left on the primary is lifted by the next run.
# The many-cycle figures are scripts/bench-switchover.sh's.
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
FENCE_MARKER=/var/lib/postgresql/.local/share/pg_autoctl/var/lib/postgresql/15/pgaf-node/pgafha-switchover-fence.json

[[ -x library/pgaf_switchover && -x bin/writeprobe ]] || ./build.sh
probe_workdir switchover

# switchover NAME TARGET [args...]: runs the playbook, keeps its log, sets $rc.
switchover() {
	local name=$1 target=$2
	shift 2
	rc=0
	lab_play "$INV" playbooks/switchover.yml -e "postgres_ha_primary=$target" "$@" >"$tmp/$name.log" 2>&1 || rc=$?
}
psql_node() { incus exec --project "$PROJECT" --cwd /tmp "$1" -- su postgres -c "psql -X -At -d postgres -c \"$2\""; }
events() { formation_sql "$PROJECT" "$MONITOR" "select max(eventid) from pgautofailover.event"; }

formation_wait_healthy "$PROJECT" "$MONITOR" 180 || fail "the e2e formation is not healthy: run tests/e2e/40-formation.sh first"
first=$(formation_primary "$PROJECT" "$MONITOR")
second=$(formation_secondary "$PROJECT" "$MONITOR")
echo "    primary $first, standby $second"

check "--check --diff predicts the switchover to $second and changes nothing"
before=$(events)
switchover check "$second" --check --diff
[[ $rc -eq 0 ]] || { tail -30 "$tmp/check.log"; fail "--check exited $rc"; }
assert_contains "$(cat "$tmp/check.log")" "would switch over from $first to $second" "--check output"
assert_contains "$(cat "$tmp/check.log")" "+primary: $second" "--diff output"
[[ $(lab_recap_changed "$tmp/check.log") -ge 1 ]] || fail "--check reports no change"
assert_eq "$(events)" "$before" "monitor events after --check"
assert_eq "$(formation_primary "$PROJECT" "$MONITOR")" "$first" "primary after --check"

# lossless FROM TO [playbook args...]: a switchover under the write probe.
lossless() {
	local from=$1 to=$2
	shift 2
	probe_start "$PROJECT" "$MONITOR" "$tmp/probe-$to.json" || fail "the write probe did not start"
	sleep 2
	switchover "to-$to" "$to" "$@"
	formation_wait_healthy "$PROJECT" "$MONITOR" 120 || true
	sleep 1
	local probe_rc=0
	probe_stop || probe_rc=$?
	PROBE_PID=
	[[ $rc -eq 0 ]] || { tail -40 "$tmp/to-$to.log"; fail "the switchover playbook exited $rc"; }
	cat "$tmp/probe-$to.json" >&2
	assert_eq "$probe_rc" 0 "write probe exit code (1: acknowledged commits lost)"
	assert_eq "$(probe_field "$tmp/probe-$to.json" lost_commits)" 0 "lost commits"
	assert_eq "$(formation_primary "$PROJECT" "$MONITOR")" "$to" "primary after the switchover"
	assert_contains "$(cat "$tmp/to-$to.log")" "switched over from $from to $to;" "playbook output"
	assert_contains "$(cat "$tmp/to-$to.log")" "fence lifted on $from" "playbook output"
	echo "    write outage $(probe_field "$tmp/probe-$to.json" write_outage_seconds) s," \
		"$(probe_field "$tmp/probe-$to.json" acknowledged_commits) commits acknowledged, none lost"
	assert_eq "$(psql_node "$from" "select pg_is_in_recovery()")" "t" "the old primary is a standby"
	assert_eq "$(psql_node "$from" "show default_transaction_read_only")" "off" "fence lifted on the old primary"
	incus exec --project "$PROJECT" "$from" -- test ! -e "$FENCE_MARKER" || fail "fence marker left on $from"
}
check "switchover $first -> $second under the write probe: roles swap, no acknowledged commit lost"
lossless "$first" "$second"
old_primary_id=$(formation_sql "$PROJECT" "$MONITOR" "select nodeid from pgautofailover.node where nodename = '$first'")
assert_eq "$(psql_node "$second" "show synchronous_standby_names")" "ANY 1 (pgautofailover_standby_$old_primary_id)" "synchronous_standby_names on the new primary"

check "a converge after the switchover (postgres_ha_primary unset) is changed=0 and does not switch back"
rc=0
lab_playbook "$INV" >"$tmp/after.log" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { tail -30 "$tmp/after.log"; fail "the converge exited $rc"; }
lab_assert_unchanged "$tmp/after.log" "the re-run"
assert_eq "$(formation_primary "$PROJECT" "$MONITOR")" "$second" "primary after the converge"
check "switchover $second -> $first with the stale-row race forced: the fence still keeps every commit"
race_from=$(formation_sql "$PROJECT" "$MONITOR" "select max(eventid) from pgautofailover.event")
lossless "$second" "$first" -e postgres_ha_switchover_race_hold_seconds=4
# The race needs the old primary's keeper to call the monitor during the
# hold (it does about once a second); on a loaded machine it may not.
raced=$(formation_sql "$PROJECT" "$MONITOR" "select count(*) from pgautofailover.event
	where eventid > $race_from and nodename = '$second' and goalstate = 'wait_primary' and description like '%none of the standby nodes%'")
if [[ $raced -ge 1 ]]; then
	echo "    the race happened: $second was assigned wait_primary during the switchover, and nothing was lost"
else
	echo "    NOTE: $second's keeper did not call the monitor during the hold, so the race was not forced this time"
fi

check "asking for the primary it already is changes nothing"
before=$(events)
switchover same "$first"
[[ $rc -eq 0 ]] || { tail -30 "$tmp/same.log"; fail "exited $rc"; }
lab_assert_unchanged "$tmp/same.log" "the re-run"
assert_contains "$(cat "$tmp/same.log")" "$first is the primary already" "playbook output"
assert_eq "$(events)" "$before" "monitor events"

check "a name that is no data node fails with the reason and changes nothing"
switchover bad pgaf-nope
[[ $rc -ne 0 ]] || fail "a switchover to pgaf-nope succeeded"
assert_contains "$(cat "$tmp/bad.log")" '\"pgaf-nope\" is not a data node of group 0' "playbook output"
assert_eq "$(events)" "$before" "monitor events"

check "a write fence left by an interrupted run is lifted by the next run"
incus exec --project "$PROJECT" --cwd /tmp "$first" -- su postgres -c "echo '{}' > $FENCE_MARKER &&
	psql -X -q -c 'alter system set default_transaction_read_only = on' -c 'select pg_reload_conf()'" >/dev/null
sleep 1
assert_eq "$(psql_node "$first" "show default_transaction_read_only")" "on" "fenced primary"
switchover leftover "$first"
[[ $rc -eq 0 ]] || { tail -30 "$tmp/leftover.log"; fail "exited $rc"; }
assert_contains "$(cat "$tmp/leftover.log")" "lifted the write fence" "playbook output"
[[ $(lab_recap_changed "$tmp/leftover.log") -ge 1 ]] || fail "lifting the fence reported no change"
assert_eq "$(psql_node "$first" "show default_transaction_read_only")" "off" "primary after the lift"
incus exec --project "$PROJECT" "$first" -- test ! -e "$FENCE_MARKER" || fail "fence marker left on $first"
echo "PASS"
