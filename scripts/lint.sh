#!/usr/bin/env bash
# Lint everything that is not Go: YAML, Ansible content, shell scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "--- yamllint"
yamllint -s .

echo "--- ansible-lint"
# ansible-lint resolves our binary modules through ansible.cfg's library path.
ansible-lint -q playbooks/ roles/

echo "--- ansible-playbook --syntax-check, and every task tagged"
for pb in playbooks/*.yml; do
	ansible-playbook -i inventory/lab.yml "$pb" --syntax-check >/dev/null 2>&1 || ansible-playbook -i inventory/lab.yml "$pb" --syntax-check
	untagged=$(ansible-playbook -i inventory/lab.yml "$pb" --list-tasks 2>/dev/null | grep -E '^ {6}' | grep -v 'TAGS: \[[a-z]' || true)
	[[ -z "$untagged" ]] || { echo "$pb: tasks without tags:"; echo "$untagged"; exit 1; }
done

echo "--- shellcheck"
mapfile -t scripts < <(git ls-files --cached --others --exclude-standard '*.sh' build.sh .ci/run tests/bin/ tests/lib/incus-cli | sort -u)
shellcheck -x "${scripts[@]}"
