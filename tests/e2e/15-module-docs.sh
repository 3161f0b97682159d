#!/usr/bin/env bash
# Every module has a sidecar doc that ansible-doc renders, and it documents
# exactly the options the Go code declares.
set -euo pipefail
cd "$(dirname "$0")/../.."

modules=()
for dir in modules/*/; do
	modules+=("$(basename "$dir")")
done

for m in "${modules[@]}"; do
	[[ -x "library/$m" ]] || { echo "FAIL: library/$m is not built (run ./build.sh)"; exit 1; }
	[[ -f "library/$m.yml" ]] || { echo "FAIL: $m has no sidecar doc modules/$m/$m.yml"; exit 1; }
	out=$(ansible-doc -M library "$m" 2>&1) || { echo "FAIL: ansible-doc $m:"; echo "$out"; exit 1; }
	grep -q "OPTIONS" <<<"$out" || { echo "FAIL: ansible-doc $m shows no OPTIONS"; exit 1; }
	grep -q "EXAMPLES" <<<"$out" || { echo "FAIL: ansible-doc $m shows no EXAMPLES"; exit 1; }
	grep -q "RETURN VALUES" <<<"$out" || { echo "FAIL: ansible-doc $m shows no RETURN VALUES"; exit 1; }
	echo "ok: ansible-doc renders $m"
done

python3 tests/lib/check_module_docs.py library "${modules[@]}"
echo "ok: sidecar docs match the declared options of ${#modules[@]} modules"
