#!/usr/bin/env bash
# Failover benchmark (figures, not a pass/fail test): the fault matrix.
# Through tests/test_pg_failover.sh it runs N cycles of each scenario (a
# failing cycle does not end the set: the remaining cycles run in a new
# invocation) and prints, per scenario, passed/total, RTO, write outage and
# rejoin (p50 / p95 / max), acknowledged / lost / unknown commits and
# split-brain windows, as a Markdown table.
#
#   bash scripts/bench-failover.sh                     # stop=20 kill=20, 5 of each other scenario
#   bash scripts/bench-failover.sh stop=3 partition=2  # chosen scenarios and counts
#   bash scripts/bench-failover.sh --defaults [...]    # then the same with pg_auto_failover's
#                                                      # monitor defaults, restoring the current ones
# Scenarios: stop freeze kill standby_loss monitor_loss partition monitor_partition
# host_loss (see tests/test_pg_failover.sh; host_loss needs the multi-host lab:
# INVENTORY=inventory/multihost.yml bash scripts/bench-failover.sh host_loss=5).
# Environment: INVENTORY (inventory/lab.yml),
# FREEZE_SECONDS (3), DOWN_SECONDS (10), BENCH_RTO_TARGET (120: generous, so
# that every cycle runs and is measured even with slow settings), BENCH_OUT
# (also append the table there), BENCH_SVG_DIR (write one SVG timeline per
# scenario there, of its median-outage cycle).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export INVENTORY=${INVENTORY:-$ROOT/inventory/lab.yml}
export FREEZE_SECONDS=${FREEZE_SECONDS:-3}
export DOWN_SECONDS=${DOWN_SECONDS:-10}
BENCH_RTO_TARGET=${BENCH_RTO_TARGET:-120}
with_defaults=false
plan=()
for arg in "$@"; do
	case $arg in
	--defaults) with_defaults=true ;;
	stop=[1-9]* | freeze=[1-9]* | kill=[1-9]* | standby_loss=[1-9]* | monitor_loss=[1-9]* | partition=[1-9]* | monitor_partition=[1-9]* | host_loss=[1-9]*)
		plan+=("$arg") ;;
	*)
		echo "usage: $0 [--defaults] [SCENARIO=N ...] (scenarios: stop freeze kill standby_loss monitor_loss partition monitor_partition host_loss)" >&2
		exit 64
		;;
	esac
done
((${#plan[@]} > 0)) || plan=(stop=20 kill=20 freeze=5 standby_loss=5 monitor_loss=5 partition=5 monitor_partition=5)

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

# run_set LABEL: every scenario of the plan, results in $work/LABEL-SCENARIO-K.json.
run_set() {
	local label=$1 item scenario want done_cycles k rc ran
	for item in "${plan[@]}"; do
		scenario=${item%%=*} want=${item#*=} done_cycles=0 k=0
		while ((done_cycles < want)); do
			k=$((k + 1))
			say "$label: $scenario, cycles $((done_cycles + 1))-$want of $want"
			set +e
			SCENARIO=$scenario RTO_TARGET_SECONDS=$BENCH_RTO_TARGET CYCLES=$((want - done_cycles)) \
				FAILOVER_RESULT="$work/$label-$scenario-$k.json" bash "$ROOT/tests/test_pg_failover.sh"
			rc=$?
			set -e
			ran=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("cycles_run", 0))' "$work/$label-$scenario-$k.json" 2>/dev/null || echo 0)
			# 1 and 3: the formation or the setup is broken; more cycles would measure nothing.
			if ((rc == 1 || rc == 3 || ran == 0)); then
				echo "($scenario: exit $rc with no cycle run; the set stops here)" >&2
				break
			fi
			done_cycles=$((done_cycles + ran))
		done
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
python3 "$ROOT/scripts/lib/failover_table.py" "$work" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$machine" "$current_settings" "${BENCH_SVG_DIR:-}" "${labels[@]}" | tee -a "${BENCH_OUT:-/dev/null}"
