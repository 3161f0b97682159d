#!/usr/bin/env bash
# The failover acceptance test: checks that the formation is healthy, kills
# the primary's container, measures the standby's promotion (RTO) and the
# client-visible write outage, proves that no acknowledged commit was lost
# and that no two nodes accepted writes at once, and starts the container
# again until the formation is healthy. SCENARIO picks another fault.
# It runs playbooks/failover_test.yml (module pgaf_failover_test) on this
# Incus host against the formation of an inventory, and prints a summary.
#
#   bash tests/test_pg_failover.sh
#
# Exit codes (as the original script):
#   0 pass
#   1 unhealthy baseline: nothing was stopped
#   2 failover test failed: target missed, no promotion, rejoin timeout,
#     acknowledged commit lost, two nodes accepting writes at once (split
#     brain), writes not resumed (or failed while the monitor was down),
#     an unexpected failover, or the run aborted
#   3 missing tool or setup error: module not built, ansible-playbook, python3
#     or incus missing (nft for the partition scenarios), the Incus daemon not
#     reachable, the inventory (or its vault) unusable, the monitor unreachable
#     or refusing the password
#   64 bad setting (e.g. RTO_TARGET_SECONDS is not a positive number)
#
# Environment:
#   RTO_TARGET_SECONDS  promotion target in seconds (60; fractions allowed)
#   REJOIN_TIMEOUT      seconds for the formation to heal after the restart (120)
#   CYCLES              failovers in a row (1)
#   SCENARIO            stop (default); freeze (pause the primary, expect no failover);
#                       kill (SIGKILL the primary's postmaster); standby_loss (force-stop
#                       the standby); monitor_loss (force-stop the monitor for DOWN_SECONDS);
#                       partition (cut the primary off from monitor and standby, nftables);
#                       monitor_partition (cut only the monitor off for DOWN_SECONDS);
#                       host_loss (force-stop at once every container on the primary's
#                       Incus host; needs the members on different hosts, e.g.
#                       inventory/multihost.yml)
#   FREEZE_SECONDS      pause length of the freeze scenario (3)
#   DOWN_SECONDS        how long monitor_loss / monitor_partition last (10)
#   INVENTORY           inventory/lab.yml; tests use tests/inventory/e2e.yml
#   PGAF_LIBRARY        directory of the built modules (library/)
#   FAILOVER_RESULT     also keep the module's JSON result in this file
# Ansible's own settings (e.g. ANSIBLE_VAULT_PASSWORD_FILE) pass through.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INVENTORY=${INVENTORY:-$ROOT/inventory/lab.yml}
PGAF_LIBRARY=${PGAF_LIBRARY:-$ROOT/library}
RTO_TARGET_SECONDS=${RTO_TARGET_SECONDS:-60}
REJOIN_TIMEOUT=${REJOIN_TIMEOUT:-120}
CYCLES=${CYCLES:-1}
SCENARIO=${SCENARIO:-stop}
FREEZE_SECONDS=${FREEZE_SECONDS:-3}
DOWN_SECONDS=${DOWN_SECONDS:-10}

say() { printf 'test_pg_failover: %s\n' "$*" >&2; }
missing() {
	say "missing tool: $*"
	exit 3
}
usage() {
	say "$*"
	exit 64
}

# --- tools ------------------------------------------------------------------
command -v incus >/dev/null || missing "incus is not on PATH (install Incus; see scripts/lab-host.sh)"
command -v ansible-playbook >/dev/null || missing "ansible-playbook is not on PATH (apt-get install ansible)"
command -v python3 >/dev/null || missing "python3 is not on PATH"
[[ -x $PGAF_LIBRARY/pgaf_failover_test ]] ||
	missing "module $PGAF_LIBRARY/pgaf_failover_test is not built (run ./build.sh)"
incus info >/dev/null 2>&1 || missing "the Incus daemon does not answer (incus info failed; is incusd running?)"
[[ -f $INVENTORY ]] || usage "inventory $INVENTORY not found (set INVENTORY)"

number='^[0-9]+([.][0-9]+)?$'
[[ $RTO_TARGET_SECONDS =~ $number ]] || usage "RTO_TARGET_SECONDS must be a number of seconds, got '$RTO_TARGET_SECONDS'"
[[ $FREEZE_SECONDS =~ $number ]] || usage "FREEZE_SECONDS must be a number of seconds, got '$FREEZE_SECONDS'"
[[ $DOWN_SECONDS =~ $number ]] || usage "DOWN_SECONDS must be a number of seconds, got '$DOWN_SECONDS'"
[[ $REJOIN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || usage "REJOIN_TIMEOUT must be a whole number of seconds, got '$REJOIN_TIMEOUT'"
[[ $CYCLES =~ ^[1-9][0-9]*$ ]] || usage "CYCLES must be a positive whole number, got '$CYCLES'"
case $SCENARIO in
stop | freeze | kill | standby_loss | monitor_loss | partition | monitor_partition | host_loss) ;;
*) usage "SCENARIO must be stop, freeze, kill, standby_loss, monitor_loss, partition, monitor_partition or host_loss, got '$SCENARIO'" ;;
esac

if [[ $SCENARIO == partition || $SCENARIO == monitor_partition ]]; then
	command -v nft >/dev/null || missing "nft is not on PATH (apt-get install nftables): scenario $SCENARIO cuts the network with it"
fi

# --- run --------------------------------------------------------------------
work=$(mktemp -d) # 0700: the arguments file holds passwords
trap 'rm -rf -- "$work"' EXIT
result=$work/result.json

python3 - "$work/vars.json" "$work/args.json" <<PY
import json, sys
json.dump({
    "failover_test_rto_target_seconds": float("$RTO_TARGET_SECONDS"),
    "failover_test_rejoin_timeout": int("$REJOIN_TIMEOUT"),
    "failover_test_cycles": int("$CYCLES"),
    "failover_test_scenario": "$SCENARIO",
    "failover_test_freeze_seconds": float("$FREEZE_SECONDS"),
    "failover_test_down_seconds": float("$DOWN_SECONDS"),
    "failover_test_args_file": sys.argv[2],
}, open(sys.argv[1], "w"))
PY

say "inventory $INVENTORY, scenario $SCENARIO, RTO target ${RTO_TARGET_SECONDS} s, cycles $CYCLES"
# Ansible only turns the inventory (and vault) into the module's arguments;
# the module runs as this script's child, so that Ctrl-C reaches it and the
# script waits while it restores what it stopped and reports.
# The playbook reads the monitor URI on the monitor container (pgaf_monitor
# builds it): lab_play reaches the containers on this Ansible.
# shellcheck source=SCRIPTDIR/lib/lab.sh
source "$ROOT/tests/lib/lab.sh"
ANSIBLE_LIBRARY=$PGAF_LIBRARY lab_play "$INVENTORY" "$ROOT/playbooks/failover_test.yml" -e "@$work/vars.json" >"$work/ansible.log" 2>&1 || true
if [[ ! -s $work/args.json ]]; then
	cat "$work/ansible.log" >&2
	say "could not build the module's arguments from inventory $INVENTORY"
	exit 3
fi
rc=0
"$PGAF_LIBRARY/pgaf_failover_test" "$work/args.json" >"$result" || rc=$?
[[ -z ${FAILOVER_RESULT:-} ]] || cp -- "$result" "$FAILOVER_RESULT"
if ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$result" 2>/dev/null; then
	cat "$result" >&2
	say "the module did not return a JSON result (exit $rc)"
	exit 2
fi

python3 - "$result" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def fig(key):
    v = r.get(key)
    return "n/a" if v is None else f"{v:.2f} s"
print(f"outcome: {r.get('outcome', 'error')}")
print(f"  {r.get('msg', '')}")
if r.get("cycles_run"):
    print(f"  primary: {r.get('old_primary') or '-'} -> {r.get('new_primary') or '-'}")
    print(f"  RTO: {fig('rto_seconds')} (target {r.get('rto_target_seconds')} s)")
    print(f"  write outage: {fig('write_outage_seconds')}")
    print(f"  rejoin: {fig('rejoin_seconds')}")
    print(f"  acknowledged_commits={r.get('acknowledged_commits')} lost_commits={r.get('lost_commits')} "
          f"unknown_commits={r.get('unknown_commits')} split_brain_windows={r.get('split_brain_windows')}")
    for c in r.get("cycles") or []:
        for w in c.get("write_windows") or []:
            print(f"    cycle {c['cycle']}: {w['node']:<16} accepted writes from {w['from']:+8.3f} to {w['to']:+8.3f} s")
        for sb in c.get("split_brain") or []:
            print(f"    cycle {c['cycle']}: SPLIT BRAIN: {sb}")
        for note in c.get("notes") or []:
            print(f"    cycle {c['cycle']}: note: {note}")
    for name, s in (r.get("summary") or {}).items():
        if s:
            print(f"  {name}: median {s['median']:.2f} max {s['max']:.2f} over {s['n']} cycles")
    for e in r.get("timeline") or []:
        print(f"    {e['t']:+8.3f} s  {e['node']:<16} {e['reported_state']:>17} -> {e['goal_state']:<17} "
              f"health {e['health']:>2}  ({e['source']})")
PY
outcome=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("outcome", "error"))' "$result")

case $outcome in
passed | ridden_out) exit 0 ;;
unhealthy_baseline) exit 1 ;;
incus_unavailable | setup_error) exit 3 ;;
*) exit 2 ;;
esac
