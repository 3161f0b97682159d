#!/usr/bin/env bash
# pgaf_info through real Ansible against a real pg_auto_failover formation
# (monitor + 2 data nodes) started on loopback by this script: the report
# matches what the monitor's tables say, check mode changes nothing, and bad
# input, an unreachable or hanging monitor, wrong credentials and a server
# that is not a monitor all fail clearly without echoing a password.
# Needs: root (or postgres), postgresql-15, pg_auto_failover, ansible, python3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../lib/assert.sh
source tests/lib/assert.sh
# shellcheck source=SCRIPTDIR/../lib/adhoc.sh
source tests/lib/adhoc.sh
# shellcheck source=SCRIPTDIR/../lib/loopback_formation.sh
source tests/lib/loopback_formation.sh

[[ -x library/pgaf_info ]] || ./build.sh

tmp=$(mktemp -d /tmp/pgafha-info.XXXXXX)
hang_pid=""
cleanup() {
	[[ -n $hang_pid ]] && kill "$hang_pid" 2>/dev/null
	loopback_down
	rm -rf "$tmp"
}
trap cleanup EXIT

export ANSIBLE_CONFIG=$ROOT/ansible.cfg
export ANSIBLE_LIBRARY=$ROOT/library
export ANSIBLE_NOCOLOR=1

# adhoc NAME ARGS [ansible options...]: pgaf_info on localhost.
adhoc() { adhoc_run "$1" pgaf_info "${@:2}"; }

want_ok() {
	assert_eq "$rc" 0 "ansible exit code for $1 ($(get "$1" 'd.get("msg", "")'))"
	assert_eq "$(get "$1" 'd["changed"]')" false "changed for $1"
}


echo "pgaf_info against a loopback formation"
loopback_up
monitor=$(loopback_monitor_uri)

check "reports both nodes, the primary and the formation as the monitor's tables say"
adhoc info "monitor_uri=$monitor"
want_ok info
assert_eq "$(get info '[n["name"] for n in d["nodes"]]')" '["node1", "node2"]' "node names"
# The truth, read independently with psql from the monitor's own table.
truth=$(loopback_psql "$LOOPBACK_MONITOR_PORT" "
	select string_agg(nodename || ' ' || nodeport || ' ' || reportedstate || ' ' || goalstate, ',' order by nodeid)
	  from pgautofailover.node where formationid = 'default'" autoctl_node)
assert_eq "$(get info '",".join("%s %s %s %s" % (n["name"], n["port"], n["reported_state"], n["assigned_state"]) for n in d["nodes"])')" \
	"$truth" "nodes vs pgautofailover.node"
primary=$(loopback_psql "$LOOPBACK_MONITOR_PORT" "select nodename from pgautofailover.node where reportedstate = 'primary'" autoctl_node)
assert_eq "$(get info 'd["primary"]["name"]')" "$primary" "primary"
assert_eq "$(get info 'sorted(n["role"] for n in d["nodes"])')" '["primary", "standby"]' "roles"
assert_eq "$(get info 'sorted(n["reported_state"] for n in d["nodes"])')" '["primary", "secondary"]' "states"
assert_eq "$(get info '[n["health"] for n in d["nodes"]]')" '["good", "good"]' "health"
assert_eq "$(get info 'all(n["lsn"].count("/") == 1 and n["timeline"] >= 1 for n in d["nodes"])')" true "lsn and timeline"
assert_eq "$(get info '[n["candidate_priority"] for n in d["nodes"]]')" '[50, 50]' "candidate priorities (pg_autoctl default)"
assert_eq "$(get info '[n["replication_quorum"] for n in d["nodes"]]')" '[true, true]' "replication quorum"
assert_eq "$(get info 'd["number_sync_standbys"]')" 0 "number_sync_standbys"
assert_eq "$(get info 'd["healthy"]')" true "healthy"
assert_eq "$(get info 'd["monitor_version"]')" "2.0" "monitor extension version"
assert_contains "$(get info 'd["synchronous_standby_names"]')" "ANY 1 (pgautofailover_standby_" "synchronous_standby_names"
uri=$(get info 'd["formation_uri"]')
assert_contains "$uri" "127.0.0.1:$LOOPBACK_NODE1_PORT" "formation_uri"
assert_contains "$uri" "127.0.0.1:$LOOPBACK_NODE2_PORT" "formation_uri"
assert_contains "$uri" "target_session_attrs=read-write" "formation_uri"
assert_contains "$uri" "sslmode=disable" "formation_uri (sslmode of the monitor URI)"
assert_contains "$(get info 'd["msg"]')" "formation default: " "msg"
assert_contains "$(get info 'd["msg"]')" "$primary primary" "msg"

check "check mode reports the same and changes nothing"
adhoc info_check "monitor_uri=$monitor" --check
want_ok info_check
assert_eq "$(get info_check 'd["primary"]["name"]')" "$primary" "primary in check mode"

check "a password in the URI works and never appears in the output"
pw_uri="postgres://$LOOPBACK_PW_USER:$LOOPBACK_PW_PASSWORD@127.0.0.1:$LOOPBACK_MONITOR_PORT/pg_auto_failover?sslmode=disable"
adhoc info_pw "monitor_uri=$pw_uri" -v
want_ok info_pw
assert_eq "$(get info_pw 'len(d["nodes"])')" 2 "nodes with password login"
assert_not_contains "$(everything info_pw)" "$LOOPBACK_PW_PASSWORD" "output with a password"

check "an unknown formation fails naming the ones that exist"
adhoc info_noform "monitor_uri=$monitor formation=nope"
want_failure info_noform 'formation "nope"' "no such formation" "(it has: default)"

echo "pgaf_info bad input"
check "an unknown option fails naming it"
adhoc bogus "monitor_uri=$monitor bogus=1"
want_failure bogus "Unsupported parameters" "bogus" "monitor_uri"
check "timeout=abc fails naming timeout and its type"
adhoc badtype "monitor_uri=$monitor timeout=abc"
want_failure badtype "'timeout'" "int"
check "a missing monitor_uri fails naming it"
adhoc missing "formation=default"
want_failure missing "missing required arguments: monitor_uri"

check "an unreachable monitor (closed loopback port) fails clearly"
adhoc closed "monitor_uri=postgres://autoctl_node@127.0.0.1:1/pg_auto_failover"
want_failure closed "connect to monitor autoctl_node@127.0.0.1:1/pg_auto_failover" "connection refused"

check "a wrong password fails as an authentication error without echoing it"
wrong="wrong-Pw-7731"
adhoc wrongpw "monitor_uri=postgres://$LOOPBACK_PW_USER:$wrong@127.0.0.1:$LOOPBACK_MONITOR_PORT/pg_auto_failover?sslmode=disable" -vvv
want_failure wrongpw "authentication failed" "password authentication failed for user \"$LOOPBACK_PW_USER\""
assert_not_contains "$(everything wrongpw)" "$wrong" "output with a wrong password"
check "the same with a keyword/value connection string"
adhoc wrongpw_kv "monitor_uri='host=127.0.0.1 port=$LOOPBACK_MONITOR_PORT user=$LOOPBACK_PW_USER password=$wrong dbname=pg_auto_failover sslmode=disable'"
want_failure wrongpw_kv "authentication failed"
assert_not_contains "$(everything wrongpw_kv)" "$wrong" "output with a wrong password"
check "a role that does not exist fails clearly"
adhoc nouser "monitor_uri=postgres://nosuchrole:$wrong@127.0.0.1:$LOOPBACK_MONITOR_PORT/pg_auto_failover?sslmode=disable"
want_failure nouser "authentication failed" 'role "nosuchrole" does not exist'
assert_not_contains "$(everything nouser)" "$wrong" "output with an unknown role"

check "a plain PostgreSQL (a data node) is not a monitor"
adhoc notmon "monitor_uri=$(loopback_node_uri 1)"
want_failure notmon "not a pg_auto_failover monitor" "no pgautofailover extension"

check "a server that never answers fails at the timeout, naming it"
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4)
conns = []
while True:
    conns.append(s.accept())
' "$((LOOPBACK_PORT_BASE + 7))" &
hang_pid=$!
sleep 0.5
start=$SECONDS
adhoc hang "monitor_uri=postgres://autoctl_node@127.0.0.1:$((LOOPBACK_PORT_BASE + 7))/pg_auto_failover timeout=2"
want_failure hang "timeout=2s"
((SECONDS - start < 20)) || fail "timeout=2 took $((SECONDS - start)) s"
kill "$hang_pid"
hang_pid=""

echo "internal/pgaf against the same monitor (setters, LISTEN, a real failover)"
check "go test -run TestRealMonitor ./internal/pgaf"
PATH=/usr/local/go/bin:$PATH PGAF_TEST_MONITOR_URI=$monitor \
	go test -count=1 -run TestRealMonitor -v ./internal/pgaf >"$tmp/gotest.out" 2>&1 ||
	fail "TestRealMonitor:"$'\n'"$(cat "$tmp/gotest.out")"
grep -q -- "--- PASS: TestRealMonitor " "$tmp/gotest.out" || fail "TestRealMonitor did not run:"$'\n'"$(cat "$tmp/gotest.out")"
grep "failover done" "$tmp/gotest.out" | sed 's/^ */    /'
check "after the failover pgaf_info reports the new primary"
adhoc info_after "monitor_uri=$monitor"
want_ok info_after
new_primary=$(loopback_psql "$LOOPBACK_MONITOR_PORT" "select nodename from pgautofailover.node where reportedstate = 'primary'" autoctl_node)
[[ $new_primary != "$primary" ]] || fail "the failover left $primary primary"
assert_eq "$(get info_after 'd["primary"]["name"]')" "$new_primary" "primary after failover"
assert_eq "$(get info_after 'd["healthy"]')" true "healthy after failover"

echo "pgaf_info: all checks passed"
