#!/usr/bin/env bash
# Planned switchover of the lab formation: make NODE the primary, losing no
# commit (playbooks/switchover.yml → pgaf_switchover). Extra arguments go to
# ansible-playbook (e.g. --check --diff).
#   scripts/switchover.sh NODE [ansible-playbook args...]
# PGAFHA_INVENTORY selects another inventory (default inventory/lab.yml).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../tests/lib/lab.sh
source tests/lib/lab.sh

[[ $# -ge 1 && $1 != -* ]] || { echo "usage: $0 NODE [ansible-playbook args...]" >&2; exit 64; }
node=$1
shift
[[ -x library/pgaf_switchover ]] || ./build.sh >/dev/null
lab_play "${PGAFHA_INVENTORY:-inventory/lab.yml}" playbooks/switchover.yml -e "postgres_ha_primary=$node" "$@"
