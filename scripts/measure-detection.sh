#!/usr/bin/env bash
# Measure both sides of the failure-detection trade-off on a converged lab
# formation (playbooks/postgres_ha.yml), from the Incus host:
#   - hard stop: `incus stop --force` of the primary's container; the monitor's
#     promotion time (RTO) and the write outage seen by an independent client
#     committing numbered rows through the formation URI, and lost commits;
#   - freezes: `incus pause` of the primary for 1..4 s, then `incus start`;
#     whether the monitor failed over (it should not, for short stalls).
# After each case the formation is healed and waits to be at rest again.
#
# Usage: scripts/measure-detection.sh            (e2e lab: project pgaf-e2e)
# Environment:
#   PROJECT=pgaf-e2e|default   Incus project of the lab (default pgaf-e2e)
#   HARD_RUNS=3                hard stops to measure
#   FREEZES="1 2 3 4"          freeze durations (s); FREEZE_RUNS=2 runs each
#   MONITOR_SETTINGS="node_considered_unhealthy_timeout=4000 primary_demote_timeout=1000"
#                              monitor GUCs (ms) to try instead of the current ones;
#                              the originals are restored at the end
#   AUTOCTL_PASSWORD           autoctl_node password (default: the lab placeholder)
# Traffic goes only to the lab containers on the project's bridge. Every wait
# is bounded; the script exits non-zero if the formation does not heal.
set -euo pipefail

PROJECT=${PROJECT:-pgaf-e2e}
HARD_RUNS=${HARD_RUNS:-3}
FREEZES=${FREEZES-1 2 3 4}
FREEZE_RUNS=${FREEZE_RUNS:-2}
MONITOR_SETTINGS=${MONITOR_SETTINGS:-}
AUTOCTL_PASSWORD=${AUTOCTL_PASSWORD:-changeme-DEV-ONLY}
MONITOR=pgaf-monitor
PROBE_USER=pgafha_probe
PROBE_PASSWORD=probe-$RANDOM$RANDOM
HEAL_TIMEOUT=120

die() {
	echo "measure-detection: $*" >&2
	exit 1
}
command -v psql >/dev/null || die "psql is needed on this host (postgresql-client)"

ct() { incus exec --project "$PROJECT" "$@" </dev/null; }
mon_ip=$(incus list "$MONITOR" --project "$PROJECT" --format csv --columns 4 | cut -d' ' -f1)
[[ -n $mon_ip ]] || die "container $MONITOR of project $PROJECT has no address: converge the lab first"
MONITOR_URI="postgres://autoctl_node@$mon_ip:5432/pg_auto_failover?sslmode=require&connect_timeout=2"
host_ip=$(incus network get "$(incus config device get "$MONITOR" eth0 network --project "$PROJECT")" ipv4.address | cut -d/ -f1)

mon() { PGPASSWORD=$AUTOCTL_PASSWORD timeout 5 psql -X -At "$MONITOR_URI" -c "$1"; }
# pg_on HOST PSQL-ARGS...: psql as the postgres superuser inside a container.
pg_on() { ct "$1" --cwd /tmp -- runuser -u postgres -- psql -X -At "${@:2}"; }
# mon_pg SQL: as the superuser on the monitor (ALTER SYSTEM).
mon_pg() { pg_on "$MONITOR" -d pg_auto_failover -c "$1"; }
primary() { mon "select nodename from pgautofailover.node where reportedstate = 'primary' and goalstate = 'primary'"; }
# at_rest: two nodes, one primary and one secondary, both reached their goal.
at_rest() {
	[[ $(mon "select count(*) filter (where reportedstate = goalstate and reportedstate in ('primary','secondary')) || '/' || count(*) from pgautofailover.node" 2>/dev/null) == 2/2 ]]
}
wait_rest() {
	local t0=$SECONDS
	until at_rest; do
		((SECONDS - t0 < HEAL_TIMEOUT)) || die "the formation did not come back to primary+secondary within $HEAL_TIMEOUT s"
		sleep 0.5
	done
}
now() { date +%s.%N; }

# --- the independent client: a role allowed from this host on both nodes ---
nodes=$(mon "select nodename || ' ' || nodehost from pgautofailover.node order by nodeid")
[[ $(wc -l <<<"$nodes") -eq 2 ]] || die "expected 2 data nodes, the monitor has: $nodes"
furi=$(mon "select pgautofailover.formation_uri('default', 'default', 'require')")
furi=${furi/postgres:\/\//postgres://$PROBE_USER@}
hba_line="hostssl postgres $PROBE_USER $host_ip/32 scram-sha-256 # pgafha measure-detection"
hba_edit() { # hba_edit add|remove
	local name hba
	while read -r name _; do
		hba=$(pg_on "$name" -c 'show hba_file')
		if [[ $1 == add ]]; then
			ct "$name" -- sh -c "grep -q 'pgafha measure-detection' $hba || echo '$hba_line' >>$hba"
		else
			ct "$name" -- sed -i '/pgafha measure-detection/d' "$hba"
		fi
		pg_on "$name" -c 'select pg_reload_conf()' >/dev/null
	done <<<"$nodes"
}

orig_settings=
restore() {
	set +e
	[[ -n ${writer_pid:-} ]] && kill "$writer_pid" 2>/dev/null
	for c in $(incus list --project "$PROJECT" --format csv --columns ns | awk -F, '$2 != "RUNNING" {print $1}'); do
		incus start "$c" --project "$PROJECT" 2>/dev/null
	done
	if [[ -n $orig_settings ]]; then
		for kv in $orig_settings; do mon_pg "alter system set pgautofailover.${kv%%=*} = '${kv#*=}'" >/dev/null; done
		mon_pg "select pg_reload_conf()" >/dev/null
	fi
	hba_edit remove
	local p
	p=$(primary 2>/dev/null)
	[[ -n $p ]] && pg_on "$p" -q -c "drop table if exists pgafha_probe" -c "drop role if exists $PROBE_USER" >/dev/null 2>&1
	[[ -n ${work:-} && -z ${KEEP_WORK:-} ]] && rm -rf "$work"
}
trap restore EXIT
work=$(mktemp -d /tmp/pgafha-measure.XXXXXX)

wait_rest
p=$(primary)
pg_on "$p" -q -c "drop table if exists pgafha_probe" -c "drop role if exists $PROBE_USER" \
	-c "create table pgafha_probe (n bigint primary key, at timestamptz default now())" \
	-c "create role $PROBE_USER login password '$PROBE_PASSWORD'" -c "grant insert, select on pgafha_probe to $PROBE_USER" >/dev/null 2>&1
hba_edit add

if [[ -n $MONITOR_SETTINGS ]]; then
	for kv in $MONITOR_SETTINGS; do
		orig_settings+=" ${kv%%=*}=$(mon "show pgautofailover.${kv%%=*}")"
		mon_pg "alter system set pgautofailover.${kv%%=*} = '${kv#*=}'" >/dev/null
	done
	mon_pg "select pg_reload_conf()" >/dev/null
	sleep 1
fi
echo "monitor settings: $(mon "select string_agg(replace(name, 'pgautofailover.', '') || '=' || setting, ' ' order by name) from pg_settings where name ~ 'health_check|unhealthy|demote'")"
echo "keepers: network_partition_timeout=$(ct "$p" --cwd /tmp -- runuser -u postgres -- sh -c "cd && pg_autoctl config get timeout.network_partition_timeout --pgdata $(pg_on "$p" -c 'show data_directory')") s"

# writer: one numbered commit every ~50 ms, each bounded to 3 s on the client
# side (a stopped server never answers); logs "time ok|fail n".
writer() { # writer FIRST: numbers start after FIRST (unique across runs)
	local n=$1
	while :; do
		n=$((n + 1))
		if err=$(PGPASSWORD=$PROBE_PASSWORD timeout 3 psql -X -At "$furi&connect_timeout=1" \
			-c "insert into pgafha_probe (n) values ($n)" 2>&1 >/dev/null); then
			echo "$(now) ok $n"
		else
			echo "$(now) fail $n ${err%%$'\n'*}"
		fi
		sleep 0.05
	done
}

# outage LOG T0: longest gap between two successful commits around T0.
outage() {
	awk -v t0="$2" '$2 == "ok" { if (prev != "" && $1 > t0 && prev < t0 + 120 && $1 - prev > gap) gap = $1 - prev; prev = $1 }
		END { printf "%.1f", gap }' "$1"
}
lost() { # lost LOG: commits the client saw succeed that are not in the table
	local p ids
	p=$(primary)
	ids=$(awk '$2 == "ok" {print $3}' "$1" | paste -sd, -)
	[[ -n $ids ]] || { echo 0; return; }
	pg_on "$p" -c "select count(*) from unnest('{$ids}'::bigint[]) i where not exists (select 1 from pgafha_probe where n = i)"
}

echo
echo "hard stop of the primary's container (incus stop --force)"
printf '  %-4s %-14s %-14s %-12s %s\n' run stopped promoted "RTO (s)" "client write outage (s), lost commits"
for run in $(seq 1 "$HARD_RUNS"); do
	wait_rest
	old=$(primary)
	log=$work/hard$run.log
	writer "$((run * 1000000))" >"$log" &
	writer_pid=$!
	sleep 3
	t0=$(now)
	incus stop --force "$old" --project "$PROJECT"
	t1=
	until [[ -n $t1 ]]; do
		p=$(mon "select nodename from pgautofailover.node where nodename <> '$old' and goalstate in ('wait_primary','primary')" 2>/dev/null || true)
		[[ -n $p ]] && t1=$(now)
		awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 120) }' && die "no promotion within 120 s"
		sleep 0.2
	done
	# Let the client reach the new primary, then heal the old one.
	sleep 8
	kill "$writer_pid"
	writer_pid=
	incus start "$old" --project "$PROJECT"
	wait_rest
	printf '  %-4s %-14s %-14s %-12s %s, %s\n' "$run" "$old" "$p" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" \
		"$(outage "$log" "$t0")" "$(lost "$log")"
done

echo
echo "freeze of the primary's container (incus pause, then incus start)"
printf '  %-10s %-4s %s\n' freeze run "failed over?"
for d in $FREEZES; do
	for run in $(seq 1 "$FREEZE_RUNS"); do
		wait_rest
		old=$(primary)
		incus pause "$old" --project "$PROJECT"
		sleep "$d"
		incus start "$old" --project "$PROJECT"
		# A failover, if any, is decided within the demote timeout after the thaw.
		sleep 6
		wait_rest
		new=$(primary)
		printf '  %-10s %-4s %s\n' "${d} s" "$run" "$([[ $new == "$old" ]] && echo no || echo "YES ($old → $new)")"
	done
done
