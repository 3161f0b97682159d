#!/usr/bin/env bash
# Benchmark: how often a command's output is lost when many `incus exec` run
# at once, for the two ways the tests can reach a container: plain `incus
# exec`, and tests/bin/lxc (Ansible's community.general.lxd path: its exec
# goes through tests/lib/incus_exec.py, the daemon records the output).
#   scripts/bench-exec.sh [EXECS] [PARALLEL]     (defaults: 1000, 6; inventory/lab.yml's containers)
# Each exec echoes a token, half of them read 4 KB from stdin as Ansible's
# pipelining does and echo its checksum; a run counts as lost when the exit
# code is not 0 or the output is not exactly what was sent. Prints one line
# per path: lost/total and the mean wall time per exec.
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

# $work/one PATH I: one exec through PATH (incus | wrapper); prints ok or lost.
cat >"$work/one" <<'ONE'
#!/usr/bin/env bash
path=$1 i=$2 rc=0
read -ra cs <<<"$BENCH_CONTAINERS"
c=${cs[$((i % ${#cs[@]}))]}
cli=(incus --project "$BENCH_PROJECT" exec "$c" --)
[[ $path == wrapper ]] && cli=("$BENCH_ROOT/tests/bin/lxc" --project "$BENCH_PROJECT" exec "local:$c" --)
if ((i % 2)); then
	out=$("${cli[@]}" /bin/sh -c 'md5sum | cut -d" " -f1' <"$BENCH_WORK/payload" 2>/dev/null) || rc=$?
	[[ $rc -eq 0 && $out == "$BENCH_SUM" ]] && echo ok || echo lost
else
	out=$("${cli[@]}" /bin/echo "token-$i" </dev/null 2>/dev/null) || rc=$?
	[[ $rc -eq 0 && $out == "token-$i" ]] && echo ok || echo lost
fi
ONE
chmod +x "$work/one"
export BENCH_ROOT=$ROOT BENCH_PROJECT=$project BENCH_WORK=$work BENCH_SUM=$want_sum BENCH_CONTAINERS="${containers[*]}"

echo "exec benchmark: $execs execs per path, $parallel at once, on $(hostname), $(nproc) cores, $(date -u +%F), $(incus --version)"
for path in incus wrapper; do
	start=$(date +%s.%N)
	seq 1 "$execs" | xargs -P "$parallel" -n 1 "$work/one" "$path" >"$work/$path.out"
	end=$(date +%s.%N)
	lost=$(grep -c '^lost$' "$work/$path.out" || true)
	total=$(wc -l <"$work/$path.out")
	printf '%-8s lost %d of %d (%s %%), %s s per exec (wall / execs × parallel)\n' "$path" "$lost" "$total" \
		"$(awk -v l="$lost" -v t="$total" 'BEGIN { printf "%.2f", 100 * l / t }')" \
		"$(awk -v a="$start" -v b="$end" -v n="$execs" -v p="$parallel" 'BEGIN { printf "%.3f", (b - a) / n * p }')"
done
