#!/usr/bin/env bash
# Converge the user lab (inventory/lab.yml, Incus project `default`) with
# playbooks/postgres_ha.yml, then print the containers and their addresses.
# Extra arguments go to ansible-playbook (e.g. --check --diff, --tags common).
# Needs the host prepared by scripts/lab-host.sh and the modules built (./build.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../tests/lib/lab.sh
source tests/lib/lab.sh

INVENTORY=${PGAFHA_INVENTORY:-inventory/lab.yml}
[[ -x library/incus_instance ]] || { echo "converge-lab: library/incus_instance missing; run ./build.sh first" >&2; exit 1; }

echo "    inventory $INVENTORY, containers reached with community.general.$(lab_connection)"
lab_playbook "$INVENTORY" "$@"

project=$(ansible-inventory -i "$INVENTORY" --list | python3 -c '
import json, sys
hv = json.load(sys.stdin)["_meta"]["hostvars"]
print(next((v["ansible_incus_project"] for v in hv.values() if "ansible_incus_project" in v), "default"))')
printf '\n==> lab containers (Incus project %s)\n' "$project"
incus list --project "$project" --columns ns4t --format table
