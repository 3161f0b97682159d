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

# Each Incus host (remote) and project the inventory places containers on.
ansible-inventory -i "$INVENTORY" --list | python3 -c '
import json, sys
hv = json.load(sys.stdin)["_meta"]["hostvars"]
seen = set()
for v in hv.values():
    if "ansible_incus_project" in v or "ansible_incus_remote" in v:
        seen.add((v.get("ansible_incus_remote", "local"), v.get("ansible_incus_project", "default")))
for remote, project in sorted(seen) or [("local", "default")]:
    print(remote, project)' | while read -r remote project; do
	printf '\n==> lab containers (Incus host %s, project %s)\n' "$remote" "$project"
	incus list "$remote:" --project "$project" --columns ns4t --format table
done
