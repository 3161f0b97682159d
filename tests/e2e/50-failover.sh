#!/usr/bin/env bash
# The failover acceptance test for real, in the e2e project (pgaf-e2e):
#   - tests/test_pg_failover.sh exits 3 when the module is not built or
#     incus is missing;
#   - a real failover cycle with the write probe passes within the 60 s
#     target, lost_commits is 0, and the formation is healthy afterwards;
#   - with the standby stopped (incus stop) the baseline is unhealthy: exit 1,
#     nothing else stopped; the standby is then started again;
#   - a wrong monitor password is a setup error: exit 3, nothing stopped;
#   - an impossible target (0.001 s) exits 2 and the lab is still restored;
#   - Ctrl-C (SIGINT to the script's process group) once the primary is
#     stopped: exit 2, outcome aborted, the instance is running again;
#   - one cycle of each other fault (kill, standby_loss, monitor_loss,
#     partition, monitor_partition, freeze of 2 s): passed (freeze: ridden out), 0
#     lost, no split brain, healed, no nftables table left
#     (scripts/bench-failover.sh runs many).
# Needs the formation of tests/e2e/40-formation.sh (converged here if unhealthy).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../lib/assert.sh
source tests/lib/assert.sh
# shellcheck source=SCRIPTDIR/../lib/lab.sh
source tests/lib/lab.sh
# shellcheck source=SCRIPTDIR/../lib/probe.sh
source tests/lib/probe.sh

export INVENTORY=tests/inventory/e2e.yml
PROJECT=pgaf-e2e
MONITOR=pgaf-monitor
NODES=(pgaf-primary pgaf-replica)
HEAL_TIMEOUT=180

[[ -x ${PGAF_LIBRARY:-library}/pgaf_failover_test ]] || ./build.sh
incus admin waitready --timeout=5 >/dev/null 2>&1 || fail "incusd does not answer: run scripts/lab-host.sh first"

tmp=$(mktemp -d /tmp/pgafha-failover.XXXXXX)
cleanup() {
	# Whatever failed, leave both data nodes running for the next tests.
	local n
	nft delete table bridge pgafha_fault 2>/dev/null || true
	for n in "${NODES[@]}" "$MONITOR"; do
		[[ $(status "$n") == RUNNING ]] || incus start --project "$PROJECT" "$n" >/dev/null 2>&1 || true
	done
	rm -rf -- "$tmp"
}
trap cleanup EXIT

status() { incus list --project "$PROJECT" --format csv --columns s "^$1\$" 2>/dev/null; }

# formation prints "primaries secondaries unhealthy" as the monitor sees them.
formation() { formation_counts "$PROJECT" "$MONITOR"; }

primary() {
	incus exec --project "$PROJECT" "$MONITOR" -- su postgres -c "psql -X -q -At -d pg_auto_failover -c \"
		select nodename from pgautofailover.node where reportedstate = 'primary' and goalstate = 'primary'\"" 2>/dev/null
}

wait_healthy() {
	local deadline=$((SECONDS + HEAL_TIMEOUT)) got
	while ((SECONDS < deadline)); do
		got=$(formation)
		[[ $got == "1 1 0" ]] && return 0
		sleep 1
	done
	fail "formation not healthy within ${HEAL_TIMEOUT}s (primaries secondaries unhealthy: $got)"
}

# failover_test NAME [VAR=value...]: runs the entry point, keeps its output
# in $tmp/NAME.out and its JSON in $tmp/NAME.json, sets $rc.
failover_test() {
	local name=$1
	shift
	set +e
	env "$@" FAILOVER_RESULT="$tmp/$name.json" bash tests/test_pg_failover.sh >"$tmp/$name.out" 2>&1
	rc=$?
	set -e
	sed 's/^/    | /' "$tmp/$name.out"
}

check "missing module binary: exit 3"
failover_test nolib PGAF_LIBRARY="$tmp/no-such-library"
assert_eq "$rc" 3 "exit code without the module"
assert_contains "$(cat "$tmp/nolib.out")" "not built" "message"

check "incus not on PATH: exit 3"
mkdir "$tmp/bin"
for f in /usr/local/sbin/* /usr/local/bin/* /usr/sbin/* /usr/bin/* /sbin/* /bin/*; do
	b=$(basename "$f")
	[[ $b == incus || -e $tmp/bin/$b ]] || ln -s "$f" "$tmp/bin/$b"
done
failover_test noincus PATH="$tmp/bin"
assert_eq "$rc" 3 "exit code without incus"
assert_contains "$(cat "$tmp/noincus.out")" "incus is not on PATH" "message"

check "the e2e formation is healthy (converging it if not)"
if [[ $(formation) != "1 1 0" ]]; then
	for n in "${NODES[@]}" "$MONITOR"; do
		[[ $(status "$n") == RUNNING ]] || incus start --project "$PROJECT" "$n"
	done
	lab_playbook "$INVENTORY" >"$tmp/converge.log" 2>&1 || { tail -n 40 "$tmp/converge.log"; fail "converging the e2e formation failed"; }
	wait_healthy
fi
before=$(primary)

check "a real failover with the write probe passes within 60 s, lost_commits=0"
failover_test pass
if [[ $rc != 0 ]] && grep -q "no pg_hba.conf entry" "$tmp/pass.out"; then
	fail "the data nodes refuse the write probe: the Incus host needs a pg_hba rule for the application user (postgres_ha_app_user) on every data node"
fi
assert_eq "$rc" 0 "exit code of a failover cycle"
assert_eq "$(json_get "$tmp/pass.json" 'd["outcome"]')" passed "outcome"
assert_eq "$(json_get "$tmp/pass.json" 'd["lost_commits"]')" 0 "lost_commits"
assert_eq "$(json_get "$tmp/pass.json" 'd["rto_seconds"] < 60')" true "RTO under the target"
assert_eq "$(json_get "$tmp/pass.json" 'd["acknowledged_commits"] > 50')" true "the probe committed before and after"
assert_eq "$(json_get "$tmp/pass.json" 'd["write_outage_seconds"] is not None and d["write_outage_seconds"] > 0')" true "write outage measured"
assert_eq "$(json_get "$tmp/pass.json" 'd["cycles"][0]["verified"]')" true "rows read back from the new primary"
assert_eq "$(json_get "$tmp/pass.json" 'd["old_primary"]')" "$before" "old primary"
assert_eq "$(json_get "$tmp/pass.json" 'any(e["reported_state"] == "wait_primary" and e["source"] == "listen" for e in d["timeline"])')" true "promotion seen through LISTEN"
assert_eq "$(json_get "$tmp/pass.json" 'd["split_brain_windows"]')" 0 "split brain windows"
assert_eq "$(json_get "$tmp/pass.json" 'sorted({w["node"] for w in d["cycles"][0]["write_windows"]})')" '["pgaf-primary", "pgaf-replica"]' "the watcher saw each node accept writes"
assert_contains "$(cat "$tmp/pass.out")" "lost_commits=0" "printed summary"
assert_contains "$(cat "$tmp/pass.out")" "write outage:" "printed summary"
check "the formation is healthy afterwards, with the other node as primary"
assert_eq "$(formation)" "1 1 0" "formation after the failover"
assert_eq "$(primary)" "$(json_get "$tmp/pass.json" 'd["new_primary"]')" "primary after the failover"
[[ $(primary) != "$before" ]] || fail "the primary did not change"

check "standby stopped: unhealthy baseline, exit 1, nothing else stopped"
standby=$(json_get "$tmp/pass.json" 'd["old_primary"]') # the old primary rejoined as standby
incus stop --project "$PROJECT" "$standby"
failover_test degraded
assert_eq "$rc" 1 "exit code with the standby stopped"
assert_eq "$(json_get "$tmp/degraded.json" 'd["outcome"]')" unhealthy_baseline "outcome"
assert_contains "$(cat "$tmp/degraded.out")" "nothing was stopped" "message"
for n in "${NODES[@]}" "$MONITOR"; do
	[[ $n == "$standby" ]] && continue
	assert_eq "$(status "$n")" RUNNING "state of $n"
done
incus start --project "$PROJECT" "$standby"
wait_healthy

check "wrong monitor password: exit 3 (setup error), nothing stopped"
# The copy keeps the inventory's group_vars beside it, as Ansible finds them,
# and the formation's CA (postgres_ha_tls_dir is beside the inventory).
cp -r "$(dirname "$INVENTORY")/group_vars" "$(dirname "$INVENTORY")/.pgafha-pki" "$tmp/"
python3 - "$INVENTORY" "$tmp/wrong-password.yml" <<'PY'
import sys, yaml
inv = yaml.safe_load(open(sys.argv[1]))
inv["all"]["children"]["postgres_ha"]["vars"]["vault_pg_autoctl_password"] = "not-the-password"
yaml.safe_dump(inv, open(sys.argv[2], "w"))
PY
failover_test wrong-password INVENTORY="$tmp/wrong-password.yml"
assert_eq "$rc" 3 "exit code with a wrong monitor password"
assert_eq "$(json_get "$tmp/wrong-password.json" 'd["outcome"]')" setup_error "outcome"
for n in "${NODES[@]}" "$MONITOR"; do
	assert_eq "$(status "$n")" RUNNING "state of $n"
done

check "impossible target (0.001 s): exit 2, the lab is restored"
failover_test impossible RTO_TARGET_SECONDS=0.001
assert_eq "$rc" 2 "exit code with an impossible target"
assert_eq "$(json_get "$tmp/impossible.json" 'd["outcome"]')" target_missed "outcome"
assert_eq "$(json_get "$tmp/impossible.json" 'd["lost_commits"]')" 0 "lost_commits"
for n in "${NODES[@]}" "$MONITOR"; do
	assert_eq "$(status "$n")" RUNNING "state of $n after the missed target"
done
assert_eq "$(formation)" "1 1 0" "formation after the missed target"

check "Ctrl-C after the stop: exit 2, outcome aborted, the instance runs again"
set -m # the run gets its own process group, with SIGINT not ignored
env FAILOVER_RESULT="$tmp/int.json" bash tests/test_pg_failover.sh >"$tmp/int.out" 2>&1 &
job=$!
set +m
for _ in $(seq 1 100); do
	incus list --project "$PROJECT" --format csv --columns s | grep -q STOPPED && break
	sleep 0.2
done
sleep 1
kill -INT -- "-$job"
rc=0
wait "$job" || rc=$?
sed 's/^/    | /' "$tmp/int.out"
assert_eq "$rc" 2 "exit code after Ctrl-C"
assert_eq "$(json_get "$tmp/int.json" 'd["outcome"]')" aborted "outcome"
assert_eq "$(json_get "$tmp/int.json" 'd["cycles"][0]["restored"]')" true "restored"
for n in "${NODES[@]}" "$MONITOR"; do
	assert_eq "$(status "$n")" RUNNING "state of $n after Ctrl-C"
done
wait_healthy

# scenario_holds SCENARIO PYTHON-EXPR MESSAGE: the expression over the result.
scenario_holds() { assert_eq "$(json_get "$tmp/$1.json" "$2")" true "$1: $3"; }

for scenario in kill standby_loss monitor_loss partition monitor_partition freeze; do
	check "scenario $scenario: passes, 0 lost, no split brain, healed"
	# Healthy twice, 5 s apart: right after a restore the monitor may not
	# have reacted yet, and looks healthy for a moment.
	wait_healthy
	sleep 5
	wait_healthy
	before=$(primary)
	failover_test "$scenario" SCENARIO="$scenario" DOWN_SECONDS=8 FREEZE_SECONDS=2
	assert_eq "$rc" 0 "exit code of $scenario"
	assert_eq "$(json_get "$tmp/$scenario.json" 'd["lost_commits"]')" 0 "$scenario: lost_commits"
	assert_eq "$(json_get "$tmp/$scenario.json" 'd["split_brain_windows"]')" 0 "$scenario: split brain windows"
	scenario_holds "$scenario" 'd["acknowledged_commits"] > 50 and d["cycles"][0]["verified"]' "the probe wrote and the rows were read back"
	case $scenario in
	kill) scenario_holds "$scenario" 'd["rto_seconds"] is not None' "writes resumed on a new session" ;;
	standby_loss) scenario_holds "$scenario" 'd["rto_seconds"] is not None and d["new_primary"] == d["old_primary"]' "the primary went on alone, kept its role" ;;
	monitor_loss) scenario_holds "$scenario" 'd["cycles"][0]["failed_attempts"] == 0 and d["unknown_commits"] == 0 and d["new_primary"] == d["old_primary"]' "no write failed, no role changed" ;;
	partition) scenario_holds "$scenario" 'd["new_primary"] != d["old_primary"]' "the cut-off primary was replaced" ;;
	monitor_partition) scenario_holds "$scenario" 'len(d["cycles"][0]["notes"]) > 0' "what the monitor did is reported" ;;
	freeze) scenario_holds "$scenario" 'd["outcome"] == "ridden_out" and d["new_primary"] in (None, "", d["old_primary"])' "ridden out, no failover" ;;
	esac
	for n in "${NODES[@]}" "$MONITOR"; do
		assert_eq "$(status "$n")" RUNNING "$scenario: state of $n"
	done
	if nft list table bridge pgafha_fault >/dev/null 2>&1; then
		fail "$scenario left the nftables table bridge pgafha_fault"
	fi
	wait_healthy
	echo "    $scenario: primary $before -> $(primary)"
done

echo "ok: failover acceptance test (pass, unhealthy baseline, setup error, missed target, Ctrl-C, missing tools, kill, standby_loss, monitor_loss, partition, monitor_partition, freeze)"
