#!/usr/bin/env bash
# Benchmark: scale-out and scale-in under the write probe (bin/writeprobe
# commits a numbered row every 10 ms through the formation URI, then checks
# every acknowledged row is on the primary).
#   scripts/bench-scale.sh [CYCLES]   (default 3; inventory/lab.yml, PGAFHA_INVENTORY overrides)
# Each cycle converges the formation twice with one more inventory source:
#   add     a third data node (container NAME, default pgaf-node3, at the
#           bridge's .13 address; PGAFHA_NEW_NODE / PGAFHA_NEW_NODE_IPV4 override):
#           created, registered, cloned; three healthy nodes, number_sync_standbys 1;
#   remove  the same host with postgres_ha_node_state: absent and
#           pgaf_lab_delete_container: true: dropped, number_sync_standbys back
#           to 0, container deleted; two healthy nodes.
# Prints one line per operation and a summary per kind; exits 1 if any lost a
# commit or failed. PROBE_USER/PROBE_DB/PROBE_PASSWORD override the lab's.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../tests/lib/lab.sh
source tests/lib/lab.sh
# shellcheck source=SCRIPTDIR/../tests/lib/probe.sh
source tests/lib/probe.sh

cycles=${1:-3}
[[ $cycles =~ ^[0-9]+$ ]] || { echo "usage: $0 [CYCLES]" >&2; exit 64; }
inventory=${PGAFHA_INVENTORY:-inventory/lab.yml}
read -r project monitor _ nodes < <(lab_members "$inventory")
new=${PGAFHA_NEW_NODE:-pgaf-node3}
monitor_ip=$(ansible-inventory -i "$inventory" --host "$monitor" | python3 -c 'import json, sys; print(json.load(sys.stdin)["pgaf_lab_ipv4"])')
new_ip=${PGAFHA_NEW_NODE_IPV4:-${monitor_ip%.*}.13}
[[ -x bin/writeprobe && -x library/pgaf_node ]] || ./build.sh >/dev/null
if incus info --project "$project" "$new" >/dev/null 2>&1; then
	echo "container $new exists already in project $project: choose another PGAFHA_NEW_NODE or delete it" >&2
	exit 1
fi
probe_workdir bench-scale
# inventory_for STATE: the new host as one more inventory source.
inventory_for() {
	printf 'all:\n  children:\n    postgres_ha:\n      children:\n        postgres_ha_nodes:\n          hosts:\n            %s:\n              pgaf_lab_ipv4: %s\n' "$new" "$new_ip"
	[[ $1 == present ]] || printf '              postgres_ha_node_state: absent\n              pgaf_lab_delete_container: true\n'
}
inventory_for present >"$tmp/add.yml"
inventory_for absent >"$tmp/remove.yml"
count_nodes() { formation_sql "$project" "$monitor" "select count(*) || ' ' || (select number_sync_standbys from pgautofailover.formation where formationid = 'default') from pgautofailover.node"; }

echo "scale benchmark: $cycles cycles of adding and removing $new ($new_ip) beside $nodes, project $project, $(hostname), $(nproc) cores, $(date -u +%F)"
formation_wait_healthy "$project" "$monitor" 120
base=$(($(tr ',' '\n' <<<"$nodes" | wc -l)))
failed=0
: >"$tmp/rows-add"
: >"$tmp/rows-remove"
for ((i = 1; i <= cycles; i++)); do
	for op in add remove; do
		want_nodes=$base
		[[ $op == remove ]] || want_nodes=$((base + 1))
		probe_start "$project" "$monitor" "$tmp/probe-$op-$i.json"
		sleep 2
		start=$(date +%s.%N)
		rc=0
		lab_playbook "$inventory" -i "$tmp/$op.yml" >"$tmp/$op-$i.log" 2>&1 || rc=$?
		took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		formation_wait_healthy "$project" "$monitor" 180 || rc=1
		sleep 1
		probe_rc=0
		probe_stop || probe_rc=$?
		PROBE_PID=
		shape=$(count_nodes)
		read -r outage acked lost < <(probe_result "$tmp/probe-$op-$i.json")
		ok=yes
		if ((rc != 0 || probe_rc != 0)) || [[ ${shape%% *} != "$want_nodes" ]]; then
			ok=no
			failed=$((failed + 1))
			tail -n 15 "$tmp/$op-$i.log" | sed 's/^/      | /'
		fi
		printf 'cycle %2d %-6s: nodes, number_sync_standbys %s  ok=%s  write outage %s s  acknowledged %s  lost %s  operation %s s\n' \
			"$i" "$op" "$shape" "$ok" "$outage" "$acked" "$lost" "$took"
		printf '%s %s %s %s %s\n' "$ok" "$outage" "$acked" "$lost" "$took" >>"$tmp/rows-$op"
	done
done
for op in add remove; do
	printf '%-6s ' "$op"
	probe_summary "$tmp/rows-$op"
done
((failed == 0))
