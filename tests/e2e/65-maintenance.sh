#!/usr/bin/env bash
# Maintenance for real (postgres_ha_maintenance → pgaf_maintenance) on the e2e
# formation (project pgaf-e2e), each converge limited to the monitor and one node
# (--tags node), the write probe running:
#   - --check --diff names the change and changes nothing;
#   - the standby into maintenance (a re-run changes nothing) and out again: writes
#     go on, 0 acknowledged commits lost;
#   - the primary into maintenance: a fenced switchover first, then maintenance;
#     out again: the formation is healthy, 0 acknowledged commits lost.
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

[[ -x library/pgaf_maintenance && -x bin/writeprobe ]] || ./build.sh
probe_workdir maintenance

# maintenance NAME HOST true|false [args...]: converges HOST's data node tasks with
# postgres_ha_maintenance set; log kept, $rc set.
maintenance() {
	local name=$1 host=$2 value=$3
	shift 3
	rc=0
	lab_playbook "$INV" --tags node --limit "localhost,$MONITOR,$host" -e "postgres_ha_maintenance=$value" "$@" \
		>"$tmp/$name.log" 2>&1 || rc=$?
	[[ $rc -eq 0 ]] || { tail -30 "$tmp/$name.log"; fail "converge $name exited $rc"; }
}
state_of() { formation_sql "$PROJECT" "$MONITOR" "select reportedstate || '/' || goalstate from pgautofailover.node where nodename = '$1'"; }
events() { formation_sql "$PROJECT" "$MONITOR" "select max(eventid) from pgautofailover.event"; }
# probe_verdict NAME: stops the probe started before and checks nothing was lost.
probe_verdict() {
	local probe_rc=0
	formation_wait_healthy "$PROJECT" "$MONITOR" 120 || true
	sleep 1
	probe_stop || probe_rc=$?
	PROBE_PID=
	cat "$tmp/$1.json" >&2
	assert_eq "$probe_rc" 0 "write probe exit code (1: acknowledged commits lost)"
	assert_eq "$(probe_field "$tmp/$1.json" lost_commits)" 0 "lost commits"
	echo "    write outage $(probe_field "$tmp/$1.json" write_outage_seconds) s," \
		"$(probe_field "$tmp/$1.json" acknowledged_commits) commits acknowledged, none lost"
}

formation_wait_healthy "$PROJECT" "$MONITOR" 180 || fail "the e2e formation is not healthy: run tests/e2e/40-formation.sh first"
primary=$(formation_primary "$PROJECT" "$MONITOR")
standby=$(formation_secondary "$PROJECT" "$MONITOR")
echo "    primary $primary, standby $standby"

check "--check --diff names the maintenance of $standby and changes nothing"
before=$(events)
maintenance check "$standby" true --check --diff
assert_contains "$(cat "$tmp/check.log")" "would put $standby in maintenance" "--check output"
assert_contains "$(cat "$tmp/check.log")" "+maintenance: enabled" "--diff output"
assert_eq "$(events)" "$before" "monitor events after --check"

check "the standby into maintenance and out again, writes going on, nothing lost"
probe_start "$PROJECT" "$MONITOR" "$tmp/probe-standby.json" || fail "the write probe did not start"
sleep 2
maintenance standby-on "$standby" true
assert_eq "$(state_of "$standby")" "maintenance/maintenance" "state of $standby"
assert_eq "$(formation_sql "$PROJECT" "$MONITOR" "select count(*) from pgautofailover.node where nodename = '$primary' and reportedstate in ('primary', 'wait_primary')")" 1 "$primary still serves writes"
maintenance standby-again "$standby" true
lab_assert_unchanged "$tmp/standby-again.log" "the re-run"
maintenance standby-off "$standby" false
assert_eq "$(state_of "$standby")" "secondary/secondary" "state of $standby"
probe_verdict probe-standby

check "the primary into maintenance: fenced switchover first, then maintenance; out again"
probe_start "$PROJECT" "$MONITOR" "$tmp/probe-primary.json" || fail "the write probe did not start"
sleep 2
maintenance primary-on "$primary" true
assert_contains "$(cat "$tmp/primary-on.log")" "switch over from $primary to a standby, fenced" "playbook output"
assert_eq "$(state_of "$primary")" "maintenance/maintenance" "state of $primary"
assert_eq "$(state_of "$standby")" "wait_primary/wait_primary" "state of $standby, the primary during $primary's maintenance"
maintenance primary-off "$primary" false
assert_eq "$(state_of "$primary")" "secondary/secondary" "state of $primary"
probe_verdict probe-primary
echo "PASS"
