#!/usr/bin/env bash
# The pg_auto_failover formation for real, on the e2e containers (project
# pgaf-e2e, left running by 30-lab.sh), through playbooks/postgres_ha.yml:
#   - converge from an empty formation → monitor + primary + secondary healthy,
#     synchronous replication really on (checked on the primary itself);
#   - a second run and a --check --diff run are changed=0 and touch nothing;
#   - a standby whose `pg_autoctl create` was killed half-way → the next run
#     resumes and converges it;
#   - bad input to each module and a wrong monitor URI fail clearly, nothing changes.
# The formation is left converged with pgaf-primary as primary and self-signed
# certificates, for 42-tls.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../lib/assert.sh
source tests/lib/assert.sh
# shellcheck source=SCRIPTDIR/../lib/lab.sh
source tests/lib/lab.sh

INV=tests/inventory/e2e.yml
PROJECT=pgaf-e2e
MON_PGDATA=/var/lib/postgresql/15/pgaf-monitor
NODE_PGDATA=/var/lib/postgresql/15/pgaf-node
PGAF_HOME=/var/lib/postgresql
MONITOR_URI="postgres://autoctl_node@10.66.1.10:5432/pg_auto_failover?sslmode=require"
LAB_PASSWORD=changeme-DEV-ONLY # the role's lab placeholder (vault_* unset)
# The formation is built as the previous release built it (self-signed
# certificates); 42-tls.sh then switches it to the formation CA under load.
# 70-controller-debian13.sh converges fresh containers with the CA directly.
PREVIOUS_TLS=(-e postgres_ha_ssl=self_signed)

for m in pgaf_monitor pgaf_node pgaf_formation; do
	[[ -x library/$m ]] || ./build.sh
done
for c in pgaf-monitor pgaf-primary pgaf-replica; do
	[[ $(incus list "$c" --project "$PROJECT" --format csv --columns s 2>/dev/null) == RUNNING ]] ||
		fail "container $c of project $PROJECT is not running: run tests/e2e/30-lab.sh (or the playbook) first"
done

tmp=$(mktemp -d /tmp/pgafha-formation.XXXXXX)
bg_pid=
cleanup() {
	if [[ -n $bg_pid ]]; then kill "$bg_pid" 2>/dev/null || true; fi
	[[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

ct() { incus exec --project "$PROJECT" "$@"; }
# as_pg HOST COMMAND: a shell command as postgres in its home (pg_autoctl reads ~/.config).
as_pg() { ct "$1" -- runuser -u postgres -- sh -c "cd && $2"; }
psql_on() { as_pg "$1" "psql -X -At -p 5432 -d ${3:-postgres} -c \"$2\""; }
mon_sql() { psql_on pgaf-monitor "$1" pg_auto_failover; }

# states prints "name reported/assigned" per node, by name.
states() { mon_sql "select nodename || ' ' || reportedstate || '/' || goalstate from pgautofailover.node order by nodename" | tr '\n' ';'; }
states_are() { [[ $(states) == "$1" ]]; }
# touch_mark: what any change to the formation would move (events, settings, configs).
touch_mark() {
	lab_read mon_sql "select max(eventid) from pgautofailover.event"
	lab_read mon_sql "select string_agg(name || '=' || setting, ',' order by name) from pg_settings where name like 'pgautofailover.%'"
	lab_read mon_sql "select number_sync_standbys from pgautofailover.formation"
	lab_read mon_sql "select string_agg(nodename || ':' || candidatepriority || ':' || replicationquorum, ',' order by nodename) from pgautofailover.node"
	for c in pgaf-primary pgaf-replica; do
		lab_read ct "$c" -- stat -c '%n %Y' "$PGAF_HOME/.config/pg_autoctl$NODE_PGDATA/pg_autoctl.cfg" "$PGAF_HOME/.pgpass"
	done
}

playbook() {
	local name=$1
	shift
	lab_playbook_ok "$tmp/$name.log" "$INV" "${PREVIOUS_TLS[@]}" "$@"
}

wait_for() { # wait_for SECONDS WHAT COMMAND...
	local limit=$1 what=$2 t0=$SECONDS
	shift 2
	until "$@" >/dev/null 2>&1; do
		((SECONDS - t0 < limit)) || fail "$what: not within $limit s"
		sleep 0.5
	done
}

reset_formation() { lab_reset_formation "$PROJECT" pgaf-monitor pgaf-primary pgaf-replica; }

echo "formation e2e (project $PROJECT, containers reached with community.general.$(lab_connection))"

# ------------------------------------------------------------------ converge
check "--check on containers without a formation: predicts the creations, creates nothing"
reset_formation
playbook check_empty --check -v
# One task per member creates it (the modules own their units): the monitor's
# and the policy's on pgaf-monitor, one on each data node.
for want in "pgaf-monitor 2" "pgaf-primary 1" "pgaf-replica 1"; do
	got=$(grep -A5 'PLAY RECAP' "$tmp/check_empty.log" | awk -v h="${want% *}" '$1 == h { sub("changed=", "", $4); print $4 }')
	[[ ${got:-0} -ge ${want#* } ]] || fail "--check should predict the monitor, the nodes and the policy (${want% *}: changed=${got:-none}, want >= ${want#* }): $(grep -A5 'PLAY RECAP' "$tmp/check_empty.log")"
done
assert_contains "$(cat "$tmp/check_empty.log")" "would update ~/.pgpass of postgres; create and register node pgaf-replica" "prediction for pgaf-replica"
for c in pgaf-monitor pgaf-primary pgaf-replica; do
	assert_eq "$(ct "$c" -- sh -c "ls -d $MON_PGDATA $NODE_PGDATA $PGAF_HOME/.config/pg_autoctl /etc/systemd/system/pg_autoctl-*.service 2>/dev/null")" "" "formation files in $c after --check"
done

check "converge from an empty formation: monitor, then pgaf-primary (primary) and pgaf-replica (secondary)"
t0=$SECONDS
playbook converge
assert_eq "$(states)" "pgaf-primary primary/primary;pgaf-replica secondary/secondary;" "node states on the monitor"
echo "    converged in $((SECONDS - t0)) s"
# The monitor lists the hosts in no fixed order; with read-write either order finds the primary.
uri=$(grep -o 'formation URI: postgres://[^"]*' "$tmp/converge.log" | tail -n 1)
case "$uri" in
*"//10.66.1.11:5432,10.66.1.12:5432/postgres?target_session_attrs=read-write"* | \
	*"//10.66.1.12:5432,10.66.1.11:5432/postgres?target_session_attrs=read-write"*) ;;
*) fail "printed formation URI should name both data nodes with target_session_attrs=read-write, got: '$uri'" ;;
esac

check "synchronous replication is really on: the primary's own settings and pg_stat_replication"
assert_eq "$(psql_on pgaf-primary 'show synchronous_standby_names')" "ANY 1 (pgautofailover_standby_2)" "synchronous_standby_names on the primary"
assert_eq "$(psql_on pgaf-primary "select application_name || ' ' || sync_state || ' ' || state from pg_stat_replication")" \
	"pgautofailover_standby_2 quorum streaming" "pg_stat_replication on the primary"
assert_eq "$(mon_sql 'select number_sync_standbys from pgautofailover.formation')" 0 "number_sync_standbys (the only value accepted with one standby)"

check "TLS and SCRAM inside the formation: the replica streams over TLS, autoctl_node needs its password"
assert_eq "$(psql_on pgaf-primary "select ssl from pg_stat_replication join pg_stat_ssl using (pid)")" t "replication connection uses TLS"
out=$(ct pgaf-replica -- env PGPASSWORD=wrong-password psql -X -At -w "$MONITOR_URI" -c 'select 1' 2>&1) && fail "wrong autoctl_node password accepted: $out"
assert_contains "$out" "password authentication failed" "login with a wrong password"
assert_eq "$(ct pgaf-replica -- env PGPASSWORD=$LAB_PASSWORD psql -X -At -w "$MONITOR_URI" -c 'select 1')" 1 "login with the right password"
assert_eq "$(ct pgaf-replica -- stat -c '%a %U' $PGAF_HOME/.pgpass)" "600 postgres" "mode and owner of ~postgres/.pgpass"
assert_not_contains "$(ct pgaf-replica -- cat "$PGAF_HOME/.config/pg_autoctl$NODE_PGDATA/pg_autoctl.cfg")" "$LAB_PASSWORD" "pg_autoctl.cfg"

check "the application role and database exist; the Incus host may log in as app (TLS), through the formation URI"
assert_eq "$(PGPASSWORD=$LAB_PASSWORD psql -X -At -w "postgres://app@10.66.1.11:5432,10.66.1.12:5432/app?target_session_attrs=read-write&sslmode=require&connect_timeout=5" \
	-c "select current_user || ' ' || current_database() || ' ' || ssl from pg_stat_ssl where pid = pg_backend_pid()")" "app app true" "application login from the Incus host"

check "monitor failure-detection settings applied"
assert_eq "$(mon_sql "select setting from pg_settings where name in ('pgautofailover.node_considered_unhealthy_timeout', 'pgautofailover.primary_demote_timeout') order by name" | paste -sd/)" 4000/1000 "node_considered_unhealthy_timeout/primary_demote_timeout"

# ------------------------------------------------------------- idempotence
check "second run: changed=0"
playbook second
lab_assert_unchanged "$tmp/second.log" "the second run"

check "--check --diff on the converged formation: changed=0, nothing touched"
before=$(touch_mark)
playbook check --check --diff
lab_assert_unchanged "$tmp/check.log" "--check"
assert_eq "$(touch_mark)" "$before" "monitor events, settings, policy and node files after --check"

# ------------------------------------------------------ interrupted create
check "interrupted create: pgaf-replica is dropped and re-created, its pg_autoctl create killed half-way"
ct pgaf-replica -- systemctl stop pg_autoctl-node
assert_eq "$(mon_sql "select pgautofailover.remove_node('10.66.1.12', 5432, true)")" t "remove_node on the monitor"
ct pgaf-replica -- rm -rf "$NODE_PGDATA" "$PGAF_HOME/.config/pg_autoctl" "$PGAF_HOME/.local/share/pg_autoctl"
wait_for 60 "pgaf-primary alone (single) after the removal" states_are "pgaf-primary single/single;"
# Holding the primary's keeper keeps the new standby's create waiting (it
# needs the primary to accept it): a deterministic point to interrupt it.
ct pgaf-primary -- systemctl stop pg_autoctl-node
init_file=$PGAF_HOME/.local/share/pg_autoctl$NODE_PGDATA/pg_autoctl.init
pid_file=/tmp/pg_autoctl$NODE_PGDATA/pg_autoctl.pid
# The limit keeps the Incus host (which containers run) and the monitor
# (where the data nodes' monitor URI is read), not the held primary.
lab_playbook "$INV" "${PREVIOUS_TLS[@]}" --limit localhost,pgaf-monitor,pgaf-replica >"$tmp/interrupted.log" 2>&1 &
bg_pid=$!
wait_for 240 "registration of the re-created pgaf-replica (init file)" ct pgaf-replica -- test -f "$init_file"
wait_for 30 "pid file of its pg_autoctl create" ct pgaf-replica -- test -s "$pid_file"
# Kill the create (by the pid it recorded, with its process group: the
# Postgres and init services it started), as a crash or timeout would.
create_pid=$(ct pgaf-replica -- head -1 "$pid_file")
assert_contains "$(ct pgaf-replica -- cat "/proc/$create_pid/cmdline" | tr '\0' ' ')" "pg_autoctl create postgres" "process recorded in $pid_file"
ct pgaf-replica -- /bin/kill -KILL -- "-$create_pid"
rc=0
wait "$bg_pid" || rc=$?
bg_pid=
[[ $rc -ne 0 ]] || fail "the playbook whose create was killed succeeded"
assert_contains "$(cat "$tmp/interrupted.log")" "pg_autoctl create postgres failed (signal: killed)" "interrupted run's failure"
ct pgaf-replica -- test -f "$init_file" || fail "no init file left by the interrupted create"
assert_contains "$(states)" "pgaf-replica wait_standby/" "monitor's view of the half-created node"
ct pgaf-primary -- systemctl start pg_autoctl-node

check "the next run resumes the create and converges"
playbook resume -v
assert_contains "$(cat "$tmp/resume.log")" "resume the interrupted create of node pgaf-replica" "resume run"
assert_eq "$(states)" "pgaf-primary primary/primary;pgaf-replica secondary/secondary;" "node states after the resume"
assert_eq "$(psql_on pgaf-primary "select sync_state from pg_stat_replication")" "quorum" "sync_state of the re-created standby"
playbook resume_again
lab_assert_unchanged "$tmp/resume_again.log" "the resume"

# --------------------------------------------------------------- bad input
check "bad input and wrong monitors fail clearly, nothing changes"
before=$(touch_mark)
# module NAME HOST MODULE ARGS-JSON: one task with the json callback; result in $tmp/NAME.json.
module() {
	local name=$1 host=$2 mod=$3 modargs=$4 rc=0
	ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=json \
		lab_ansible "$INV" "$host" -m "$mod" -a "$modargs" >"$tmp/$name.raw" 2>"$tmp/$name.err" || rc=$?
	sed -n '/^{/,$p' "$tmp/$name.raw" >"$tmp/$name.doc"
	ansible_host_result "$tmp/$name.doc" "$tmp/$name.json" "$host"
	assert_eq "$rc" 2 "ansible exit code for $name"
}
want_failure() {
	local name=$1 msg frag
	shift
	assert_eq "$(json_get "$tmp/$name.json" 'd.get("failed")')" true "failed for $name"
	msg=$(json_get "$tmp/$name.json" 'd["msg"]')
	for frag in "$@"; do assert_contains "$msg" "$frag" "msg of $name"; done
	assert_not_contains "$(cat "$tmp/$name.raw" "$tmp/$name.err")" "MODULE FAILURE" "output of $name"
	assert_not_contains "$(cat "$tmp/$name.raw" "$tmp/$name.err")" "$LAB_PASSWORD" "output of $name"
}
mon_args="\"pgdata\": \"$MON_PGDATA\", \"hostname\": \"10.66.1.10\", \"autoctl_node_password\": \"$LAB_PASSWORD\""
node_args="\"pgdata\": \"$NODE_PGDATA\", \"hostname\": \"10.66.1.12\", \"name\": \"pgaf-replica\", \"replication_password\": \"$LAB_PASSWORD\", \"monitor_password\": \"$LAB_PASSWORD\""
uri_port="postgres://autoctl_node@10.66.1.10:5999/pg_auto_failover?sslmode=require"
uri_node="postgres://autoctl_node@10.66.1.11:5432/postgres?sslmode=require"

module mon_port pgaf-monitor pgaf_monitor "{$mon_args, \"pgport\": 6543}"
want_failure mon_port "changing the port of an existing monitor is not supported"
module mon_setting pgaf-monitor pgaf_monitor "{$mon_args, \"settings\": {\"health_check_period\": 1000, \"no_such_guc\": 1}}"
want_failure mon_setting '"no_such_guc" is not a setting of the pgautofailover extension'
module mon_range pgaf-monitor pgaf_monitor "{$mon_args, \"settings\": {\"health_check_max_retries\": 0}}"
want_failure mon_range "outside the allowed range"
module mon_nopw pgaf-monitor pgaf_monitor "{\"pgdata\": \"$MON_PGDATA\", \"hostname\": \"10.66.1.10\"}"
want_failure mon_nopw "needs autoctl_node_password"
module mon_on_node pgaf-replica pgaf_monitor "{\"pgdata\": \"$NODE_PGDATA\", \"hostname\": \"10.66.1.12\", \"autoctl_node_password\": \"$LAB_PASSWORD\"}"
want_failure mon_on_node "not a monitor"

module node_port pgaf-replica pgaf_node "{$node_args, \"monitor_uri\": \"$MONITOR_URI\", \"pgport\": 6543}"
want_failure node_port "changing the port of an existing node is not supported"
module node_priority pgaf-replica pgaf_node "{$node_args, \"monitor_uri\": \"$MONITOR_URI\", \"candidate_priority\": 101}"
want_failure node_priority "candidate_priority must be between 0"
module node_uri_pw pgaf-replica pgaf_node "{$node_args, \"monitor_uri\": \"postgres://autoctl_node:secret@10.66.1.10:5432/pg_auto_failover\"}"
want_failure node_uri_pw "must not contain a password"
module node_bad_port pgaf-replica pgaf_node "{$node_args, \"monitor_uri\": \"$uri_port\"}"
want_failure node_bad_port "connect to monitor autoctl_node@10.66.1.10:5999" "connection refused"
module node_not_monitor pgaf-replica pgaf_node "{$node_args, \"monitor_uri\": \"$uri_node\"}"
want_failure node_not_monitor "connect to monitor autoctl_node@10.66.1.11:5432/postgres"
module node_bad_pw pgaf-replica pgaf_node "{$node_args, \"monitor_uri\": \"$MONITOR_URI\", \"monitor_password\": \"wrong-password\"}"
want_failure node_bad_pw "authentication failed" "check monitor_password"
module node_formation pgaf-replica pgaf_node "{$node_args, \"monitor_uri\": \"$MONITOR_URI\", \"formation\": \"nosuch\"}"
want_failure node_formation 'formation "nosuch"' "no such formation"

module form_nss pgaf-monitor pgaf_formation "{\"monitor_uri\": \"$MONITOR_URI\", \"monitor_password\": \"$LAB_PASSWORD\", \"number_sync_standbys\": 1}"
want_failure form_nss "needs at least 2 standby nodes with replication_quorum=true" "synchronous: true"
# Per-node properties are pgaf_node's alone: asynchronous replication is
# refused while a standby is in the quorum, and nothing is set here.
module form_async pgaf-monitor pgaf_formation "{\"monitor_uri\": \"$MONITOR_URI\", \"monitor_password\": \"$LAB_PASSWORD\", \"synchronous\": false}"
want_failure form_async "still take(s) part in the replication quorum" "pgaf_node"
module form_node pgaf-monitor pgaf_formation "{\"monitor_uri\": \"$MONITOR_URI\", \"monitor_password\": \"$LAB_PASSWORD\", \"nodes\": [{\"name\": \"pgaf-primary\", \"candidate_priority\": 10}]}"
want_failure form_node "Unsupported parameters" "nodes"
module form_both pgaf-monitor pgaf_formation "{\"monitor_uri\": \"$MONITOR_URI\", \"synchronous\": true, \"number_sync_standbys\": 0}"
want_failure form_both "mutually exclusive"
module form_uri pgaf-monitor pgaf_formation "{\"monitor_uri\": \"$uri_port\", \"monitor_password\": \"$LAB_PASSWORD\", \"synchronous\": true}"
want_failure form_uri "connect to monitor autoctl_node@10.66.1.10:5999" "connection refused"
assert_eq "$(touch_mark)" "$before" "monitor events, settings, policy and node files after the failures"

echo "formation e2e passed"
