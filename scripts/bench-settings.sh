#!/usr/bin/env bash
# Benchmark: rolling restarts for a PostgreSQL setting that needs one
# (max_connections, context postmaster), each under the write probe
# (bin/writeprobe commits a numbered row every 10 ms through the formation URI,
# then checks every acknowledged row is on the primary).
#   scripts/bench-settings.sh [CYCLES]   (default 5; inventory/lab.yml, PGAFHA_INVENTORY overrides)
# Each cycle raises max_connections by 10 (lowering it is refused) with the playbook's
# settings tasks (--tags settings: pgaf_settings writes and reloads, restarts
# the standby in maintenance, then the primary after a fenced switchover) and
# checks the value is in force, with nothing pending, on every data node.
# Prints one line per cycle and a summary; exits 1 if any cycle lost a commit
# or failed. PROBE_USER/PROBE_DB/PROBE_PASSWORD override the lab's.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../tests/lib/lab.sh
source tests/lib/lab.sh
# shellcheck source=SCRIPTDIR/../tests/lib/probe.sh
source tests/lib/probe.sh

cycles=${1:-5}
[[ $cycles =~ ^[0-9]+$ ]] || { echo "usage: $0 [CYCLES]" >&2; exit 64; }
inventory=${PGAFHA_INVENTORY:-inventory/lab.yml}
read -r project monitor _ nodes < <(lab_members "$inventory")
IFS=, read -r -a nodes <<<"$nodes"
[[ -x bin/writeprobe && -x library/pgaf_settings ]] || ./build.sh >/dev/null
probe_workdir bench-settings
node_sql() { incus exec --project "$project" --cwd /tmp "$1" -- su postgres -c "psql -X -At -d postgres -c \"$2\""; }

echo "settings benchmark: $cycles rolling restarts (max_connections) on ${nodes[*]}, project $project, $(hostname), $(nproc) cores, $(date -u +%F)"
formation_wait_healthy "$project" "$monitor" 120
failed=0
: >"$tmp/rows"
for ((i = 1; i <= cycles; i++)); do
	cur=$(node_sql "${nodes[0]}" "show max_connections")
	want=$((cur + 10))
	from=$(formation_primary "$project" "$monitor")
	probe_start "$project" "$monitor" "$tmp/probe-$i.json"
	sleep 2
	start=$(date +%s.%N)
	rc=0
	lab_playbook "$inventory" --tags settings -e "{\"postgres_ha_pg_settings\": {\"max_connections\": $want}}" >"$tmp/op-$i.log" 2>&1 || rc=$?
	took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	formation_wait_healthy "$project" "$monitor" 180 || rc=1
	sleep 1
	probe_rc=0
	probe_stop || probe_rc=$?
	PROBE_PID=
	in_force=yes
	for h in "${nodes[@]}"; do
		[[ $(node_sql "$h" "select setting || pending_restart::text from pg_settings where name = 'max_connections'") == "${want}false" ]] || in_force=no
	done
	read -r outage acked lost < <(probe_result "$tmp/probe-$i.json")
	ok=yes
	if ((rc != 0 || probe_rc != 0)) || [[ $in_force != yes ]]; then
		ok=no
		failed=$((failed + 1))
		tail -n 15 "$tmp/op-$i.log" | sed 's/^/      | /'
	fi
	printf 'cycle %2d: max_connections %s -> %s (primary was %s, now %s)  ok=%s  write outage %s s  acknowledged %s  lost %s  operation %s s\n' \
		"$i" "$cur" "$want" "$from" "$(formation_primary "$project" "$monitor")" "$ok" "$outage" "$acked" "$lost" "$took"
	printf '%s %s %s %s %s\n' "$ok" "$outage" "$acked" "$lost" "$took" >>"$tmp/rows"
done
probe_summary "$tmp/rows"
((failed == 0))
