#!/usr/bin/env bash
# Security of the converged e2e formation (project pgaf-e2e, left by 40-formation.sh):
#   - the placeholder passwords are refused outside a lab, with the ansible-vault
#     instructions, and nothing changes;
#   - known test secrets (below) replace the lab placeholders; that run is at -vvv;
#   - TLS: the app user logs in from the Incus host with sslmode=require, a
#     non-TLS connection to a data node is refused; SCRAM: a wrong password is refused;
#   - no trust rule for local or loopback connections on any member: root in a
#     container is refused over the socket and over 127.0.0.1, the postgres OS
#     user gets in (peer), pg_autoctl show state works; ~/.pgpass offers the
#     replication password to the data nodes only;
#   - the app role and database exist; a changed app password is applied and
#     reported changed, the original is restored the same way, then changed=0;
#   - the failover test (playbooks/failover_test.yml) runs at -vvv with the secrets;
#   - none of the secrets appears anywhere in the output of any run.
# On exit the inventory's own (placeholder) passwords are put back, for 50-failover.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../lib/assert.sh
source tests/lib/assert.sh
# shellcheck source=SCRIPTDIR/../lib/lab.sh
source tests/lib/lab.sh

INV=tests/inventory/e2e.yml
PROJECT=pgaf-e2e
PRIMARY_IPS=10.66.1.11,10.66.1.12
MON_PGDATA=/var/lib/postgresql/15/pgaf-monitor
NODE_PGDATA=/var/lib/postgresql/15/pgaf-node
# Known, distinctive test secrets (plain text is fine for a test): the leak
# checks look for them. They only live in the e2e formation during this test.
S_AUTOCTL=e2e-autoctl-Qx7vN3kd9W
S_REPL=e2e-repl-Jm4tR8zp2L
S_APP=e2e-app-Hc6wY1fs5T
S_APP_NEW=e2e-app-rotated-Bv9qK2xn7D
SECRETS=("$S_AUTOCTL" "$S_REPL" "$S_APP" "$S_APP_NEW")
DB_TASK="Ensure the application role and database on the primary"

for m in pgaf_monitor pgaf_node pgaf_formation pgaf_database pgaf_failover_test; do
	[[ -x library/$m ]] || ./build.sh
done

tmp=$(mktemp -d /tmp/pgafha-security.XXXXXX) # 0700: holds the secrets file
restore_needed=
cleanup() {
	if [[ -n $restore_needed ]]; then
		echo "  (restoring the inventory's passwords on the e2e formation)"
		lab_playbook "$INV" >"$tmp/restore.log" 2>&1 || tail -20 "$tmp/restore.log" >&2
	fi
	rm -rf -- "$tmp"
}
trap cleanup EXIT
python3 - "$tmp/secrets.json" "$S_AUTOCTL" "$S_REPL" "$S_APP" <<'PY'
import json, sys
json.dump({"vault_pg_autoctl_password": sys.argv[2], "vault_pg_replication_password": sys.argv[3],
           "vault_pg_app_password": sys.argv[4]}, open(sys.argv[1], "w"))
PY

# ct CONTAINER CMD...: a command in an e2e container, as root.
ct() { lxc --project "$PROJECT" exec "local:$1" -- "${@:2}"; }
mon_sql() { ct pgaf-monitor runuser -u postgres -- sh -c "cd && psql -X -At -d pg_auto_failover -c \"$1\""; }
healthy() { [[ $(mon_sql "select count(*) filter (where reportedstate = goalstate and health = 1) from pgautofailover.node") == 2 ]]; }
# app_psql PASSWORD SSLMODE SQL [HOSTS]: a client on the Incus host, as the app user.
app_psql() {
	PGPASSWORD=$1 PGCONNECT_TIMEOUT=5 psql -X -At -w \
		"postgres://app@${4:-$PRIMARY_IPS}/app?target_session_attrs=read-write&sslmode=$2" -c "$3" 2>&1
}
# playbook NAME [args...]: the lab playbook, output in $tmp/NAME.log, must succeed.
playbook() {
	local name=$1
	shift
	lab_playbook_ok "$tmp/$name.log" "$INV" "$@"
}
# task_changed LOG TASK: the hosts reported changed by TASK (every occurrence).
task_changed() {
	awk -v t="TASK [postgres_ha : $2]" '
		index($0, "TASK [") == 1 { on = index($0, t) == 1; next }
		on && /^changed: \[/ { sub(/^changed: \[/, ""); sub(/\].*/, ""); print }' "$1" | paste -sd' '
}
no_secret_in() {
	local f s
	for f in "$@"; do
		for s in "${SECRETS[@]}"; do
			if grep -qF -- "$s" "$f"; then
				fail "a secret appears in $(basename "$f") ($(grep -cF -- "$s" "$f") lines), first: $(grep -nF -- "$s" "$f" | head -1 | cut -c1-300)"
			fi
		done
	done
}

echo "security e2e (project $PROJECT, containers reached with community.general.$(lab_connection))"
healthy || fail "the e2e formation is not at rest: run tests/e2e/40-formation.sh first"

check "placeholder passwords outside a lab: refused with the ansible-vault instructions, nothing changed"
rc=0
# The e2e lab runs on one host: outside a lab its placement would be refused
# first (80-multihost tests that); here the passwords are under test.
lab_playbook "$INV" --tags postgres_ha -e postgres_ha_lab_environment=false -e postgres_ha_failure_domain_check=warn -e vault_pg_app_password=changeme-DEV-ONLY >"$tmp/placeholder.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "the playbook accepted the placeholder outside a lab"
log=$(cat "$tmp/placeholder.log")
assert_contains "$log" "Refuse the placeholder passwords outside a lab" "refused run"
assert_contains "$log" "ansible-vault create inventory/group_vars/postgres_ha.vault.yml" "refusal message"
assert_contains "$log" "ansible-vault encrypt_string" "refusal message"
for v in vault_pg_autoctl_password vault_pg_replication_password vault_pg_app_password; do
	assert_contains "$log" "$v" "refusal message"
done
lab_assert_unchanged "$tmp/placeholder.log" "the refused run"
[[ $(lab_recap_sum "$tmp/placeholder.log" failed) -gt 0 ]] || fail "no host failed in the refused run"
assert_not_contains "$log" "TASK [postgres_ha : Look up the PostgreSQL packages" "refused run (no role task after the check)"

check "self-signed certificates outside a lab: refused before anything changes"
rc=0
lab_playbook "$INV" --tags postgres_ha -e postgres_ha_lab_environment=false -e postgres_ha_failure_domain_check=warn \
	-e "@$tmp/secrets.json" -e postgres_ha_ssl=self_signed >"$tmp/selfsigned.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "the playbook accepted self_signed outside a lab"
log=$(cat "$tmp/selfsigned.log")
assert_contains "$log" "Refuse self-signed certificates outside a lab" "refused run"
assert_contains "$log" "Use formation_ca (the default" "refusal message"
lab_assert_unchanged "$tmp/selfsigned.log" "the refused run"
assert_not_contains "$log" "TASK [postgres_ha : Look up the PostgreSQL packages" "refused run (no role task after the check)"

check "the known test secrets replace the lab placeholders (run at -vvv): reported changed, app password applied"
restore_needed=1
playbook secrets -vvv -e "@$tmp/secrets.json"
assert_contains "$(cat "$tmp/secrets.log")" '"module_args"' "-vvv output (module invocations shown)"
[[ $(lab_recap_changed "$tmp/secrets.log") -gt 0 ]] || fail "new passwords were not reported as changed"
[[ -n $(task_changed "$tmp/secrets.log" "$DB_TASK") ]] || fail "pgaf_database did not report the new app password as changed"
healthy || fail "the formation is not at rest after the password change"

check "TLS: sslmode=require from the Incus host works as app; app role and database (owned by app) exist"
assert_eq "$(app_psql "$S_APP" require "select current_user || ' ' || current_database() || ' ' || pg_get_userbyid(d.datdba) || ' ' || s.ssl
	from pg_database d, pg_stat_ssl s where d.datname = current_database() and s.pid = pg_backend_pid()")" "app app app true" "TLS login as app"
check "a non-TLS connection to a data node is refused"
for ip in 10.66.1.11 10.66.1.12; do
	out=$(app_psql "$S_APP" disable "select 1" "$ip") && fail "non-TLS login to $ip accepted: $out"
	assert_contains "$out" "no encryption" "non-TLS login to $ip"
done
check "SCRAM: a wrong password is refused"
out=$(app_psql wrong-password require "select 1") && fail "wrong password accepted: $out"
assert_contains "$out" "password authentication failed" "login with a wrong password"
assert_eq "$(mon_sql "select rolpassword ~ '^SCRAM-SHA-256' from pg_authid where rolname = 'autoctl_node'")" t "autoctl_node stored as SCRAM"

check "no trust for local or loopback connections on any member: root is refused, the postgres OS user gets in"
for c in pgaf-monitor pgaf-primary pgaf-replica; do
	pgdata=$NODE_PGDATA db=postgres
	[[ $c == pgaf-monitor ]] && pgdata=$MON_PGDATA db=pg_auto_failover
	left=$(lab_trust_rules "$PROJECT" "$c" "$pgdata")
	[[ -z $left ]] || fail "$c: trust rules left for local or loopback connections: $left"
	out=$(ct "$c" psql -X -At -w -U postgres -d "$db" -c 'select 1' </dev/null 2>&1) && fail "$c: root logged in over the socket: $out"
	assert_contains "$out" "Peer authentication failed" "root over the socket on $c"
	out=$(ct "$c" psql -X -At -w -h 127.0.0.1 -U postgres -d "$db" -c 'select 1' </dev/null 2>&1) && fail "$c: root logged in over loopback: $out"
	assert_contains "$out" "no password supplied" "root over loopback on $c"
	assert_eq "$(ct "$c" runuser -u postgres -- psql -X -At -d "$db" -c 'select 1' </dev/null)" 1 "the postgres OS user over the socket on $c"
done
out=$(ct pgaf-monitor runuser -u postgres -- sh -c "cd && pg_autoctl show state --pgdata $MON_PGDATA" 2>&1) || fail "pg_autoctl show state on the monitor: $out"
assert_contains "$out" "primary" "pg_autoctl show state on the monitor"

check "the postgres user's .pgpass offers the replication password to the formation's data nodes only"
for c in pgaf-primary pgaf-replica; do
	# Host, port and database of each replicator line: never its password.
	got=$(ct "$c" cat /var/lib/postgresql/.pgpass | awk -F: '$4 == "pgautofailover_replicator" { print $1 ":" $2 ":" $3 }' | sort | paste -sd' ')
	assert_eq "$got" "10.66.1.11:5432:* 10.66.1.12:5432:*" "replication entries in ~/.pgpass of $c"
done

check "a changed app password is applied and reported changed; the new one works, the old one not"
playbook rotate --tags node -e "@$tmp/secrets.json" -e "vault_pg_app_password=$S_APP_NEW"
[[ -n $(task_changed "$tmp/rotate.log" "$DB_TASK") ]] || fail "pgaf_database did not report the rotated password as changed"
assert_eq "$(app_psql "$S_APP_NEW" require "select 1")" 1 "login with the new app password"
out=$(app_psql "$S_APP" require "select 1") && fail "old app password still accepted: $out"
check "restoring the original app password: changed again, then a full run is changed=0"
playbook unrotate --tags node -e "@$tmp/secrets.json"
[[ -n $(task_changed "$tmp/unrotate.log" "$DB_TASK") ]] || fail "pgaf_database did not report the restored password as changed"
assert_eq "$(app_psql "$S_APP" require "select 1")" 1 "login with the restored app password"
playbook rerun -e "@$tmp/secrets.json"
lab_assert_unchanged "$tmp/rerun.log" "the re-run"

check "the failover test (playbooks/failover_test.yml) at -vvv with the secrets passes"
mapfile -t inv_args < <(lab_inventory_args "$INV")
rc=0
ansible-playbook "${inv_args[@]}" playbooks/failover_test.yml -vvv -e "@$tmp/secrets.json" >"$tmp/failover.log" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || {
	tail -40 "$tmp/failover.log" >&2
	fail "failover test exited $rc"
}
assert_contains "$(cat "$tmp/failover.log")" "failover test passed" "failover run"
assert_contains "$(cat "$tmp/failover.log")" "lost_commits" "failover report in the output"
for _ in $(seq 1 60); do
	if healthy; then break; fi
	sleep 1
done
healthy || fail "the formation is not at rest after the failover test"

check "no secret appears in any output (-vvv runs, failover report, refusal, rotation), nor a private key of the formation CA"
no_secret_in "$tmp"/*.log
for key in tests/inventory/.pgafha-pki/default/*.key; do
	[[ -e $key ]] || continue
	body=$(sed -n 2p "$key")
	if grep -qF -- "$body" "$tmp"/*.log; then
		fail "the private key $(basename "$key") appears in a playbook output"
	fi
done

check "the inventory's own passwords are put back (for the next tests)"
playbook restore --tags monitor,node
restore_needed=
no_secret_in "$tmp/restore.log"
echo "security e2e passed in $SECONDS s"
