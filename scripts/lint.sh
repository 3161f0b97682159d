#!/usr/bin/env bash
# Lint everything that is not Go: YAML, Ansible content, shell scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "--- yamllint"
yamllint -s .

echo "--- ansible-lint"
# ansible-lint resolves our binary modules through ansible.cfg's library path.
ansible-lint -q playbooks/ roles/

echo "--- shellcheck"
mapfile -t scripts < <(git ls-files --cached --others --exclude-standard '*.sh' build.sh .ci/run tests/bin/ | sort -u)
shellcheck -x "${scripts[@]}"
