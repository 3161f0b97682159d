#!/usr/bin/env bash
# The shipped connection on a current Ansible: from a Debian 13 controller
# (scripts/controller-debian13.sh: ansible-core 2.19, community.general.incus
# with the `incus` client of Debian 13 behind tests/bin-incus/incus, which
# only takes exec and file push past the client's output loss, see
# tests/lib/incus-cli), on the e2e containers (project pgaf-e2e), deleted first:
#   - a converge of freshly launched containers builds a healthy formation;
#   - a re-run and a --check --diff run are changed=0 (timed: the no-op converge on 2.19);
#   - the failover test (tests/test_pg_failover.sh, stop scenario) passes;
#   - after the failover (roles swapped) a re-run is still changed=0.
# Debian 12's Ansible (2.14, community.general.lxd with tests/bin/lxc, the same
# script) runs every other e2e test; this one leaves the e2e formation
# converged by 2.19.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../lib/assert.sh
source tests/lib/assert.sh
# shellcheck source=SCRIPTDIR/../lib/lab.sh
source tests/lib/lab.sh
# shellcheck source=SCRIPTDIR/../lib/probe.sh
source tests/lib/probe.sh

INV=tests/inventory/e2e.yml
PROJECT=pgaf-e2e
CONTAINERS=(pgaf-monitor pgaf-primary pgaf-replica)

[[ -x library/pgaf_failover_test ]] || ./build.sh
incus admin waitready --timeout=5 >/dev/null 2>&1 || fail "incusd does not answer: run scripts/lab-host.sh first"

tmp=$(mktemp -d /tmp/pgafha-debian13.XXXXXX)
trap 'rm -rf -- "$tmp"' EXIT

controller() { PGAFHA_INCUS_CLI=wrapped bash scripts/controller-debian13.sh "$@"; }

# converge NAME [ansible-playbook args...]: a playbook run from the Debian 13
# controller, its log kept; prints its wall time in seconds.
converge() {
	local name=$1 rc=0 t0=$SECONDS
	shift
	controller bash -c 'source tests/lib/lab.sh && lab_playbook "$@"' lab "$INV" "$@" >"$tmp/$name.log" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		tail -40 "$tmp/$name.log" >&2
		fail "ansible-playbook $* (Debian 13 controller) exited $rc"
	fi
	assert_eq "$(lab_recap_failed "$tmp/$name.log")" 0 "failed+unreachable in the PLAY RECAP of $name"
	echo $((SECONDS - t0))
}

# formation prints "primaries secondaries unhealthy" as the monitor sees them.
formation() { formation_counts "$PROJECT" pgaf-monitor; }

check "the Debian 13 controller: ansible-core 2.19 with community.general.incus"
out=$(controller bash -c 'ansible --version && ansible-doc -t connection -l community.general' 2>&1) ||
	fail "controller: $out"
assert_contains "$out" "ansible [core 2.19" "ansible --version on the controller"
assert_contains "$out" "community.general.incus" "connection plugins on the controller"
assert_eq "$(controller bash -c 'source tests/lib/lab.sh && lab_connection')" incus "connection the lab helpers pick there"

check "delete the e2e containers: the converge starts from nothing"
for c in "${CONTAINERS[@]}"; do
	incus delete --force --project "$PROJECT" "$c" >/dev/null 2>&1 || true
done

check "converge freshly launched containers from Debian 13"
secs=$(converge fresh)
echo "    fresh converge: $secs s, changed=$(lab_recap_changed "$tmp/fresh.log")"
assert_eq "$(formation)" "1 1 0" "primaries secondaries unhealthy after the converge"

check "a re-run changes nothing"
secs=$(converge rerun --diff)
echo "    no-op converge on ansible-core 2.19: $secs s"
lab_assert_unchanged "$tmp/rerun.log" "the re-run"

check "--check --diff changes nothing"
converge check --check --diff >/dev/null
lab_assert_unchanged "$tmp/check.log" "--check --diff"

check "the failover test from Debian 13"
rc=0
controller env INVENTORY="$INV" RTO_TARGET_SECONDS=30 bash tests/test_pg_failover.sh >"$tmp/failover.out" 2>&1 || rc=$?
sed 's/^/    | /' "$tmp/failover.out"
assert_eq "$rc" 0 "exit code of tests/test_pg_failover.sh on the Debian 13 controller"
assert_eq "$(formation)" "1 1 0" "primaries secondaries unhealthy after the failover test"

check "after the failover (roles swapped) a re-run changes nothing"
secs=$(converge swapped --diff)
echo "    no-op converge after the failover: $secs s"
lab_assert_unchanged "$tmp/swapped.log" "the re-run after the failover"

echo "70-controller-debian13: ok"
