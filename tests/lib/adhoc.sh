# shellcheck shell=bash
# Ad-hoc module runs on localhost for tests/e2e/*.sh (source after assert.sh;
# the sourcing script sets $tmp). Results are read with the json callback.
# shellcheck disable=SC2154 # $tmp belongs to the sourcing script

rc=0

# adhoc_run NAME MODULE ARGS [ansible options...] runs one module on
# localhost; the host's result lands in $tmp/NAME.json, Ansible's exit code in
# $rc. With -v Ansible prints lines before the JSON document: they stay in
# NAME.raw (checked for secrets and crashes) but are not parsed.
adhoc_run() {
	local name=$1 module=$2 args=$3
	shift 3
	rc=0
	ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=json \
		ansible localhost -i localhost, -c local -m "$module" -a "$args" "$@" \
		>"$tmp/$name.raw" 2>"$tmp/$name.err" || rc=$?
	sed -n '/^{/,$p' "$tmp/$name.raw" >"$tmp/$name.doc"
	ansible_host_result "$tmp/$name.doc" "$tmp/$name.json"
}

# get NAME EXPR reads a value from the result of run NAME (`d` is it).
get() { json_get "$tmp/$1.json" "$2"; }

# everything NAME is all Ansible printed for run NAME.
everything() { cat "$tmp/$1.raw" "$tmp/$1.err"; }

# want_failure NAME FRAGMENT... : Ansible reported the task failed with a
# msg holding every fragment, without a module crash.
want_failure() {
	local name=$1 msg frag
	shift
	assert_eq "$rc" 2 "ansible exit code for $name"
	assert_eq "$(get "$name" 'd.get("failed")')" true "failed for $name"
	msg=$(get "$name" 'd["msg"]')
	for frag in "$@"; do assert_contains "$msg" "$frag" "msg of $name"; done
	assert_not_contains "$(everything "$name")" "MODULE FAILURE" "output of $name"
	assert_not_contains "$(everything "$name")" "goroutine" "output of $name"
}
