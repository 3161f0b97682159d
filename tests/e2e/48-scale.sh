#!/usr/bin/env bash
# Scale-out and scale-in for real, on the e2e formation (project pgaf-e2e), with
# the write probe (bin/writeprobe) running through each change:
#   - --check with a third data node in the inventory (tests/inventory/e2e-node3.yml)
#     predicts its container and changes nothing;
#   - the converge adds it: three healthy nodes, number_sync_standbys=1 in force on
#     the primary (ANY 1 of two standbys), the formation URI lists three hosts,
#     0 acknowledged commits lost;
#   - the failover test passes on the three nodes (pgaf-node3 has the highest
#     candidate_priority, so it is the one promoted);
#   - --check with pgaf-node3 marked postgres_ha_node_state: absent reports the
#     removal and changes nothing;
#   - the converge removes it while it is the primary: a fenced switchover first,
#     then the drop; 2 nodes, number_sync_standbys back to 0, its container
#     deleted (pgaf_lab_delete_container), 0 lost; the next converge is changed=0.
# Leaves a healthy two-node formation (the failover test runs next). The
# many-cycle figures are scripts/bench-scale.sh's.
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
NODE3_INV=tests/inventory/e2e-node3.yml
PROJECT=pgaf-e2e
MONITOR=pgaf-monitor

[[ -x library/pgaf_node && -x bin/writeprobe ]] || ./build.sh
probe_workdir scale

# The third node as the inventory has it while it is being removed.
cat >"$tmp/node3-absent.yml" <<'EOF'
all:
  children:
    postgres_ha:
      children:
        postgres_ha_nodes:
          hosts:
            pgaf-node3:
              pgaf_lab_ipv4: 10.66.1.13
              postgres_ha_candidate_priority: 100
              postgres_ha_node_state: absent
              pgaf_lab_delete_container: true
EOF

# playbook NAME EXTRA-INVENTORY [args...]: the converge with one more inventory source; must succeed.
playbook() {
	local name=$1 extra=$2
	shift 2
	lab_playbook_ok "$tmp/$name.log" "$INV" -i "$extra" "$@"
}
# under_probe NAME EXTRA-INVENTORY: the converge with the write probe running; 0 lost.
under_probe() {
	local name=$1 extra=$2
	probe_start "$PROJECT" "$MONITOR" "$tmp/probe-$name.json"
	sleep 2
	playbook "$name" "$extra"
	sleep 1
	probe_stop || { cat "$tmp/probe-$name.json.log" >&2; fail "the write probe failed during $name"; }
	PROBE_PID=
	assert_eq "$(probe_field "$tmp/probe-$name.json" lost_commits)" 0 "acknowledged commits lost during $name"
	echo "    $name: $(probe_field "$tmp/probe-$name.json" acknowledged_commits) commits acknowledged, 0 lost, write outage $(probe_field "$tmp/probe-$name.json" write_outage_seconds) s"
}
nodes() { formation_sql "$PROJECT" "$MONITOR" "select string_agg(nodename || ':' || reportedstate, ' ' order by nodename) from pgautofailover.node"; }
nss() { formation_sql "$PROJECT" "$MONITOR" "select number_sync_standbys from pgautofailover.formation where formationid = 'default'"; }
events() { formation_sql "$PROJECT" "$MONITOR" "select max(eventid) from pgautofailover.event"; }
node3_exists() { incus info --project "$PROJECT" pgaf-node3 >/dev/null 2>&1; }
psql_node() { incus exec --project "$PROJECT" --cwd /tmp "$1" -- su postgres -c "psql -X -At -d postgres -c \"$2\""; }

formation_wait_healthy "$PROJECT" "$MONITOR" 180 || fail "the e2e formation is not healthy: run tests/e2e/40-formation.sh first"
! node3_exists || fail "container pgaf-node3 exists already in $PROJECT: delete it first (incus delete --force --project $PROJECT pgaf-node3)"
case $(nodes) in
"pgaf-primary:primary pgaf-replica:secondary" | "pgaf-primary:secondary pgaf-replica:primary") ;;
*) fail "nodes before the scale-out: $(nodes), want pgaf-primary and pgaf-replica, one primary" ;;
esac
before_primary=$(formation_primary "$PROJECT" "$MONITOR")

check "--check with a third data node in the inventory: predicts its container, changes nothing"
before=$(events)
playbook check_add "$NODE3_INV" --check
assert_contains "$(grep -A5 'Create and start each container' "$tmp/check_add.log")" "changed: [localhost] => (item=pgaf-node3)" "prediction"
! node3_exists || fail "--check created pgaf-node3"
assert_eq "$(events)" "$before" "monitor events after --check"

check "converge with the third node, under the write probe: it registers, clones and joins; number_sync_standbys follows"
cp "$NODE3_INV" "$tmp/node3.yml"
# The highest priority: the failover test below then promotes pgaf-node3.
sed -i 's/^\( *\)pgaf_lab_ipv4: 10.66.1.13$/&\n\1postgres_ha_candidate_priority: 100/' "$tmp/node3.yml"
under_probe add "$tmp/node3.yml"
formation_wait_healthy "$PROJECT" "$MONITOR" 60 || fail "three nodes not healthy"
assert_eq "$(formation_primary "$PROJECT" "$MONITOR")" "$before_primary" "primary after the scale-out"
assert_eq "$(formation_sql "$PROJECT" "$MONITOR" "select count(*) from pgautofailover.node where reportedstate = 'secondary'")" 2 "secondaries after the scale-out"
assert_eq "$(nss)" 1 "number_sync_standbys with two standbys"
sync_names=$(psql_node "$before_primary" "show synchronous_standby_names")
assert_contains "$sync_names" "ANY 1 (" "synchronous_standby_names on the primary"
assert_eq "$(psql_node "$before_primary" "select count(*) from pg_stat_replication where state = 'streaming' and sync_state = 'quorum'")" 2 "quorum standbys streaming"
uri=$(grep -o 'formation URI: postgres://[^"]*' "$tmp/add.log" | tail -n 1)
for h in 10.66.1.11 10.66.1.12 10.66.1.13; do assert_contains "$uri" "$h:5432" "printed formation URI"; done

check "the failover test passes on three nodes (pgaf-node3, priority 100, is promoted)"
rc=0
lab_play "$INV" playbooks/failover_test.yml -i "$tmp/node3.yml" >"$tmp/failover.log" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { tail -30 "$tmp/failover.log"; fail "the failover test exited $rc"; }
assert_contains "$(cat "$tmp/failover.log")" "failover test passed" "failover run"
formation_wait_healthy "$PROJECT" "$MONITOR" 120 || fail "not healthy after the failover test"
assert_eq "$(formation_primary "$PROJECT" "$MONITOR")" pgaf-node3 "primary after the failover test"

# Who takes over from pgaf-node3: the highest candidate_priority, then the lowest id.
takeover=$(formation_sql "$PROJECT" "$MONITOR" "select nodename from pgautofailover.node where nodename <> 'pgaf-node3' order by candidatepriority desc, nodeid limit 1")
other=$(formation_sql "$PROJECT" "$MONITOR" "select nodename from pgautofailover.node where nodename not in ('pgaf-node3', '$takeover')")

check "--check with pgaf-node3 marked absent: reports the switchover and the drop, changes nothing"
before=$(events)
playbook check_remove "$tmp/node3-absent.yml" --check
assert_contains "$(cat "$tmp/check_remove.log")" "would switch over from pgaf-node3 to $takeover" "prediction"
assert_contains "$(cat "$tmp/check_remove.log")" "drop node pgaf-node3" "prediction"
assert_eq "$(events)" "$before" "monitor events after --check"
node3_exists || fail "--check deleted pgaf-node3"

check "converge with pgaf-node3 absent, under the write probe: fenced switchover, drop, container deleted"
under_probe remove "$tmp/node3-absent.yml"
assert_contains "$(cat "$tmp/remove.log")" "switch over from pgaf-node3 to $takeover" "removal output"
assert_contains "$(cat "$tmp/remove.log")" "lower number_sync_standbys to 0" "removal output"
formation_wait_healthy "$PROJECT" "$MONITOR" 60 || fail "two nodes not healthy after the removal"
assert_eq "$(nodes)" "$(printf '%s\n' "$takeover:primary" "$other:secondary" | sort | paste -sd' ')" "nodes after the scale-in"
assert_eq "$(nss)" 0 "number_sync_standbys with one standby"
other_id=$(formation_sql "$PROJECT" "$MONITOR" "select nodeid from pgautofailover.node where nodename = '$other'")
assert_eq "$(psql_node "$takeover" "show synchronous_standby_names")" "ANY 1 (pgautofailover_standby_$other_id)" "synchronous_standby_names"
! node3_exists || fail "the container of pgaf-node3 was not deleted"

check "the next converge (pgaf-node3 still marked absent) is changed=0"
playbook rerun "$tmp/node3-absent.yml"
lab_assert_unchanged "$tmp/rerun.log" "the re-run"
echo "PASS"
