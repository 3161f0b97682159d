#!/usr/bin/env bash
# The binary-module protocol through real Ansible: a fixture module that
# manages one file (tests/fixtures/protocol_probe) shows changed, --check,
# --diff, warnings, option conversion, bad input, timeouts, panics and secret
# masking as Ansible reports them; then pgaf_info's bad-input handling if it
# is built. Needs: go, ansible, python3. Run from anywhere after ./build.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../lib/assert.sh
source tests/lib/assert.sh
# shellcheck source=SCRIPTDIR/../lib/adhoc.sh
source tests/lib/adhoc.sh
export PATH=/usr/local/go/bin:$PATH

tmp=$(mktemp -d /tmp/pgafha-protocol.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/library" "$tmp/work"

echo "building the protocol_probe fixture"
CGO_ENABLED=0 go build -trimpath -o "$tmp/library/protocol_probe" ./tests/fixtures/protocol_probe
probe=$tmp/library/protocol_probe

export ANSIBLE_CONFIG=$ROOT/ansible.cfg
export ANSIBLE_LIBRARY=$tmp/library:$ROOT/library
export ANSIBLE_NOCOLOR=1

# adhoc NAME MODULE ARGS [ansible options...] (tests/lib/adhoc.sh).
adhoc() { adhoc_run "$@"; }

# adhoc NAME MODULE ARGS [ansible options...] runs one module on localhost
# with the json callback; the host's result lands in $tmp/NAME.json and
# Ansible's exit code in $rc.



# direct BINARY NAME ARGV... runs a module binary the way Ansible would,
# without Ansible: for argument files Ansible itself never produces.
direct() {
	local bin=$1 name=$2
	shift 2
	rc=0
	"$bin" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err" || rc=$?
}

want_direct_failure() {
	local name=$1 frag
	shift
	assert_eq "$rc" 1 "exit code of $name"
	assert_eq "$(wc -l <"$tmp/$name.json")" 1 "stdout lines of $name"
	assert_eq "$(get "$name" 'd["failed"]')" true "failed for $name"
	for frag in "$@"; do assert_contains "$(get "$name" 'd["msg"]')" "$frag" "msg of $name"; done
	assert_not_contains "$(cat "$tmp/$name.json")" "goroutine" "stdout of $name"
}

bad_args_files() {
	local bin=$1 mod
	mod=$(basename "$bin")
	check "$mod: no argument, two arguments, missing, malformed and non-object args files fail cleanly"
	direct "$bin" "$mod-noarg"
	want_direct_failure "$mod-noarg" "expects one argument"
	direct "$bin" "$mod-twoargs" a b
	want_direct_failure "$mod-twoargs" "expects one argument"
	direct "$bin" "$mod-missing" "$tmp/no-such-args"
	want_direct_failure "$mod-missing" "read args file" "no such file"
	printf '{"path": "%s/x", ' "$tmp" >"$tmp/truncated.args"
	direct "$bin" "$mod-truncated" "$tmp/truncated.args"
	want_direct_failure "$mod-truncated" "is not a JSON object"
	printf 'path=x\n' >"$tmp/kv.args"
	direct "$bin" "$mod-kv" "$tmp/kv.args"
	want_direct_failure "$mod-kv" "is not a JSON object"
	printf '[1]\n' >"$tmp/list.args"
	direct "$bin" "$mod-list" "$tmp/list.args"
	want_direct_failure "$mod-list" "is not a JSON object"
}

file=$tmp/work/file.txt

echo "protocol_probe outside Ansible"
check "--describe lists the options, the standard timeout included"
"$probe" --describe >"$tmp/describe.json"
assert_eq "$(json_get "$tmp/describe.json" 'd["options"]["path"]["required"]')" true "path required"
assert_eq "$(json_get "$tmp/describe.json" 'd["options"]["password"]["no_log"]')" true "password no_log"
assert_eq "$(json_get "$tmp/describe.json" 'd["options"]["timeout"]')" '{"default": 10, "required": false, "type": "int"}' "timeout option"
bad_args_files "$probe"

echo "protocol_probe through ansible (ad-hoc)"
check "a first run creates the file and reports changed"
adhoc create protocol_probe "path=$file content=hello"
assert_eq "$rc" 0 "ansible exit code"
assert_eq "$(get create 'd["changed"]')" true "changed"
assert_eq "$(get create '"diff" in d')" false "diff present without --diff"
assert_file_content "$file" hello

check "a second run changes nothing"
adhoc again protocol_probe "path=$file content=hello"
assert_eq "$(get again 'd["changed"]')" false "changed on rerun"

check "--check predicts the change and leaves the file alone"
adhoc check protocol_probe "path=$file content=world" --check
assert_eq "$(get check 'd["changed"]')" true "changed in check mode"
assert_contains "$(get check 'd["msg"]')" "check mode" "msg"
assert_eq "$(get check '"diff" in d')" false "diff present without --diff"
assert_file_content "$file" hello

check "--check --diff shows before/after and still changes nothing"
adhoc checkdiff protocol_probe "path=$file content=world" --check --diff
assert_eq "$(get checkdiff 'd["diff"]["before"] + "->" + d["diff"]["after"]')" "hello->world" "diff"
assert_eq "$(get checkdiff 'd["diff"]["after_header"]')" "$file (after)" "diff header"
assert_file_content "$file" hello
out=$(ansible localhost -i localhost, -c local -m protocol_probe -a "path=$file content=world" --check --diff 2>&1)
assert_contains "$out" "-hello" "default callback output"
assert_contains "$out" "+world" "default callback output"
assert_contains "$out" "CHANGED" "default callback output"
assert_file_content "$file" hello

check "--diff with a real change"
adhoc diff protocol_probe "path=$file content=world" --diff
assert_eq "$(get diff 'd["changed"]')" true "changed"
assert_eq "$(get diff 'd["diff"]["before"] + "->" + d["diff"]["after"]')" "hello->world" "diff"
assert_file_content "$file" world

check "-a 'k=v' strings convert like Ansible's (int 5.0, float, yes/no, a,b list, k=v dict)"
adhoc kv protocol_probe "path=$file content=world count=5.0 ratio=2.5 enabled=no labels=a,b settings='k=v k2=v2'"
assert_eq "$(get kv 'd["typed"]')" '{"count": 5, "enabled": false, "labels": ["a", "b"], "ratio": 2.5, "settings": {"k": "v", "k2": "v2"}}' "typed values"
adhoc jsonargs protocol_probe '{"dest": "'"$file"'", "content": "world", "count": "7", "enabled": "on", "settings": "{\"a\": [1, true]}"}'
assert_eq "$(get jsonargs 'd["typed"]')" '{"count": 7, "enabled": true, "labels": null, "ratio": 0, "settings": {"a": [1, true]}}' "typed values"
assert_eq "$(get jsonargs 'd["changed"]')" false "changed"

check "warnings reach Ansible"
adhoc warn protocol_probe "path=$tmp/work/empty.txt"
assert_contains "$(get warn 'd["warnings"][0]')" "empty content" "warning"
assert_file_content "$tmp/work/empty.txt" ""

check "bad input fails naming the option and the reason, nothing changed"
adhoc bogus protocol_probe "path=$file content=x bogus=1"
want_failure bogus "Unsupported parameters for (protocol_probe) module: bogus." "Supported parameters include: conninfo, content, count, crash, dest, enabled,"
adhoc badint protocol_probe "path=$file content=x count=abc"
want_failure badint "argument 'count' is of type string and we were unable to convert to int"
adhoc badbool protocol_probe "path=$file content=x enabled=maybe"
want_failure badbool "argument 'enabled'" "bool"
adhoc badchoice protocol_probe "path=$file state=gone"
want_failure badchoice "value of state must be one of: present, absent, got: gone"
adhoc missing protocol_probe "content=x"
want_failure missing "missing required arguments: path"
adhoc badtimeout protocol_probe "path=$file content=x timeout=abc"
want_failure badtimeout "argument 'timeout' is of type string and we were unable to convert to int"
adhoc zerotimeout protocol_probe "path=$file content=x timeout=0"
want_failure zerotimeout "argument 'timeout' must be a number of seconds between 1 and"
assert_file_content "$file" world

check "the timeout option bounds the run"
start=$SECONDS
adhoc slow protocol_probe "path=$file content=x wait=60 timeout=1"
want_failure slow "wait before managing $file" "deadline exceeded" "timeout=1s"
((SECONDS - start < 20)) || fail "timeout=1 run took $((SECONDS - start)) s"
assert_file_content "$file" world

check "a Go panic becomes a failed task, no stack trace"
adhoc crash protocol_probe "path=$file content=x crash=yes"
want_failure crash "internal error in module protocol_probe" "index out of range"
assert_file_content "$file" world

check "secrets never reach Ansible's output, even at -vvv"
out=$(ansible localhost -i localhost, -c local -m protocol_probe -vvv \
	-a "path=$file content=world password=AdhocS3cret conninfo='host=127.0.0.1 password=KvS3cret dbname=x'" 2>&1)
assert_contains "$out" '"password": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' "-vvv output"
assert_contains "$out" '"conninfo": "host=127.0.0.1 password=******** dbname=x"' "-vvv output"
assert_not_contains "$out" AdhocS3cret "-vvv output"
assert_not_contains "$out" KvS3cret "-vvv output"

echo "protocol_probe through ansible-playbook"
check "tests/playbooks/protocol.yml passes its own assertions"
mkdir -p "$tmp/play"
rc=0
ANSIBLE_STDOUT_CALLBACK=json ansible-playbook -i localhost, tests/playbooks/protocol.yml \
	-e "probe_dir=$tmp/play" >"$tmp/play.raw" 2>"$tmp/play.err" || rc=$?
assert_eq "$rc" 0 "ansible-playbook exit code ($(tail -c 3000 "$tmp/play.raw"))"
assert_eq "$(json_get "$tmp/play.raw" 'd["stats"]["localhost"]["failures"]')" 0 "failed tasks"
assert_eq "$(json_get "$tmp/play.raw" 'd["stats"]["localhost"]["ignored"]')" 2 "expected failures"
assert_eq "$(json_get "$tmp/play.raw" 'd["stats"]["localhost"]["changed"]')" 4 "changed tasks"

if [[ -x library/pgaf_info ]]; then
	echo "pgaf_info (library/pgaf_info) bad input"
	check "an unknown option fails naming it"
	adhoc info_bogus pgaf_info "monitor_uri=postgres://127.0.0.1:1/x bogus=1"
	want_failure info_bogus "bogus" "Supported parameters include:" "monitor_uri"
	check "timeout=abc fails naming timeout and its type"
	adhoc info_timeout pgaf_info "monitor_uri=postgres://127.0.0.1:1/x timeout=abc"
	want_failure info_timeout "'timeout'" "int"
	bad_args_files library/pgaf_info
else
	echo "library/pgaf_info not built: its bad-input checks skipped (run ./build.sh)"
fi

echo "protocol: all checks passed"
