#!/usr/bin/env bash
# Failover benchmark (figures, not a pass/fail test). Through
# tests/test_pg_failover.sh it runs BENCH_CYCLES failovers in a row (each
# stops the primary of the moment, so the primary alternates) and
# BENCH_FREEZES freezes (`incus pause` of the primary for FREEZE_SECONDS, no
# failover expected), then prints RTO, write outage, rejoin time and commit
# counts (median and max) as a Markdown table.
#
#   bash scripts/bench-failover.sh             # the formation's current monitor settings
#   bash scripts/bench-failover.sh --defaults  # then also pg_auto_failover's defaults,
#                                              # restoring the current settings afterwards
# Environment: INVENTORY (inventory/lab.yml), BENCH_CYCLES (5), BENCH_FREEZES (3),
# FREEZE_SECONDS (3), BENCH_RTO_TARGET (120: generous, so that every cycle runs
# and is measured even with slow settings), BENCH_OUT (also append the table there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export INVENTORY=${INVENTORY:-$ROOT/inventory/lab.yml}
BENCH_CYCLES=${BENCH_CYCLES:-5}
BENCH_FREEZES=${BENCH_FREEZES:-3}
export FREEZE_SECONDS=${FREEZE_SECONDS:-3}
BENCH_RTO_TARGET=${BENCH_RTO_TARGET:-120}
with_defaults=false
[[ ${1:-} == --defaults ]] && with_defaults=true

# pg_auto_failover 2.0's defaults of the monitor's failure detection (ms).
DEFAULT_GUCS=(
	pgautofailover.health_check_period=5000
	pgautofailover.health_check_timeout=5000
	pgautofailover.health_check_max_retries=2
	pgautofailover.health_check_retry_delay=2000
	pgautofailover.node_considered_unhealthy_timeout=20000
	pgautofailover.primary_demote_timeout=30000
)

say() { printf '\n==> %s\n' "$*" >&2; }

work=$(mktemp -d)
saved_gucs=()
cleanup() {
	if ((${#saved_gucs[@]} > 0)); then
		say "restoring the monitor settings"
		set_gucs "${saved_gucs[@]}" || echo "WARNING: could not restore the monitor settings: ${saved_gucs[*]}" >&2
	fi
	rm -rf -- "$work"
}
trap cleanup EXIT

# The monitor container and its Incus project, from the inventory.
read -r MONITOR PROJECT < <(ansible-inventory -i "$INVENTORY" --list 2>/dev/null | python3 -c '
import json, sys
inv = json.load(sys.stdin)
mon = inv["postgres_ha_monitor"]["hosts"][0]
print(mon, inv["_meta"]["hostvars"].get(mon, {}).get("ansible_incus_project", "default"))')

monitor_sql() {
	incus exec --project "$PROJECT" "$MONITOR" -- su postgres -c "cd && psql -X -q -At -d pg_auto_failover -c \"$1\""
}

# get_gucs prints name=value for each pgautofailover.* setting of DEFAULT_GUCS.
get_gucs() {
	local g
	for g in "${DEFAULT_GUCS[@]}"; do
		printf '%s=%s\n' "${g%%=*}" "$(monitor_sql "select setting from pg_settings where name = '${g%%=*}'")"
	done
}

set_gucs() {
	local g
	for g in "$@"; do
		monitor_sql "alter system set ${g%%=*} = '${g#*=}'" >/dev/null
	done
	monitor_sql "select pg_reload_conf()" >/dev/null
	sleep 2 # the monitor's background worker picks the values up at its next round
}

# run_set LABEL: the failovers and the freezes, results in $work/LABEL-*.json.
run_set() {
	local label=$1 i rc
	say "$label: $BENCH_CYCLES failover(s)"
	set +e
	RTO_TARGET_SECONDS=$BENCH_RTO_TARGET CYCLES=$BENCH_CYCLES FAILOVER_RESULT="$work/$label-stop.json" \
		bash "$ROOT/tests/test_pg_failover.sh"
	rc=$?
	set -e
	((rc == 0)) || echo "(failover set ended with exit $rc; figures cover the cycles that ran)" >&2
	for ((i = 1; i <= BENCH_FREEZES; i++)); do
		say "$label: freeze $i of $BENCH_FREEZES (${FREEZE_SECONDS} s)"
		set +e
		SCENARIO=freeze FAILOVER_RESULT="$work/$label-freeze-$i.json" bash "$ROOT/tests/test_pg_failover.sh"
		rc=$?
		set -e
		# 2 = it failed over after all: a figure, not a reason to stop.
		((rc == 0 || rc == 2)) || exit "$rc"
	done
}

labels=("current")
current_settings=$(get_gucs | sed 's/^pgautofailover\.//' | tr '\n' ' ')
say "settings in effect: $current_settings"
run_set current
if $with_defaults; then
	mapfile -t saved_gucs < <(get_gucs)
	say "switching the monitor to pg_auto_failover's defaults"
	set_gucs "${DEFAULT_GUCS[@]}"
	labels+=("defaults")
	run_set defaults
	set_gucs "${saved_gucs[@]}"
	saved_gucs=()
	say "monitor settings restored: $(get_gucs | tr '\n' ' ')"
fi

machine="$(nproc) vCPU $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(free -g | awk '/^Mem:/{print $2}') GiB RAM, $(uname -sr), incus $(incus version 2>/dev/null | awk '/Server/{print $3}')"
python3 - "$work" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$machine" "$FREEZE_SECONDS" "$current_settings" "${labels[@]}" <<'PY' | tee -a "${BENCH_OUT:-/dev/null}"
import glob, json, statistics, sys

work, date, machine, freeze, current, labels = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]

def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    return f"{statistics.median(values):.1f} / {max(values):.1f} s"

print(f"\nFailover benchmark, {date}, {machine}")
print(f"Current monitor settings (ms): {current}")
print("pg_auto_failover defaults (ms): health_check_period=5000 health_check_timeout=5000 health_check_max_retries=2 "
      "health_check_retry_delay=2000 node_considered_unhealthy_timeout=20000 primary_demote_timeout=30000")
print("Probe: one commit every 10 ms through the formation URI, 1 s commit timeout, reconnect attempts every 0.1 s "
      "(1 s connect timeout per host). RTO = stop request to the standby's wait_primary report; write outage = last "
      "acknowledged commit before the stop to the first one after.\n")
print("| monitor settings | failovers passed | RTO median / max | write outage median / max | rejoin median / max "
      "| acknowledged / lost / unknown commits | freezes ridden out | freeze write outage median / max |")
print("|---|---|---|---|---|---|---|---|")
for label in labels:
    try:
        stop = json.load(open(f"{work}/{label}-stop.json"))
    except OSError:
        stop = {}
    cycles = stop.get("cycles") or []
    passed = sum(1 for c in cycles if c.get("outcome") == "passed")
    freezes = []
    for path in sorted(glob.glob(f"{work}/{label}-freeze-*.json")):
        freezes.extend(json.load(open(path)).get("cycles") or [])
    ridden = sum(1 for c in freezes if c.get("outcome") == "ridden_out")
    name = "current (role)" if label == "current" else "pg_auto_failover defaults"
    print(f"| {name} | {passed}/{len(cycles)} | {spread(c.get('rto_seconds') for c in cycles)} "
          f"| {spread(c.get('write_outage_seconds') for c in cycles)} | {spread(c.get('rejoin_seconds') for c in cycles)} "
          f"| {sum(c.get('acknowledged_commits', 0) for c in cycles)} / {sum(c.get('lost_commits', 0) for c in cycles)} "
          f"/ {sum(c.get('unknown_commits', 0) for c in cycles)} "
          f"| {ridden}/{len(freezes)} ({freeze} s pause) | {spread(c.get('write_outage_seconds') for c in freezes)} |")
PY
