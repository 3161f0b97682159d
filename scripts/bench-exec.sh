#!/usr/bin/env bash
# Benchmark: how often a command's output is lost when many `incus exec` run
# at once, for the two ways the tests can reach a container: plain `incus
# exec`, and tests/lib/incus-cli (as tests/bin/lxc; the `incus` the tests put
# under both connection plugins): its exec goes through tests/lib/incus_exec.py,
# the daemon records the output.
#   scripts/bench-exec.sh [EXECS] [PARALLEL]     (defaults: 1000, 6; inventory/lab.yml's containers)
# The operations rotate: an exec that echoes a token; an exec that reads 4 KB
# from stdin (as Ansible's pipelining does) and echoes its checksum; a 10 MB
# file push (as Ansible's put_file of a binary module) read back by checksum.
# One counts as lost when an exit code is not 0 or the output is not exactly
# what was sent. Prints one line per path: lost/total, by kind, and the mean
# wall time per operation.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

execs=${1:-1000}
parallel=${2:-6}
project=${PGAFHA_PROJECT:-default}
containers=(pgaf-monitor pgaf-primary pgaf-replica)
for c in "${containers[@]}"; do
	incus info "$c" --project "$project" >/dev/null 2>&1 || { echo "container $c (project $project) not found: run ./build.sh lab first" >&2; exit 3; }
done
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
head -c 4096 /dev/urandom | base64 -w0 >"$work/payload"
want_sum=$(md5sum <"$work/payload" | cut -d' ' -f1)
head -c 10000000 /dev/urandom >"$work/big"
big_sum=$(md5sum <"$work/big" | cut -d' ' -f1)

# $work/one PATH I: one exec through PATH (incus | wrapper); prints ok or lost.
cat >"$work/one" <<'ONE'
#!/usr/bin/env bash
path=$1 i=$2 rc=0
read -ra cs <<<"$BENCH_CONTAINERS"
c=${cs[$((i % ${#cs[@]}))]}
cli=(incus --project "$BENCH_PROJECT" exec "$c" --)
[[ $path == wrapper ]] && cli=("$BENCH_ROOT/tests/bin/lxc" --project "$BENCH_PROJECT" exec "local:$c" --)
case $((i % 3)) in
0)
	out=$("${cli[@]}" /bin/echo "token-$i" </dev/null 2>/dev/null) || rc=$?
	[[ $rc -eq 0 && $out == "token-$i" ]] && echo "ok exec" || echo "lost exec"
	;;
1)
	out=$("${cli[@]}" /bin/sh -c 'md5sum | cut -d" " -f1' <"$BENCH_WORK/payload" 2>/dev/null) || rc=$?
	[[ $rc -eq 0 && $out == "$BENCH_SUM" ]] && echo "ok stdin" || echo "lost stdin"
	;;
2)
	# A module-sized file pushed, then read back (as Ansible's put_file + exec).
	dest=/tmp/bench-push-$i
	if [[ $path == wrapper ]]; then
		"$BENCH_ROOT/tests/bin/lxc" --project "$BENCH_PROJECT" file push "$BENCH_WORK/big" "local:$c/$dest" >/dev/null 2>&1 || rc=$?
	else
		incus --project "$BENCH_PROJECT" file push --quiet "$BENCH_WORK/big" "$c$dest" >/dev/null 2>&1 || rc=$?
	fi
	out=$(incus --project "$BENCH_PROJECT" exec "$c" -- /bin/sh -c "md5sum <$dest | cut -d' ' -f1; rm -f $dest" 2>/dev/null) || rc=$?
	[[ $rc -eq 0 && $out == "$BENCH_BIG_SUM" ]] && echo "ok push" || echo "lost push"
	;;
esac
ONE
chmod +x "$work/one"
export BENCH_ROOT=$ROOT BENCH_PROJECT=$project BENCH_WORK=$work BENCH_SUM=$want_sum BENCH_BIG_SUM=$big_sum BENCH_CONTAINERS="${containers[*]}"

echo "exec benchmark: $execs execs per path, $parallel at once, on $(hostname), $(nproc) cores, $(date -u +%F), $(incus --version)"
for path in incus wrapper; do
	start=$(date +%s.%N)
	seq 1 "$execs" | xargs -P "$parallel" -n 1 "$work/one" "$path" >"$work/$path.out"
	end=$(date +%s.%N)
	per_kind=$(sort "$work/$path.out" | uniq -c | awk '{ n[$3] += $1; if ($2 == "lost") l[$3] += $1 } END { for (k in n) printf " %s %d/%d", k, l[k], n[k] }')
	lost=$(grep -c '^lost' "$work/$path.out" || true)
	total=$(wc -l <"$work/$path.out")
	printf '%-8s lost %d of %d (%s %%; by kind, lost/total:%s), %s s per operation (wall / operations × parallel)\n' "$path" "$lost" "$total" \
		"$(awk -v l="$lost" -v t="$total" 'BEGIN { printf "%.2f", 100 * l / t }')" "$per_kind" \
		"$(awk -v a="$start" -v b="$end" -v n="$execs" -v p="$parallel" 'BEGIN { printf "%.3f", (b - a) / n * p }')"
done
