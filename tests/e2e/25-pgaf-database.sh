#!/usr/bin/env bash
# pgaf_database through real ansible against a throwaway PostgreSQL 15 on
# loopback (port 25440: below the ephemeral range, see
# tests/lib/loopback_formation.sh; SCRAM for 127.0.0.1, every statement logged):
# create, idempotence, --check, --diff, password change and md5 upgrade,
# owner and connection limit, absent, bad input, unreachable server,
# non-superuser login, and no secret anywhere in -vvv output or the
# server log. Needs ./build.sh first (library/pgaf_database).
set -euo pipefail
cd "$(dirname "$0")/../.."

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=25440
SUPER_PW='e2e-Super-pw-7Qx'
APP_PW1='e2e-App-pw-1Kd'
APP_PW2='e2e-App-pw-2Lm'
MD5_PW='e2e-Md5-pw-3Nb'
VVV_PW='e2e-Vvv-pw-9Zr'
CREATOR_PW='e2e-Creator-pw-5Ht' # set by this script's own SQL, so it is in the server log
UTF_PW=$'\uFB01sh\u00A0and\u00ADchips-e2e'
URI="postgresql://postgres:$SUPER_PW@127.0.0.1:$PORT/postgres?sslmode=disable"
APP="role=app database=appdb"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() { echo "ok: $*"; }

[[ -x library/pgaf_database ]] || fail "library/pgaf_database is not built (run ./build.sh)"
[[ -x $PGBIN/initdb ]] || fail "PostgreSQL 15 server binaries not found in $PGBIN"
if [[ -n $(ss -Hltn "sport = :$PORT") ]]; then
	fail "port $PORT is already in use; stop whatever listens there"
fi

WORK=$(mktemp -d /tmp/pgafha-e2e25.XXXXXX)
PGDATA_DIR=$WORK/data

cleanup() {
	local pid i
	if [[ -f $PGDATA_DIR/postmaster.pid ]]; then
		pid=$(head -n 1 "$PGDATA_DIR/postmaster.pid")
		# SIGINT is PostgreSQL's fast shutdown.
		kill -INT "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

echo "--- starting a throwaway PostgreSQL 15 on 127.0.0.1:$PORT"
chown postgres: "$WORK"
chmod 700 "$WORK"
printf '%s\n' "$SUPER_PW" >"$WORK/superpw"
chown postgres: "$WORK/superpw"
as_postgres "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -E UTF8 --locale=C.UTF-8 -N \
	--auth-local=trust --auth-host=scram-sha-256 --pwfile="$WORK/superpw" >"$WORK/initdb.log"
cat >"$PGDATA_DIR/pg_hba.conf" <<'EOF'
local all all trust
host  all all 127.0.0.1/32 scram-sha-256
EOF
if ! as_postgres "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/server.log" -w -t 30 start \
	-o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c password_encryption=scram-sha-256 -c log_statement=all" >/dev/null; then
	sed 's/^/    server.log: /' "$WORK/server.log" >&2
	fail "the throwaway PostgreSQL did not start"
fi

# sql QUERY: run as postgres over the private socket, unaligned output.
sql() { as_postgres "$PGBIN/psql" -X -q -At -h "$WORK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$1"; }

# can_login USER PASSWORD DB: a real SCRAM login over TCP.
can_login() {
	PGPASSWORD=$2 PGCONNECT_TIMEOUT=5 PGSSLMODE=disable \
		"$PGBIN/psql" -X -q -At -h 127.0.0.1 -p "$PORT" -U "$1" -d "$3" -c 'SELECT 1' >/dev/null 2>&1
}

# mod NAME ARGS [ansible options...]: run the module through ansible; the
# output goes to $WORK/NAME.out, the exit code to $WORK/NAME.rc.
mod() {
	local name=$1 args=$2 rc=0
	shift 2
	ansible localhost -i localhost, -c local -m pgaf_database -a "$args" "$@" >"$WORK/$name.out" 2>&1 || rc=$?
	echo "$rc" >"$WORK/$name.rc"
}

# field NAME KEY: a value of the JSON result in $WORK/NAME.out (bools as
# true/false, lists one item a line).
field() {
	python3 - "$WORK/$1.out" "$2" <<'EOF'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
start = text.find("=> {")
if start < 0:
    sys.exit("no JSON result in " + sys.argv[1])
result, _ = json.JSONDecoder().raw_decode(text[start + 3:])
value = result.get(sys.argv[2])
if isinstance(value, bool):
    print("true" if value else "false")
elif isinstance(value, list):
    print("\n".join(map(str, value)))
elif value is not None:
    print(value)
EOF
}

expect() { # NAME KEY VALUE
	local got
	got=$(field "$1" "$2")
	[[ $got == "$3" ]] || fail "$1: $2 is '$got', expected '$3'; output:"$'\n'"$(cat "$WORK/$1.out")"
}

expect_ok() { [[ $(cat "$WORK/$1.rc") == 0 ]] || fail "$1: ansible failed:"$'\n'"$(cat "$WORK/$1.out")"; }

expect_failed() { # NAME MESSAGE-PART
	[[ $(cat "$WORK/$1.rc") != 0 ]] || fail "$1: ansible succeeded, expected a failure"
	grep -q '^localhost | FAILED! => {' "$WORK/$1.out" || fail "$1: no failed result:"$'\n'"$(cat "$WORK/$1.out")"
	expect "$1" changed false
	local msg
	msg=$(field "$1" msg)
	[[ $msg == *"$2"* ]] || fail "$1: message lacks '$2':"$'\n'"$(cat "$WORK/$1.out")"
}

verifier() { sql "SELECT rolpassword FROM pg_authid WHERE rolname = '$1'"; }

echo "--- bad input and unreachable server fail clearly"
mod unknown "login_uri=$URI $APP password=$APP_PW1 passwd=S3cretXYZ"
expect_failed unknown "Unsupported parameters for (pgaf_database) module: passwd"
# A misspelled secret option is not echoed in invocation.module_args.
! grep -q S3cretXYZ "$WORK/unknown.out" || fail "the value of the unknown option passwd is in the output"
mod missing "login_uri=$URI database=appdb password=$APP_PW1"
expect_failed missing "missing required arguments: role"
mod wrongtype "login_uri=$URI $APP password=$APP_PW1 connection_limit=many"
expect_failed wrongtype "argument 'connection_limit' is of type"
mod unreachable "login_uri=postgresql://postgres:$SUPER_PW@127.0.0.1:1/postgres $APP password=$APP_PW1"
expect_failed unreachable "connection refused"
[[ -z $(sql "SELECT 1 FROM pg_roles WHERE rolname = 'app'") ]] || fail "a failed run created the role"
ok "unknown option, missing role, wrong type, unreachable server: failed, nothing created"

echo "--- --check on an empty server predicts and changes nothing"
mod check1 "login_uri=$URI $APP password=$APP_PW1" --check
expect_ok check1
expect check1 changed true
expect check1 role_created true
[[ $(field check1 msg) == "would create role app"* ]] || fail "check1: msg does not predict the creation"
[[ -z $(sql "SELECT 1 FROM pg_roles WHERE rolname = 'app' UNION ALL SELECT 1 FROM pg_database WHERE datname = 'appdb'") ]] ||
	fail "--check created the role or the database"
ok "--check: changed=true, nothing created"

echo "--- first run creates, second run changes nothing"
mod first "login_uri=$URI $APP password=$APP_PW1"
expect_ok first
expect first changed true
expect first role_created true
expect first database_created true
expect first password_changed true
[[ $(verifier app) == SCRAM-SHA-256\$4096:* ]] || fail "the stored password is not a SCRAM-SHA-256 verifier"
[[ $(sql "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'") == app ]] || fail "appdb is not owned by app"
can_login app "$APP_PW1" appdb || fail "app cannot log in with its password"
mod second "login_uri=$URI $APP password=$APP_PW1"
expect_ok second
expect second changed false
expect second password_changed false
ok "created (SCRAM verifier, owner app, login works); second run changed=false"

echo "--- a new password: --check --diff predicts, the real run applies it"
before=$(verifier app)
mod check2 "login_uri=$URI $APP password=$APP_PW2" --check --diff
expect_ok check2
expect check2 changed true
expect check2 password_changed true
grep -qF -- '+        "password": "changed",' "$WORK/check2.out" || fail "check2: the diff does not show the password as changed"
[[ $(verifier app) == "$before" ]] || fail "--check changed the stored password"
mod newpw "login_uri=$URI $APP password=$APP_PW2"
expect_ok newpw
expect newpw changed true
expect newpw password_changed true
can_login app "$APP_PW2" appdb || fail "the new password does not authenticate"
! can_login app "$APP_PW1" appdb || fail "the old password still authenticates"
ok "--check --diff: predicted, nothing changed; run: new password works, old one refused"

echo "--- database owner, connection limit, md5 upgrade, non-ASCII password"
sql "ALTER DATABASE appdb OWNER TO postgres"
mod owner "login_uri=$URI $APP password=$APP_PW2 connection_limit=3"
expect_ok owner
expect owner changed true
expect owner owner_changed true
expect owner password_changed false
[[ $(sql "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'") == app ]] || fail "the owner was not fixed"
[[ $(sql "SELECT rolconnlimit FROM pg_roles WHERE rolname = 'app'") == 3 ]] || fail "the connection limit was not set"
sql "SET password_encryption = 'md5'; ALTER ROLE app PASSWORD '$MD5_PW'"
mod md5 "login_uri=$URI $APP password=$MD5_PW"
expect md5 changed true
expect md5 password_changed true
[[ $(verifier app) == SCRAM-SHA-256\$* ]] || fail "the md5 hash was not replaced by a SCRAM verifier"
can_login app "$MD5_PW" appdb || fail "the password does not authenticate after the md5 upgrade"
utf_args=$(python3 -c 'import json, sys; print(json.dumps({"login_uri": sys.argv[1], "role": "app", "database": "appdb", "password": sys.argv[2]}))' "$URI" "$UTF_PW")
mod utf "$utf_args"
expect utf password_changed true
can_login app "$UTF_PW" appdb || fail "libpq cannot log in with the non-ASCII password (SASLprep mismatch)"
ok "owner fixed, connection limit set, md5 upgraded to SCRAM, SASLprep matches libpq"

echo "--- a login role that is not a superuser is refused clearly"
sql "CREATE ROLE creator LOGIN CREATEROLE CREATEDB PASSWORD '$CREATOR_PW'"
mod nosuper "login_uri=postgresql://creator@127.0.0.1:$PORT/postgres?sslmode=disable login_password=$CREATOR_PW $APP password=$APP_PW2"
expect_failed nosuper "is not a superuser"
ok "non-superuser login: failed, saying why"

echo "--- -vvv --diff with known secrets: none of them in the output or the server log"
mod vvv1 "login_uri=$URI $APP password=$VVV_PW" -vvv --diff
expect_ok vvv1
expect vvv1 password_changed true
stored=$(verifier app)
# Also the idempotence of connection_limit, set above.
mod vvv2 "login_uri=$URI $APP password=$VVV_PW connection_limit=3" -vvv --diff
expect vvv2 changed false
mod vvv3 "login_uri=postgresql://postgres@127.0.0.1:$PORT/postgres?sslmode=disable login_password=$SUPER_PW $APP password=$VVV_PW" -vvv --check --diff
expect vvv3 changed false
mod vvv4 "login_uri=postgresql://postgres:$SUPER_PW-wrong@127.0.0.1:$PORT/postgres?sslmode=disable $APP password=$VVV_PW" -vvv
expect_failed vvv4 "password authentication failed"
can_login app "$VVV_PW" appdb || fail "the -vvv run did not set the password"
IFS='$:' read -r _ _ salt stored_key server_key <<<"$stored"
outputs=("$WORK"/vvv*.out "$WORK"/first.out "$WORK"/newpw.out "$WORK"/check2.out "$WORK"/unreachable.out "$WORK"/nosuper.out)
declare -A secrets=([VVV_PW]=$VVV_PW [SUPER_PW]=$SUPER_PW [APP_PW1]=$APP_PW1 [APP_PW2]=$APP_PW2 [UTF_PW]=$UTF_PW
	[CREATOR_PW]=$CREATOR_PW [verifier]=$stored [salt]=$salt [StoredKey]=$stored_key [ServerKey]=$server_key)
for name in "${!secrets[@]}"; do
	if grep -qF -- "${secrets[$name]}" "${outputs[@]}"; then
		fail "$name appears in the ansible output: $(grep -lF -- "${secrets[$name]}" "${outputs[@]}" | tr '\n' ' ')"
	fi
	# The server log holds what this script itself sent in SQL (CREATOR_PW);
	# whatever the module sent must not be there.
	if [[ $name != CREATOR_PW && $name != salt ]] && grep -qF -- "${secrets[$name]}" "$WORK/server.log"; then
		fail "$name appears in the server log (log_statement=all)"
	fi
done
grep -qF "SET LOCAL log_statement = 'none'" "$WORK/server.log" || fail "the server did not log statements; the log check proves nothing"
grep -qE '(CREATE|ALTER) ROLE "app"' "$WORK/server.log" && fail "the module's CREATE/ALTER ROLE was logged despite its quiet transaction"
ok "passwords, verifier, salt and keys appear nowhere in 4 -vvv runs (incl. a failure) nor in the server log"

echo "--- state=absent drops the database and the role"
mod absent "login_uri=$URI $APP state=absent"
expect_ok absent
expect absent changed true
expect absent database_dropped true
expect absent role_dropped true
[[ -z $(sql "SELECT 1 FROM pg_roles WHERE rolname = 'app' UNION ALL SELECT 1 FROM pg_database WHERE datname = 'appdb'") ]] ||
	fail "state=absent left the role or the database"
mod absent2 "login_uri=$URI $APP state=absent"
expect absent2 changed false
ok "absent: dropped; second run changed=false"

echo "PASS: pgaf_database end to end"
