# shellcheck shell=bash
# A real pg_auto_failover formation on loopback for the end-to-end tests:
# one monitor and two data nodes on 127.0.0.1, run by the `postgres` OS user
# from a private directory. Source this file, then:
#   loopback_up            start it (or reuse it when it is already healthy)
#   loopback_monitor_uri   print the monitor URI (autoctl_node, trust auth)
#   loopback_node_uri N    print the URI of data node N (1 or 2) as postgres
#   loopback_psql PORT SQL run SQL as postgres on a loopback instance
#   loopback_down          stop what loopback_up started (by recorded PID) and remove the directory
#
# Settings (environment): LOOPBACK_DIR (/var/tmp/pgafha-loopback),
# LOOPBACK_PORT_BASE (25432: monitor; +1, +2: data nodes), LOOPBACK_TIMEOUT (180 s).
# Test ports stay below Linux's ephemeral range (32768-60999): a port in it
# can be held in TIME-WAIT by any earlier client connection, and then the
# server's bind fails with "Address already in use" (seen in CI).
#
# The monitor also gets a password-authenticated role (LOOPBACK_PW_USER /
# LOOPBACK_PW_PASSWORD) so tests can prove both a good and a failed password login.

LOOPBACK_DIR=${LOOPBACK_DIR:-/var/tmp/pgafha-loopback}
LOOPBACK_PORT_BASE=${LOOPBACK_PORT_BASE:-25432}
LOOPBACK_TIMEOUT=${LOOPBACK_TIMEOUT:-180}
LOOPBACK_PGBIN=${LOOPBACK_PGBIN:-/usr/lib/postgresql/15/bin}
LOOPBACK_PW_USER=pgafha_reader
LOOPBACK_PW_PASSWORD=loopback-reader-pw
LOOPBACK_MONITOR_PORT=$LOOPBACK_PORT_BASE
LOOPBACK_NODE1_PORT=$((LOOPBACK_PORT_BASE + 1))
LOOPBACK_NODE2_PORT=$((LOOPBACK_PORT_BASE + 2))

# Failure detection in seconds rather than a minute, so a test that kills the
# primary sees the failover quickly (FACTS.md: about 4-6 s at these values).
LOOPBACK_MONITOR_GUCS=(
	"pgautofailover.health_check_period=1000"
	"pgautofailover.health_check_timeout=1000"
	"pgautofailover.health_check_max_retries=1"
	"pgautofailover.health_check_retry_delay=500"
	"pgautofailover.node_considered_unhealthy_timeout=2000"
	"pgautofailover.primary_demote_timeout=2000"
)

_lb_log() { printf '    [loopback] %s\n' "$*" >&2; }

_lb_die() {
	printf '    [loopback] ERROR: %s\n' "$*" >&2
	return 1
}

# _lb_as_postgres CMD...: run CMD as the postgres OS user with HOME and the
# XDG directories inside LOOPBACK_DIR, so pg_autoctl's config and state stay
# private to this formation (never the machine's real ones).
_lb_as_postgres() {
	local prefix
	_lb_prefix
	"${prefix[@]}" "$@"
}

# _lb_prefix fills the caller's `prefix` array with the command that switches
# to postgres (exec-style, no forking wrapper, so a recorded PID is the real one).
_lb_prefix() {
	prefix=(env
		"HOME=$LOOPBACK_DIR/home"
		"XDG_CONFIG_HOME=$LOOPBACK_DIR/home/config"
		"XDG_DATA_HOME=$LOOPBACK_DIR/home/data"
		"XDG_RUNTIME_DIR=$LOOPBACK_DIR/home/run"
		"PATH=$LOOPBACK_PGBIN:/usr/bin:/bin"
		"PG_CONFIG=$LOOPBACK_PGBIN/pg_config"
		"PGHOST=127.0.0.1")
	if [[ $(id -un) != postgres ]]; then
		prefix=(setpriv --reuid=postgres --regid=postgres --init-groups "${prefix[@]}")
	fi
}

# _lb_start NAME CMD...: start CMD as postgres in the background, in its own
# session, and record its PID (the process itself, not a wrapper).
_lb_start() {
	local name=$1
	shift
	local pidfile="$LOOPBACK_DIR/pids/$name.pid" prefix
	_lb_prefix
	# The inner shell records its own PID, then execs into pg_autoctl: the
	# recorded PID is pg_autoctl's, whatever setsid does.
	# shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
	setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
		"${prefix[@]}" "$@" >>"$LOOPBACK_DIR/logs/$name.log" 2>&1 </dev/null &

	for _ in $(seq 1 50); do
		[[ -s $pidfile ]] && break
		sleep 0.1
	done
	[[ -s $pidfile ]] || _lb_die "could not start $name" || return 1
	_lb_log "started $name (pid $(cat "$pidfile"), log $LOOPBACK_DIR/logs/$name.log)"
}

loopback_psql() {
	local port=$1 sql=$2 user=${3:-postgres} db=${4:-}
	if [[ -z $db ]]; then
		db=postgres
		[[ $port == "$LOOPBACK_MONITOR_PORT" ]] && db=pg_auto_failover
	fi
	_lb_as_postgres "$LOOPBACK_PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$port" -U "$user" -d "$db" -c "$sql"
}

loopback_monitor_uri() {
	printf 'postgres://autoctl_node@127.0.0.1:%s/pg_auto_failover?sslmode=disable\n' "$LOOPBACK_MONITOR_PORT"
}

loopback_node_uri() {
	local port=$LOOPBACK_NODE1_PORT
	[[ ${1:-1} == 2 ]] && port=$LOOPBACK_NODE2_PORT
	printf 'postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable\n' "$port"
}

# _lb_states prints the monitor's view, one "name:reported:assigned" per node.
_lb_states() {
	loopback_psql "$LOOPBACK_MONITOR_PORT" "
		select string_agg(nodename || ':' || reportedstate || ':' || goalstate, ' ' order by nodename)
		  from pgautofailover.node" autoctl_node 2>/dev/null
}

# _lb_healthy: one primary and one secondary, each in its assigned state.
_lb_healthy() {
	local s
	s=$(_lb_states) || return 1
	[[ $s =~ ^node[12]:primary:primary\ node[12]:secondary:secondary$ ||
		$s =~ ^node[12]:secondary:secondary\ node[12]:primary:primary$ ]]
}

_lb_pid_alive() {
	local pid=$1
	[[ -n $pid && -d /proc/$pid ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$LOOPBACK_DIR"
}

_lb_all_running() {
	local n pid
	for n in monitor node1 node2; do
		pid=$(cat "$LOOPBACK_DIR/pids/$n.pid" 2>/dev/null) || return 1
		_lb_pid_alive "$pid" || return 1
	done
}

# _lb_wait WHAT CHECK...: wait until CHECK succeeds.
_lb_wait() {
	local what=$1 deadline=$((SECONDS + LOOPBACK_TIMEOUT))
	shift
	while ((SECONDS < deadline)); do
		"$@" && return 0
		sleep 1
	done
	_lb_die "$what not reached within ${LOOPBACK_TIMEOUT}s (monitor sees: '$(_lb_states || true)'); logs in $LOOPBACK_DIR/logs"
}

_lb_node1_single() { [[ $(_lb_states) == node1:single:single ]]; }

_lb_wait_monitor() {
	local deadline=$((SECONDS + LOOPBACK_TIMEOUT))
	while ((SECONDS < deadline)); do
		loopback_psql "$LOOPBACK_MONITOR_PORT" "select 1 from pg_extension where extname = 'pgautofailover'" autoctl_node 2>/dev/null |
			grep -q 1 && return 0
		sleep 1
	done
	_lb_die "monitor on port $LOOPBACK_MONITOR_PORT did not come up within ${LOOPBACK_TIMEOUT}s; see $LOOPBACK_DIR/logs/monitor.log"
}

_lb_check_ports_free() {
	local p
	for p in "$LOOPBACK_MONITOR_PORT" "$LOOPBACK_NODE1_PORT" "$LOOPBACK_NODE2_PORT"; do
		if ss -Hltn "sport = :$p" | grep -q .; then
			_lb_die "port $p on this machine is already in use; set LOOPBACK_PORT_BASE to a free range" || return 1
		fi
	done
}

loopback_up() {
	# A running formation may be finishing a failover another test caused:
	# give it a moment to settle before recreating it.
	if _lb_all_running && LOOPBACK_TIMEOUT=30 _lb_wait "a healthy formation to reuse" _lb_healthy 2>/dev/null; then
		_lb_log "reusing the healthy formation in $LOOPBACK_DIR"
		return 0
	fi
	if [[ -d $LOOPBACK_DIR ]]; then
		_lb_log "a previous formation in $LOOPBACK_DIR is incomplete or unhealthy: recreating it"
		loopback_down
	fi
	_lb_check_ports_free || return 1
	command -v pg_autoctl >/dev/null || _lb_die "pg_autoctl not found (install pg-auto-failover-cli)" || return 1
	[[ -x $LOOPBACK_PGBIN/pg_ctl ]] || _lb_die "$LOOPBACK_PGBIN/pg_ctl not found (install postgresql-15)" || return 1

	mkdir -p "$LOOPBACK_DIR"/{home/config,home/data,home/run,pids,logs}
	chmod 0700 "$LOOPBACK_DIR/home/run"
	chown -R postgres:postgres "$LOOPBACK_DIR"
	local pgctl=$LOOPBACK_PGBIN/pg_ctl monitor_uri
	monitor_uri=$(loopback_monitor_uri)

	_lb_log "creating the monitor on 127.0.0.1:$LOOPBACK_MONITOR_PORT"
	_lb_as_postgres pg_autoctl create monitor --pgdata "$LOOPBACK_DIR/monitor" \
		--pgport "$LOOPBACK_MONITOR_PORT" --hostname 127.0.0.1 --auth trust --no-ssl \
		--pgctl "$pgctl" >>"$LOOPBACK_DIR/logs/monitor.log" 2>&1 ||
		_lb_die "pg_autoctl create monitor failed; see $LOOPBACK_DIR/logs/monitor.log" || return 1
	# create monitor listens on '*'; keep this test formation on loopback.
	_lb_as_postgres pg_autoctl config set --pgdata "$LOOPBACK_DIR/monitor" \
		postgresql.listen_addresses 127.0.0.1 >>"$LOOPBACK_DIR/logs/monitor.log" 2>&1 || return 1
	_lb_start monitor pg_autoctl run --pgdata "$LOOPBACK_DIR/monitor" || return 1
	_lb_wait_monitor || return 1
	_lb_tune_monitor || return 1

	local n port
	for n in 1 2; do
		port=$LOOPBACK_NODE1_PORT
		((n == 2)) && port=$LOOPBACK_NODE2_PORT
		_lb_log "creating data node node$n on 127.0.0.1:$port"
		_lb_start "node$n" pg_autoctl create postgres --pgdata "$LOOPBACK_DIR/node$n" \
			--pgport "$port" --listen 127.0.0.1 --hostname 127.0.0.1 --name "node$n" \
			--monitor "$monitor_uri" --auth trust --no-ssl --pgctl "$pgctl" --run || return 1
		if ((n == 1)); then
			_lb_wait "node1 single" _lb_node1_single || return 1
		fi
	done
	_lb_wait "primary + secondary" _lb_healthy || return 1
	_lb_log "formation up: monitor $monitor_uri"
}

# _lb_tune_monitor applies the fast failure detection and adds the
# password-authenticated role, ahead of the trust rules pg_autoctl wrote.
_lb_tune_monitor() {
	local g hba="$LOOPBACK_DIR/monitor/pg_hba.conf"
	for g in "${LOOPBACK_MONITOR_GUCS[@]}"; do
		loopback_psql "$LOOPBACK_MONITOR_PORT" "alter system set ${g%%=*} = '${g#*=}'" || return 1
	done
	loopback_psql "$LOOPBACK_MONITOR_PORT" "
		create role $LOOPBACK_PW_USER login password '$LOOPBACK_PW_PASSWORD' in role autoctl_node" || return 1
	{
		printf 'host all %s 127.0.0.1/32 scram-sha-256\n' "$LOOPBACK_PW_USER"
		cat "$hba"
	} >"$hba.new" && chown postgres:postgres "$hba.new" && mv "$hba.new" "$hba" || return 1
	loopback_psql "$LOOPBACK_MONITOR_PORT" "select pg_reload_conf()" >/dev/null
}

# _lb_stop NAME: stop one recorded pg_autoctl process (it stops its Postgres),
# then make sure that instance's postmaster is gone, again by PID only.
_lb_stop() {
	local name=$1
	_lb_terminate "$name" "$(cat "$LOOPBACK_DIR/pids/$name.pid" 2>/dev/null || true)" TERM 30
	# SIGINT is PostgreSQL's fast shutdown.
	_lb_terminate "$name postmaster" "$(head -n1 "$LOOPBACK_DIR/$name/postmaster.pid" 2>/dev/null || true)" INT 10
	return 0
}

# _lb_terminate WHAT PID SIGNAL SECONDS: send SIGNAL to PID when it is alive,
# wait up to SECONDS for it to exit, then SIGKILL it.
_lb_terminate() {
	local what=$1 pid=$2 sig=$3 secs=$4 i
	_lb_pid_alive "$pid" || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		_lb_pid_alive "$pid" || return 0
		sleep 0.1
	done
	_lb_log "$what (pid $pid) still running after $secs s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
}

loopback_down() {
	[[ -d $LOOPBACK_DIR ]] || return 0
	_lb_log "stopping the formation in $LOOPBACK_DIR"
	local n
	# Standbys first, so the primary is not asked to wait for them.
	for n in node2 node1 monitor; do
		_lb_stop "$n"
	done
	rm -rf -- "$LOOPBACK_DIR"
}
