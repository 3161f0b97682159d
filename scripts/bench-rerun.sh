#!/usr/bin/env bash
# Benchmark: how long a converge of an already converged lab takes, and
# whether it really changes nothing. Prints one line of figures per run.
#   scripts/bench-rerun.sh [RUNS] [INVENTORY]     (defaults: 3, inventory/lab.yml)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../tests/lib/lab.sh
source tests/lib/lab.sh

runs=${1:-3}
inventory=${2:-inventory/lab.yml}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "re-run benchmark: $runs converges of $inventory on $(hostname), $(nproc) cores, $(date -u +%F)"
for ((i = 1; i <= runs; i++)); do
	start=$(date +%s.%N)
	lab_playbook "$inventory" >"$log" 2>&1 || { tail -30 "$log"; echo "run $i failed"; exit 1; }
	end=$(date +%s.%N)
	printf 'run %d: %s s, changed=%s\n' "$i" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')" "$(lab_recap_changed "$log")"
done
echo "module binary sizes (copied to the target by every task that uses them):"
for bin in library/*; do
	[[ -x "$bin" && ! -d "$bin" ]] || continue
	printf '    %-22s %s MB\n' "${bin#library/}" "$(awk -v s="$(stat -c %s "$bin")" 'BEGIN { printf "%.1f", s / 1e6 }')"
done
