# shellcheck shell=bash
# The formation as its monitor sees it, and the write probe (bin/writeprobe)
# around an operation, shared by tests/e2e/*.sh and scripts/bench-*.sh (source it).
#
#   formation_sql PROJECT MONITOR SQL           runs SQL in the monitor's database, prints rows
#   formation_counts PROJECT MONITOR            "<settled primaries> <settled secondaries> <unhealthy>"
#                                               ("monitor unreachable" when it does not answer)
#   formation_primary PROJECT MONITOR           the settled primary's node name
#   formation_secondary PROJECT MONITOR         the first settled, healthy secondary's name
#   formation_wait_healthy PROJECT MONITOR S    waits up to S s for one primary and every other
#                                               node a healthy settled secondary
#   probe_workdir NAME                          makes $tmp (/tmp/pgafha-NAME.XXXXXX) and an EXIT trap
#                                               that stops a running probe and removes $tmp
#                                               (KEEP_TMP=1 keeps it)
#   probe_start PROJECT MONITOR OUT             starts bin/writeprobe through the formation URI
#                                               (PROBE_USER, PROBE_DB, PROBE_PASSWORD: lab defaults),
#                                               its JSON result to OUT; sets PROBE_PID
#   probe_stop                                  stops it; its exit code (0: nothing lost)
#   probe_field FILE KEY                        one value of its JSON result
#   probe_result FILE                           "outage acknowledged lost" of a result ("?" if missing)
#   probe_summary ROWS                          the summary line of a benchmark: ROWS has one line
#                                               per cycle, "ok outage acknowledged lost seconds"

formation_sql() {
	incus exec --project "$1" --cwd /tmp "$2" -- su postgres -c "psql -X -q -At -F' ' -d pg_auto_failover -c \"$3\""
}

# formation_counts: an oracle independent of the modules under test.
formation_counts() {
	lab_read formation_sql "$1" "$2" "select count(*) filter (where reportedstate = 'primary' and goalstate = 'primary' and health = 1),
		count(*) filter (where reportedstate = 'secondary' and goalstate = 'secondary' and health = 1),
		count(*) filter (where health <> 1)
		from pgautofailover.node" 2>/dev/null || echo "monitor unreachable"
}

formation_primary() {
	formation_sql "$1" "$2" "select nodename from pgautofailover.node where reportedstate = 'primary' and goalstate = 'primary'"
}

formation_secondary() {
	formation_sql "$1" "$2" "select nodename from pgautofailover.node where reportedstate = 'secondary' and goalstate = 'secondary' and health = 1 order by nodeid limit 1"
}

formation_wait_healthy() {
	local deadline=$((SECONDS + $3)) got=""
	while ((SECONDS < deadline)); do
		got=$(formation_sql "$1" "$2" "select count(*) filter (where reportedstate = 'primary' and goalstate = 'primary' and health = 1),
			count(*) filter (where not (reportedstate = 'secondary' and goalstate = 'secondary' and health = 1)) - 1
			from pgautofailover.node" 2>/dev/null || true)
		[[ $got == "1 0" ]] && return 0
		sleep 0.5
	done
	echo "formation not healthy within $3 s (primaries, other unsettled nodes: ${got:-monitor unreachable})" >&2
	return 1
}

probe_workdir() {
	# shellcheck disable=SC2034 # tmp and PROBE_PID are the caller's
	tmp=$(mktemp -d "/tmp/pgafha-$1.XXXXXX") PROBE_PID=
	trap '[[ -z $PROBE_PID ]] || kill -TERM "$PROBE_PID" 2>/dev/null || true; [[ -n ${KEEP_TMP:-} ]] || rm -rf -- "$tmp"' EXIT
}

probe_start() {
	local project=$1 monitor=$2 out=$3 uri
	uri=$(formation_sql "$project" "$monitor" "select pgautofailover.formation_uri('default', 'default', 'require')") || return 1
	: >"$out.log"
	WRITEPROBE_URI=$uri WRITEPROBE_PASSWORD=${PROBE_PASSWORD:-changeme-DEV-ONLY} \
		"${LAB_ROOT:-.}/bin/writeprobe" -user "${PROBE_USER:-app}" -dbname "${PROBE_DB:-app}" -result "$out" \
		>/dev/null 2>"$out.log" &
	PROBE_PID=$!
	local deadline=$((SECONDS + 30))
	until grep -q '^writeprobe: writing' "$out.log"; do
		if ! kill -0 "$PROBE_PID" 2>/dev/null || ((SECONDS >= deadline)); then
			cat "$out.log" >&2
			return 1
		fi
		sleep 0.2
	done
}

probe_stop() {
	local rc=0
	kill -TERM "$PROBE_PID" 2>/dev/null || true
	wait "$PROBE_PID" || rc=$?
	return "$rc"
}

probe_field() {
	python3 -c 'import json, sys; v = json.load(open(sys.argv[1])).get(sys.argv[2]); print("null" if v is None else v)' "$1" "$2"
}

probe_result() {
	local k
	for k in write_outage_seconds acknowledged_commits lost_commits; do
		printf '%s ' "$(probe_field "$1" "$k" 2>/dev/null || echo '?')"
	done
	echo
}

probe_summary() {
	python3 - "$1" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def num(v):
    try: return float(v)
    except ValueError: return None
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")
out = [x for x in (num(r[1]) for r in rows) if x is not None]
took = [x for x in (num(r[4]) for r in rows) if x is not None]
acked = sum(int(r[2]) for r in rows if r[2].isdigit())
lost = sum(int(r[3]) for r in rows if r[3].isdigit())
passed = sum(r[0] == "yes" for r in rows)
lossy = sum(1 for r in rows if r[3].isdigit() and int(r[3]) > 0)
print(f"summary: {passed}/{len(rows)} passed; write outage p50 {statistics.median(out):.2f} s, "
      f"p95 {pct(out, 95):.2f} s, max {max(out):.2f} s; acknowledged {acked}, lost {lost} "
      f"(in {lossy} cycles); operation p50 {statistics.median(took):.1f} s")
PY
}
