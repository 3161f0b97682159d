#!/usr/bin/env bash
# Benchmark: planned switchovers under a write load, each proven lossless by
# the write probe (bin/writeprobe commits a numbered row every 10 ms through the
# formation URI, then checks every acknowledged row is on the new primary).
#   scripts/bench-switchover.sh [CYCLES] [--race | --raw | --raw-race]   (default 20; inventory/lab.yml)
# Each cycle moves the primary to the other node with playbooks/switchover.yml
# (pgaf_switchover, fenced). --raw uses `pg_autoctl perform switchover` on the
# monitor instead, the unfenced path pg_auto_failover ships, for comparison.
# --raw-race asks the monitor for the same promotion inside a transaction held
# open for 2 s: the primary's keeper then reads its row before the promotion
# and decides after it, the stale-row race that assigns it wait_primary.
# --race forces that race on the fenced path too (postgres_ha_switchover_race_hold_seconds=2).
# Prints one line per cycle and a summary; exits 1 if any cycle lost a commit
# or failed. PGAFHA_INVENTORY, PROBE_USER/PROBE_DB/PROBE_PASSWORD override the lab's.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../tests/lib/lab.sh
source tests/lib/lab.sh
# shellcheck source=SCRIPTDIR/../tests/lib/probe.sh
source tests/lib/probe.sh

cycles=20 mode=fenced
for arg in "$@"; do
	case $arg in
	--race) mode=race-fenced ;;
	--raw) mode=raw ;;
	--raw-race) mode=race ;;
	[0-9]*) cycles=$arg ;;
	*) echo "usage: $0 [CYCLES] [--race | --raw | --raw-race]" >&2; exit 64 ;;
	esac
done
inventory=${PGAFHA_INVENTORY:-inventory/lab.yml}
read -r project monitor monitor_pgdata _ < <(lab_members "$inventory")
[[ -x bin/writeprobe && -x library/pgaf_switchover ]] || ./build.sh >/dev/null
probe_workdir bench-switchover

case $mode in
fenced) how="playbooks/switchover.yml (pgaf_switchover, fenced)" ;;
race-fenced) how="playbooks/switchover.yml (pgaf_switchover, fenced) with the stale-row race forced" ;;
raw) how="pg_autoctl perform switchover (unfenced)" ;;
race) how="perform_promotion in a transaction held 2 s (unfenced, stale-row race forced)" ;;
esac
echo "switchover benchmark: $cycles cycles with $how, project $project, $(hostname), $(nproc) cores, $(date -u +%F)"
formation_wait_healthy "$project" "$monitor" 120
failed=0
: >"$tmp/rows"
for ((i = 1; i <= cycles; i++)); do
	from=$(formation_primary "$project" "$monitor")
	to=$(formation_secondary "$project" "$monitor")
	probe_start "$project" "$monitor" "$tmp/probe-$i.json"
	sleep 2
	start=$(date +%s.%N)
	rc=0
	case $mode in
	fenced) lab_play "$inventory" playbooks/switchover.yml -e "postgres_ha_primary=$to" >"$tmp/op-$i.log" 2>&1 || rc=$? ;;
	race-fenced)
		lab_play "$inventory" playbooks/switchover.yml -e "postgres_ha_primary=$to" \
			-e postgres_ha_switchover_race_hold_seconds=2 >"$tmp/op-$i.log" 2>&1 || rc=$?
		;;
	raw)
		incus exec --project "$project" --cwd /tmp "$monitor" -- su postgres -c \
			"pg_autoctl perform switchover --pgdata $monitor_pgdata --formation default" >"$tmp/op-$i.log" 2>&1 || rc=$?
		;;
	race)
		formation_sql "$project" "$monitor" "begin; select pgautofailover.perform_promotion('default', '$to'); select pg_sleep(2); commit" \
			>"$tmp/op-$i.log" 2>&1 || rc=$?
		;;
	esac
	took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	formation_wait_healthy "$project" "$monitor" 180 || rc=1
	sleep 1
	probe_rc=0
	probe_stop || probe_rc=$?
	PROBE_PID=
	now=$(formation_primary "$project" "$monitor")
	read -r outage acked lost < <(probe_result "$tmp/probe-$i.json")
	ok=yes
	if ((rc != 0 || probe_rc != 0)) || [[ $now != "$to" ]]; then
		ok=no
		failed=$((failed + 1))
		tail -n 15 "$tmp/op-$i.log" | sed 's/^/      | /'
	fi
	printf 'cycle %2d: %s -> %s  ok=%s  write outage %s s  acknowledged %s  lost %s  operation %s s\n' \
		"$i" "$from" "$to" "$ok" "$outage" "$acked" "$lost" "$took"
	printf '%s %s %s %s %s\n' "$ok" "$outage" "$acked" "$lost" "$took" >>"$tmp/rows"
done
probe_summary "$tmp/rows"
((failed == 0))
