# shellcheck shell=bash
# Running the lab playbook and ad-hoc commands against the Incus containers,
# shared by scripts/converge-lab.sh and tests/e2e/*.sh (source it).
#
#   lab_playbook INVENTORY [ansible-playbook args...]   runs playbooks/postgres_ha.yml
#   lab_playbook_ok LOG INVENTORY [args...]             the same, log in LOG, the test fails unless it passed
#   lab_play INVENTORY PLAYBOOK [args...]                runs another playbook
#   lab_ansible INVENTORY PATTERN [ansible args...]     ad-hoc command
#   lab_recap_changed LOG / lab_recap_failed LOG         sums from a saved PLAY RECAP
#   lab_assert_unchanged LOG WHAT                        fails, naming the changed tasks, unless changed=0
#   lab_members INVENTORY                                project, monitor, monitor PGDATA, data nodes
#   lab_read CMD...                                      a read-only command, again when it printed nothing
#   lab_reset_formation PROJECT CONTAINER...             every trace of the formation gone from the containers
#   lab_trust_rules PROJECT CONTAINER PGDATA             pg_hba.conf lines trusting local or loopback connections
#
# The shipped inventories use the community.general.incus connection. When this
# Ansible lacks it (Debian 12 ships community.general 6.6.2; incus came in
# 8.2), the helpers add tests/lib/lxd-connection.yml as a second inventory
# source, which switches the containers to community.general.lxd, and put
# tests/bin (an `lxc` → `incus` wrapper) first on PATH.
# PGAFHA_CONNECTION=incus|lxd forces one; the default `auto` picks.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export ANSIBLE_CONFIG=$LAB_ROOT/ansible.cfg
export ANSIBLE_LIBRARY=$LAB_ROOT/library
export ANSIBLE_ROLES_PATH=$LAB_ROOT/roles
export ANSIBLE_NOCOLOR=1
export ANSIBLE_FORCE_COLOR=0
# Fewer `incus` calls per task (Ansible turns it off by itself where su needs a tty).
export ANSIBLE_PIPELINING=True
case ":$PATH:" in
*":$LAB_ROOT/tests/bin:"*) ;;
*) export PATH=$LAB_ROOT/tests/bin:$PATH ;;
esac

# lab_connection prints the connection plugin the containers are reached with.
lab_connection() {
	if [[ -z ${LAB_CONNECTION:-} ]]; then
		case ${PGAFHA_CONNECTION:-auto} in
		incus | lxd) LAB_CONNECTION=$PGAFHA_CONNECTION ;;
		*)
			# ansible-doc exits 0 for an unknown plugin: look it up in the list.
			if ansible-doc -t connection -l community.general 2>/dev/null | awk '{print $1}' | grep -qx community.general.incus; then
				LAB_CONNECTION=incus
			else
				LAB_CONNECTION=lxd
			fi
			;;
		esac
	fi
	echo "$LAB_CONNECTION"
}

# lab_inventory_args INVENTORY prints the -i arguments, one per line.
lab_inventory_args() {
	printf '%s\n' -i "$1"
	if [[ $(lab_connection) == lxd ]]; then
		printf '%s\n' -i "$LAB_ROOT/tests/lib/lxd-connection.yml"
	fi
}

lab_playbook() {
	local inv=$1
	shift
	lab_play "$inv" "$LAB_ROOT/playbooks/postgres_ha.yml" "$@"
}

# lab_playbook_ok LOG INVENTORY [ansible-playbook args...]: lab_playbook with
# its output in LOG; the test fails (with the end of LOG) unless the run
# succeeded with no failed or unreachable host. Needs tests/lib/assert.sh.
lab_playbook_ok() {
	local log=$1 rc=0
	shift
	lab_playbook "$@" >"$log" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		tail -40 "$log" >&2
		# The failures themselves, which the tail may have left out.
		grep -E '^(fatal|failed): ' "$log" | cut -c1-2000 >&2 || true
		fail "ansible-playbook ${*:2} exited $rc"
	fi
	assert_eq "$(lab_recap_failed "$log")" 0 "failed+unreachable in the PLAY RECAP of $(basename "$log" .log)"
}

# lab_play INVENTORY PLAYBOOK [ansible-playbook args...] runs any playbook.
lab_play() {
	local inv=$1 args
	shift
	LAB_CONNECTION=$(lab_connection)
	mapfile -t args < <(lab_inventory_args "$inv")
	ansible-playbook "${args[@]}" "$@"
}

# lab_members INVENTORY prints, on one line, what the scripts need to reach
# the formation of an inventory: the Incus project, the monitor's container,
# the monitor's PGDATA and the data nodes (comma-separated).
lab_members() {
	ansible-inventory -i "$1" --list 2>/dev/null | python3 -c '
import json, sys
inv = json.load(sys.stdin)
hv = inv["_meta"]["hostvars"]
mon = inv["postgres_ha_monitor"]["hosts"][0]
v = hv.get(mon, {})
print(v.get("ansible_incus_project", "default"), mon,
      "/var/lib/postgresql/%s/pgaf-monitor" % v.get("postgres_ha_postgresql_version", 15),
      ",".join(inv["postgres_ha_nodes"]["hosts"]))'
}

lab_ansible() {
	local inv=$1 args
	shift
	LAB_CONNECTION=$(lab_connection)
	mapfile -t args < <(lab_inventory_args "$inv")
	ansible "${args[@]}" "$@"
}

# lab_recap_sum LOG FIELD adds FIELD=N over every host of the last PLAY RECAP.
lab_recap_sum() {
	awk -v f="$2" '
		/^PLAY RECAP/ { sum = 0; seen = 1; next }
		seen && $0 ~ (" " f "=") {
			for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2 && kv[1] == f) sum += kv[2]
		}
		END { if (!seen) exit 1; print sum }' "$1"
}

lab_recap_changed() { lab_recap_sum "$1" changed; }
lab_recap_failed() { echo $(($(lab_recap_sum "$1" failed) + $(lab_recap_sum "$1" unreachable))); }

# lab_changed_tasks LOG prints each task that reported a change: its header,
# what it printed (the diff with --diff comes before the status line) and its
# "changed: [host]" lines with the result that follows them under -v, so a
# failed idempotency check says what moved.
lab_changed_tasks() {
	awk '
		/^TASK \[/ { task = $0; buf = ""; show = 0; next }
		/^changed: \[/ { if (task != "") { print task; task = "" } printf "%s", buf; buf = ""; show = 1; print; next }
		/^(ok|skipping|fatal|failed|included): \[/ || /^PLAY / { buf = ""; show = 0; next }
		show { print; next }
		{ buf = buf $0 "\n" }' "$1" | cut -c1-400
}

# lab_assert_unchanged LOG WHAT: the test fails unless the PLAY RECAP of LOG
# sums to changed=0, printing the tasks that changed. Needs tests/lib/assert.sh.
lab_assert_unchanged() {
	local n
	n=$(lab_recap_changed "$1")
	if [[ $n != 0 ]]; then
		lab_changed_tasks "$1" | head -80 | sed 's/^/    | /' >&2
		fail "changed in the PLAY RECAP of $2: got '$n', want '0'"
	fi
}

# lab_read CMD...: runs a read-only command (an oracle's `incus exec` query)
# and runs it again, up to three times in all, when it succeeded but printed
# nothing: Incus 6.0.4's client sometimes loses a command's whole output with
# exit code 0 (tests/lib/incus-cli); a test must not read that as "no rows".
lab_read() {
	local out attempt
	for attempt in 1 2 3; do
		out=$("$@") || return $?
		if [[ -n $out ]]; then
			printf '%s\n' "$out"
			return 0
		fi
		((attempt == 3)) || sleep 0.2
	done
}

# lab_reset_formation PROJECT CONTAINER... removes every trace of a formation
# built at the role's default paths from the containers (units, data
# directories, pg_autoctl state, TLS files, ~/.pgpass), so that the next
# converge starts from an empty formation.
lab_reset_formation() {
	local project=$1 c home=/var/lib/postgresql
	shift
	for c in "$@"; do
		incus exec --project "$project" "$c" -- sh -c "systemctl disable --now pg_autoctl-monitor pg_autoctl-node >/dev/null 2>&1 || true
			rm -f /etc/systemd/system/pg_autoctl-monitor.service /etc/systemd/system/pg_autoctl-node.service
			systemctl daemon-reload
			rm -rf $home/15/pgaf-monitor $home/15/pgaf-node $home/pgafha-tls $home/.config/pg_autoctl $home/.local/share/pg_autoctl $home/.pgpass /tmp/pg_autoctl $home/15/backup"
	done
}

# lab_trust_rules PROJECT CONTAINER PGDATA prints the lines of an instance's
# pg_hba.conf that trust local or loopback connections. The file is read with
# lab_read (it is never empty): a lost output must not pass for "none".
lab_trust_rules() {
	lab_read incus exec --project "$1" "$2" -- cat "$3/pg_hba.conf" |
		awk '!/^[[:space:]]*#/ && $NF == "trust" && ($1 == "local" || $4 == "127.0.0.1/32" || $4 == "::1/128")'
}
