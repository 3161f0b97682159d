#!/usr/bin/env bash
# Beyond one host: the multi-host lab (scripts/lab-host.sh multihost: this
# machine's incusd as remote local, two more incusd as remotes pgaf-hostb and
# pgaf-hostc over HTTPS on loopback), in the e2e project pgaf-mh-e2e
# (tests/inventory/multihost.yml; a user's multi-host lab is never touched):
#   - incus_instance creates, re-runs (changed=0), checks and deletes a
#     container on remote pgaf-hostb over HTTPS; an unknown remote and a
#     target on a daemon that is not clustered fail clearly, creating nothing;
#   - the same on a named member of the two-member cluster pgaf-cluster
#     (project pgaf-cl-e2e): placed where asked, reported and not moved when
#     another member is asked later, an unknown member refused;
#   - the preflight refuses the one-host e2e inventory with the check
#     enforced, before anything changes, naming the members and the domain;
#   - a converge of freshly launched containers puts the monitor and each
#     data node on a different host; a re-run and --check are changed=0;
#   - the failover test passes there (stop), and one host_loss cycle (every
#     container of the primary's host stopped at once) promotes the standby
#     with 0 lost commits and heals when the host is back; then changed=0.
# The many-cycle figures: INVENTORY=inventory/multihost.yml bash
# scripts/bench-failover.sh host_loss=5 (README).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../lib/assert.sh
source tests/lib/assert.sh
# shellcheck source=SCRIPTDIR/../lib/adhoc.sh
source tests/lib/adhoc.sh
# shellcheck source=SCRIPTDIR/../lib/lab.sh
source tests/lib/lab.sh
# shellcheck source=SCRIPTDIR/../lib/probe.sh
source tests/lib/probe.sh

INV=tests/inventory/multihost.yml
PROJECT=pgaf-mh-e2e
# remote:container of each member.
MEMBERS=(local:mhe-monitor pgaf-hostb:mhe-node1 pgaf-hostc:mhe-node2)
SCRATCH=mh-scratch # created and deleted by this script only, on pgaf-hostb
SCRATCH_IP=10.66.3.29

[[ -x library/incus_instance ]] || ./build.sh

tmp=$(mktemp -d /tmp/pgafha-multihost.XXXXXX)
cleanup() {
	incus delete --force "pgaf-hostb:$SCRATCH" --project "$PROJECT" >/dev/null 2>&1 || true
	incus delete --force pgaf-cluster:cl-scratch --project pgaf-cl-e2e >/dev/null 2>&1 || true
	[[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

adhoc() { adhoc_run "$1" incus_instance "${@:2}"; }

# converge NAME [ansible-playbook args...]: the playbook on the multi-host
# inventory, log in $tmp/NAME.log; prints its wall time in seconds.
converge() {
	local name=$1 t0=$SECONDS
	shift
	lab_playbook_ok "$tmp/$name.log" "$INV" "$@"
	echo $((SECONDS - t0))
}

# formation prints "primaries secondaries unhealthy" as the monitor sees them.
formation() { formation_counts "$PROJECT" mhe-monitor; }

check "the multi-host lab: three Incus hosts (two remotes over HTTPS) and a two-member cluster"
t0=$SECONDS
bash scripts/lab-host.sh multihost >"$tmp/lab-host.log" 2>&1 || {
	tail -20 "$tmp/lab-host.log" >&2
	fail "scripts/lab-host.sh multihost"
}
echo "    hosts ready in $((SECONDS - t0)) s"
for remote in pgaf-hostb pgaf-hostc pgaf-cluster; do
	incus info "$remote:" >/dev/null 2>&1 || fail "remote $remote does not answer"
done

# ---------------------------------------------------------------- incus_instance on a remote
scratch="\"name\": \"$SCRATCH\", \"remote\": \"pgaf-hostb\", \"project\": \"$PROJECT\", \"image\": \"pgaf-bookworm\""
nic="\"devices\": {\"eth0\": {\"type\": \"nic\", \"network\": \"pgafmhb0\", \"ipv4.address\": \"$SCRATCH_IP\"}}"
incus delete --force "pgaf-hostb:$SCRATCH" --project "$PROJECT" >/dev/null 2>&1 || true

check "incus_instance on remote pgaf-hostb: --check creates nothing"
adhoc predict "{$scratch, $nic}" --check
assert_eq "$(get predict '[d["changed"], d["remote"], d["status"]]')" '[true, "pgaf-hostb", "Absent"]' "--check result"
assert_eq "$(incus list "pgaf-hostb:$SCRATCH" --project "$PROJECT" --format csv -c n)" "" "instances after --check"

check "it creates the container there, over HTTPS, then changes nothing"
adhoc create "{$scratch, $nic}"
assert_eq "$rc" 0 "exit code of create ($(get create 'd.get("msg")'))"
assert_eq "$(get create '[d["changed"], d["remote"], d["status"], d["addresses"]]')" "[true, \"pgaf-hostb\", \"Running\", [\"$SCRATCH_IP\"]]" "create result"
assert_eq "$(incus list "pgaf-hostb:$SCRATCH" --project "$PROJECT" --format csv -c s)" "RUNNING" "status on pgaf-hostb"
assert_eq "$(incus list "$SCRATCH" --project "$PROJECT" --format csv -c n)" "" "the same name on the local daemon"
adhoc again "{$scratch, $nic}"
assert_eq "$(get again '[d["changed"], d["actions"]]')" '[false, []]' "second run"
adhoc again_check "{$scratch, $nic}" --check
assert_eq "$(get again_check 'd["changed"]')" false "--check of the second run"

check "unknown remote, target on a daemon that is not clustered: clear failures, nothing created"
adhoc unknown_remote "{\"name\": \"mh-nothing\", \"remote\": \"pgaf-hostz\", \"project\": \"$PROJECT\", \"image\": \"pgaf-bookworm\"}"
want_failure unknown_remote 'remote "pgaf-hostz" is not in the Incus client configuration' "pgaf-hostb" "incus remote add"
adhoc bad_target "{\"name\": \"mh-nothing\", \"remote\": \"pgaf-hostb\", \"target\": \"member1\", \"project\": \"$PROJECT\", \"image\": \"pgaf-bookworm\"}"
want_failure bad_target 'target "member1"' 'remote "pgaf-hostb" is not clustered'
assert_eq "$(incus list "pgaf-hostb:mh-nothing" --project "$PROJECT" --format csv -c n)" "" "instances after the failures"

check "incus_instance deletes it, then has nothing to do"
adhoc delete "{\"name\": \"$SCRATCH\", \"remote\": \"pgaf-hostb\", \"project\": \"$PROJECT\", \"state\": \"absent\"}"
assert_eq "$(get delete '[d["changed"], d["status"]]')" '[true, "Absent"]' "delete"
adhoc delete_again "{\"name\": \"$SCRATCH\", \"remote\": \"pgaf-hostb\", \"project\": \"$PROJECT\", \"state\": \"absent\"}"
assert_eq "$(get delete_again 'd["changed"]')" false "delete again"

# ---------------------------------------------------------------- incus_instance on a cluster member
CL_PROJECT=pgaf-cl-e2e
cl() { echo "\"name\": \"$1\", \"remote\": \"pgaf-cluster\", \"project\": \"$CL_PROJECT\", \"image\": \"pgaf-bookworm\", \"wait_ready\": false"; }
location() { incus list "pgaf-cluster:$1" --project "$CL_PROJECT" --format csv -c L; }
incus delete --force pgaf-cluster:cl-scratch --project "$CL_PROJECT" >/dev/null 2>&1 || true

check "incus_instance on cluster pgaf-cluster: --check for member pgaf-cl2 creates nothing"
adhoc cl_predict "{$(cl cl-scratch), \"target\": \"pgaf-cl2\"}" --check
assert_eq "$(get cl_predict '[d["changed"], d["status"]]')" '[true, "Absent"]' "--check result"
assert_eq "$(location cl-scratch)" "" "instances after --check"

check "it creates the container on member pgaf-cl2, then changes nothing"
adhoc cl_create "{$(cl cl-scratch), \"target\": \"pgaf-cl2\"}"
assert_eq "$rc" 0 "exit code of the create ($(get cl_create 'd.get("msg")'))"
assert_eq "$(get cl_create '[d["changed"], d["status"], d["location"]]')" '[true, "Running", "pgaf-cl2"]' "create result"
assert_eq "$(location cl-scratch)" "pgaf-cl2" "member the cluster reports"
adhoc cl_again "{$(cl cl-scratch), \"target\": \"pgaf-cl2\"}"
assert_eq "$(get cl_again '[d["changed"], d["location"]]')" '[false, "pgaf-cl2"]' "second run"

check "asked for another member, the container is reported, not moved"
adhoc cl_other "{$(cl cl-scratch), \"target\": \"pgaf-cl1\"}"
assert_eq "$(get cl_other '[d["changed"], d["location"]]')" '[false, "pgaf-cl2"]' "run with target pgaf-cl1"
assert_contains "$(get cl_other 'd.get("warnings")')" "runs on cluster member pgaf-cl2" "warnings"
assert_eq "$(location cl-scratch)" "pgaf-cl2" "member after the run"

check "an unknown member is refused, nothing created"
adhoc cl_unknown "{$(cl cl-nothing), \"target\": \"pgaf-cl9\"}"
want_failure cl_unknown 'target "pgaf-cl9" is not a member' "pgaf-cl1, pgaf-cl2"
assert_eq "$(location cl-nothing)" "" "instances after the refusal"

check "incus_instance deletes it from the cluster"
adhoc cl_delete "{\"name\": \"cl-scratch\", \"remote\": \"pgaf-cluster\", \"project\": \"$CL_PROJECT\", \"state\": \"absent\"}"
assert_eq "$(get cl_delete '[d["changed"], d["status"]]')" '[true, "Absent"]' "delete"
adhoc cl_delete_again "{\"name\": \"cl-scratch\", \"remote\": \"pgaf-cluster\", \"project\": \"$CL_PROJECT\", \"state\": \"absent\"}"
assert_eq "$(get cl_delete_again 'd["changed"]')" false "delete again"

# ---------------------------------------------------------------- failure domains
check "the preflight refuses a one-host formation when the check is enforced"
rc=0
lab_playbook tests/inventory/e2e.yml -e postgres_ha_failure_domain_check=enforce >"$tmp/one-host.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "a one-host formation with postgres_ha_failure_domain_check=enforce was accepted"
refusal=$(grep -E '^fatal: ' "$tmp/one-host.log" | head -1)
assert_contains "$refusal" "cannot survive the loss of one failure domain" "the refusal"
assert_contains "$refusal" 'pgaf-monitor (monitor), pgaf-primary (node), pgaf-replica (node) share failure domain \"local\"' "the refusal"
lab_assert_unchanged "$tmp/one-host.log" "the refused run"

# ---------------------------------------------------------------- the formation across hosts
check "delete the multi-host e2e containers: the converge starts from nothing"
for m in "${MEMBERS[@]}"; do
	incus delete --force "$m" --project "$PROJECT" >/dev/null 2>&1 || true
done

check "converge: the monitor and each data node on a different host"
secs=$(converge fresh)
echo "    fresh converge across three hosts: $secs s, changed=$(lab_recap_changed "$tmp/fresh.log")"
for m in "${MEMBERS[@]}"; do
	assert_eq "$(incus list "$m" --project "$PROJECT" --format csv -c s)" "RUNNING" "status of $m"
done
assert_eq "$(formation)" "1 1 0" "primaries secondaries unhealthy after the converge"
assert_eq "$(grep -A1 '^TASK \[postgres_ha : Refuse a placement' "$tmp/fresh.log" | sed -n 2p)" "ok: [localhost]" "the placement check"

check "a re-run and --check change nothing"
secs=$(converge rerun --diff)
echo "    no-op converge across three hosts: $secs s"
lab_assert_unchanged "$tmp/rerun.log" "the re-run"
converge check --check --diff >/dev/null
lab_assert_unchanged "$tmp/check.log" "--check --diff"

# ---------------------------------------------------------------- failover across hosts
failover() {
	local name=$1 rc=0
	shift
	env INVENTORY="$INV" RTO_TARGET_SECONDS=30 "$@" bash tests/test_pg_failover.sh >"$tmp/$name.out" 2>&1 || rc=$?
	sed 's/^/    | /' "$tmp/$name.out" | grep -v '^    |  *[+-][0-9]' || true
	assert_eq "$rc" 0 "exit code of tests/test_pg_failover.sh ($name)"
	assert_contains "$(cat "$tmp/$name.out")" "lost_commits=0" "$name"
	assert_eq "$(formation)" "1 1 0" "primaries secondaries unhealthy after $name"
}

check "the failover test (stop) across hosts"
failover stop

check "host loss: every container of the primary's host stopped at once"
failover host_loss SCENARIO=host_loss
assert_contains "$(cat "$tmp/host_loss.out")" "lost: pgaf-host" "the lost host"

check "after the host came back a re-run changes nothing"
secs=$(converge healed --diff)
lab_assert_unchanged "$tmp/healed.log" "the re-run after the host loss"

echo "80-multihost: ok"
