#!/usr/bin/env bash
# Verified TLS with the formation's own CA, on the e2e formation (project
# pgaf-e2e), upgraded from the previous release:
#   - the previous release's own tree (git archive of PREVIOUS_RELEASE: its
#     modules, role and playbook) builds the formation from scratch: self-signed
#     certificates with sslmode=require, initdb's trust rules, a wildcard
#     replication entry in ~/.pgpass;
#   - a converge of this tree with the role's defaults (postgres_ha_ssl:
#     formation_ca), at -vvv, switches it over while the write probe commits
#     through it: 0 acknowledged commits lost, the write outage printed; trust and
#     the wildcard are gone; then a re-run and --check --diff are changed=0;
#   - every member uses the CA: sslmode=verify-full in each pg_autoctl config,
#     the nodes' monitor URI and the standby's replication connection; the
#     monitor URI and the formation URI the modules return carry it;
#   - a client on the Incus host with sslmode=verify-full and the CA kept on the
#     controller logs in; the same client refuses a fake server on the lab
#     bridge that presents a certificate from another CA, and one from the
#     formation CA made out to another address;
#   - the CA's private key is mode 0600 and appears in no output.
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
CA_DIR=tests/inventory/.pgafha-pki/default
HOST_CA=/var/lib/postgresql/pgafha-tls/ca.crt
NODE_CFG=/var/lib/postgresql/.config/pg_autoctl/var/lib/postgresql/15/pgaf-node/pg_autoctl.cfg
MON_CFG=/var/lib/postgresql/.config/pg_autoctl/var/lib/postgresql/15/pgaf-monitor/pg_autoctl.cfg
FAKE_ADDR=10.66.1.1 # the Incus host on the e2e bridge
FAKE_PORT=25499
LAB_PASSWORD=changeme-DEV-ONLY
# The last release before the formation CA and the end of trust (stop 18).
PREVIOUS_RELEASE=65b8f87

[[ -x library/pgaf_ca && -x bin/writeprobe && -x bin/fakepg ]] || ./build.sh
probe_workdir tls
fake_pid=
trap '[[ -z $PROBE_PID ]] || kill -TERM "$PROBE_PID" 2>/dev/null || true; [[ -z $fake_pid ]] || kill "$fake_pid" 2>/dev/null || true; rm -rf -- "$tmp"' EXIT

ct() { incus exec --project "$PROJECT" "$1" -- "${@:2}"; }
# cfg_get CONTAINER FILE SECTION KEY: one value of a pg_autoctl config.
# shellcheck disable=SC2016 # awk's own $0, $1, $2
cfg_get() { ct "$1" awk -F' = ' -v s="[$3]" -v k="$4" '$0 == s { on = 1; next } /^\[/ { on = 0 } on && $1 == k { print $2 }' "$2"; }
playbook() {
	local name=$1
	shift
	lab_playbook_ok "$tmp/$name.log" "$INV" "$@"
}
# client_psql CONNINFO: psql on the Incus host, as the app user, one query.
client_psql() { PGPASSWORD=$LAB_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -At -w "$1" -c "select 1" 2>&1; }

# pgpass_wildcard CONTAINER: the postgres user's ~/.pgpass lines for any host
# (never the password; read again if a read printed nothing: it is never empty).
pgpass_wildcard() { lab_read ct "$1" cat /var/lib/postgresql/.pgpass | awk -F: '$1 == "*" { print $1 ":" $2 ":" $3 ":" $4 }'; }

check "the previous release ($PREVIOUS_RELEASE) builds the formation: self-signed, initdb's trust rules, a wildcard ~/.pgpass"
git -C "$ROOT" cat-file -e "$PREVIOUS_RELEASE^{commit}" 2>/dev/null ||
	fail "commit $PREVIOUS_RELEASE (the previous release) is not in this clone (a shallow clone?): fetch the history"
mkdir "$tmp/previous"
git -C "$ROOT" archive "$PREVIOUS_RELEASE" | tar -x -C "$tmp/previous"
(cd "$tmp/previous" && ./build.sh build) >"$tmp/previous-build.log" 2>&1 || {
	tail -20 "$tmp/previous-build.log" >&2
	fail "the previous release did not build"
}
lab_reset_formation "$PROJECT" pgaf-monitor pgaf-primary pgaf-replica
t0=$SECONDS
# Its own lab helpers, in a subshell: its library, roles, connection wrapper.
rc=0
(
	# shellcheck source=/dev/null
	source "$tmp/previous/tests/lib/lab.sh"
	lab_playbook "$tmp/previous/tests/inventory/e2e.yml"
) >"$tmp/previous.log" 2>&1 || rc=$?
[[ $rc -eq 0 && $(lab_recap_failed "$tmp/previous.log") -eq 0 ]] || {
	tail -30 "$tmp/previous.log" >&2
	fail "the previous release's converge exited $rc"
}
echo "    the previous release converged in $((SECONDS - t0)) s"
formation_wait_healthy "$PROJECT" pgaf-monitor 120 || fail "the formation the previous release built is not healthy"
assert_eq "$(cfg_get pgaf-primary "$NODE_CFG" ssl sslmode)" require "sslmode of pgaf-primary (self-signed)"
[[ -n $(lab_trust_rules "$PROJECT" pgaf-primary /var/lib/postgresql/15/pgaf-node) ]] || fail "the previous release left no trust rule: nothing to upgrade from"
[[ -n $(pgpass_wildcard pgaf-replica) ]] || fail "the previous release left no wildcard ~/.pgpass entry: nothing to upgrade from"

check "a converge with the formation CA (the default) switches the formation over under the write probe"
probe_start "$PROJECT" pgaf-monitor "$tmp/probe.json" || fail "the write probe did not start"
sleep 2
t0=$SECONDS
playbook migrate --diff -vvv
took=$((SECONDS - t0))
sleep 2
rc=0
probe_stop || rc=$?
echo "    switch-over converge: $took s; probe: outage acknowledged lost = $(probe_result "$tmp/probe.json")"
assert_eq "$rc" 0 "write probe exit code (0: no acknowledged commit lost)"
assert_eq "$(probe_field "$tmp/probe.json" lost_commits)" 0 "lost commits"
log=$(cat "$tmp/migrate.log")
for h in pgaf-monitor pgaf-primary pgaf-replica; do
	assert_contains "$log" "changed: [$h]" "the switch-over converge on $h"
done
assert_eq "$(grep -c '^+ *"tls": "verify-full ' "$tmp/migrate.log")" 3 "members switched to verify-full in the --diff of the converge"
formation_wait_healthy "$PROJECT" pgaf-monitor 120 || fail "formation not healthy after the switch-over"
for c in pgaf-monitor:/var/lib/postgresql/15/pgaf-monitor pgaf-primary:/var/lib/postgresql/15/pgaf-node pgaf-replica:/var/lib/postgresql/15/pgaf-node; do
	assert_eq "$(lab_trust_rules "$PROJECT" "${c%%:*}" "${c#*:}")" "" "trust rules for local or loopback connections left on ${c%%:*}"
done
for c in pgaf-primary pgaf-replica; do
	assert_eq "$(pgpass_wildcard "$c")" "" "wildcard ~/.pgpass entries left on $c"
done

check "a re-run and --check --diff change nothing"
playbook rerun
lab_assert_unchanged "$tmp/rerun.log" "the re-run"
playbook check --check --diff
lab_assert_unchanged "$tmp/check.log" "--check --diff"

check "every member verifies with the CA: configs, monitor URI, replication, the URIs returned"
for c in pgaf-primary pgaf-replica; do
	assert_eq "$(cfg_get "$c" "$NODE_CFG" ssl sslmode)" verify-full "ssl.sslmode of $c"
	assert_eq "$(cfg_get "$c" "$NODE_CFG" ssl ca_file)" "$HOST_CA" "ssl.ca_file of $c"
	mon=$(cfg_get "$c" "$NODE_CFG" pg_autoctl monitor)
	assert_contains "$mon" "sslmode=verify-full" "monitor URI of $c"
	assert_contains "$mon" "sslrootcert=$HOST_CA" "monitor URI of $c"
done
assert_eq "$(cfg_get pgaf-monitor "$MON_CFG" ssl sslmode)" verify-full "ssl.sslmode of the monitor"
standby=$(formation_secondary "$PROJECT" pgaf-monitor)
conninfo=$(ct "$standby" su postgres -c "psql -X -At -c 'select conninfo from pg_stat_wal_receiver'")
assert_contains "$conninfo" "sslmode=verify-full" "replication connection of $standby"
assert_contains "$conninfo" "sslrootcert=$HOST_CA" "replication connection of $standby"
uris=$(grep -o 'postgres://[^" ]*' "$tmp/rerun.log" | sort -u)
[[ -n $uris ]] || fail "no URI in the re-run's output"
while read -r uri; do
	assert_contains "$uri" "sslmode=verify-full" "URI shown by the playbook"
	assert_contains "$uri" "sslrootcert=$HOST_CA" "URI shown by the playbook"
done <<<"$uris"

check "a verify-full client with the CA logs in; an impostor on the lab bridge is refused"
ca=$ROOT/$CA_DIR/ca.crt
assert_eq "$(client_psql "postgres://app@10.66.1.11:5432,10.66.1.12:5432/app?target_session_attrs=read-write&sslmode=verify-full&sslrootcert=$ca")" 1 "verify-full login as app"
# fake ARGS...: fakepg on the bridge, started by this test and stopped by its PID.
fake() {
	bin/fakepg -listen "$FAKE_ADDR:$FAKE_PORT" "$@" >"$tmp/fake.out" 2>&1 &
	fake_pid=$!
	for _ in $(seq 1 50); do
		grep -q ready "$tmp/fake.out" && return 0
		sleep 0.1
	done
	fail "fakepg did not start: $(cat "$tmp/fake.out")"
}
unfake() {
	kill "$fake_pid" 2>/dev/null || true
	wait "$fake_pid" 2>/dev/null || true
	fake_pid=
}
fake
out=$(client_psql "host=$FAKE_ADDR port=$FAKE_PORT user=app dbname=app sslmode=verify-full sslrootcert=$ca") && fail "a server with another CA's certificate was accepted: $out"
assert_contains "$out" "certificate verify failed" "client facing a certificate from another CA"
unfake
fake -ca "$CA_DIR" -names 10.66.1.99
out=$(client_psql "host=$FAKE_ADDR port=$FAKE_PORT user=app dbname=app sslmode=verify-full sslrootcert=$ca") && fail "a certificate for another address was accepted: $out"
assert_contains "$out" "does not match host name" "client facing the formation CA's certificate for 10.66.1.99"
unfake

check "a certificate within its renewal margin is issued again, installed and reloaded under the write probe: no restart, then changed=0"
# served_fp IP: the SHA-256 fingerprint of the certificate a member presents.
served_fp() { openssl s_client -starttls postgres -connect "$1:5432" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256; }
file_fp() { ct "$1" cat /var/lib/postgresql/pgafha-tls/server.crt | openssl x509 -noout -fingerprint -sha256; }
started() { lab_read ct "$1" su postgres -c "psql -X -At -c 'select pg_postmaster_start_time()'"; }
before_fp=$(served_fp 10.66.1.11)
[[ -n $before_fp && $before_fp == "$(file_fp pgaf-primary)" ]] || fail "pgaf-primary does not present its certificate file before the renewal ($before_fp)"
declare -A since
for c in pgaf-monitor pgaf-primary pgaf-replica; do since[$c]=$(started "$c"); done
probe_start "$PROJECT" pgaf-monitor "$tmp/probe-renew.json" || fail "the write probe did not start"
sleep 1
# A margin longer than any current certificate has left makes every one due
# (the controller keeps its certificates from one run of this test to the next).
left=0
for crt in "$CA_DIR"/pgaf-*.crt; do
	d=$((($(date -d "$(openssl x509 -enddate -noout -in "$crt" | cut -d= -f2)" +%s) - $(date +%s)) / 86400))
	((d > left)) && left=$d
done
margin=(-e postgres_ha_tls_cert_valid_days=$((left + 3)) -e postgres_ha_tls_renew_before_days=$((left + 2)))
playbook renew_check --check -v "${margin[@]}"
assert_contains "$(cat "$tmp/renew_check.log")" '"msg": "would issue 3 certificates"' "--check of the renewal"
assert_eq "$(served_fp 10.66.1.11)" "$before_fp" "certificate pgaf-primary presents after --check"
playbook renew -v --diff "${margin[@]}"
sleep 1
rc=0
probe_stop || rc=$?
echo "    renewal converge; probe: outage acknowledged lost = $(probe_result "$tmp/probe-renew.json")"
assert_eq "$rc" 0 "write probe exit code during the renewal"
assert_eq "$(grep -c 'reload PostgreSQL: its certificate files changed' "$tmp/renew.log")" 3 "members reloaded for their renewed files"
for c in pgaf-monitor:10.66.1.10 pgaf-primary:10.66.1.11 pgaf-replica:10.66.1.12; do
	fp=$(served_fp "${c#*:}")
	[[ -n $fp && $fp == "$(file_fp "${c%%:*}")" ]] || fail "${c%%:*} does not present its renewed certificate ($fp)"
	assert_eq "$(started "${c%%:*}")" "${since[${c%%:*}]}" "start time of ${c%%:*}'s PostgreSQL (reloaded, not restarted)"
done
[[ $(served_fp 10.66.1.11) != "$before_fp" ]] || fail "pgaf-primary still presents its old certificate"
formation_wait_healthy "$PROJECT" pgaf-monitor 120 || fail "formation not healthy after the renewal"
playbook renewed
lab_assert_unchanged "$tmp/renewed.log" "the run after the renewal"

check "the CA key is 0600 on the controller and appears in no output (the switch-over ran at -vvv)"
assert_eq "$(stat -c %a "$CA_DIR/ca.key") $(stat -c %a "$CA_DIR")" "600 700" "modes of ca.key and its directory"
for f in "$CA_DIR"/*.key; do
	body=$(sed -n 2p "$f")
	if grep -rqF -- "$body" "$tmp"/*.log; then
		fail "key $(basename "$f") appears in a playbook output"
	fi
done
echo "42-tls: ok"
