# shellcheck shell=bash
# Assertions shared by tests/e2e/*.sh (source it). `check` announces what is
# being checked; every assert_* stops the script with a clear message on the
# first failure and prints nothing on success. Each check line starts with the
# seconds since the script started, so a slow step shows in the suite's log.

check() { printf '  * [%4d s] %s\n' "$SECONDS" "$*"; }

fail() {
	printf '\nFAIL: %s\n' "$*" >&2
	exit 1
}

# assert_eq GOT WANT WHAT
assert_eq() {
	[[ "$1" == "$2" ]] || fail "${3:-value}: got '$1', want '$2'"
}

# assert_contains TEXT FRAGMENT WHAT
assert_contains() {
	[[ "$1" == *"$2"* ]] || fail "${3:-text} does not contain '$2':"$'\n'"$1"
}

# assert_not_contains TEXT FRAGMENT WHAT
assert_not_contains() {
	[[ "$1" != *"$2"* ]] || fail "${3:-text} contains '$2':"$'\n'"$1"
}

# assert_file_content PATH CONTENT
assert_file_content() {
	[[ -f "$1" ]] || fail "file $1 does not exist"
	assert_eq "$(cat "$1")" "$2" "content of $1"
}

assert_no_file() {
	[[ ! -e "$1" ]] || fail "$1 exists"
}

# json_get FILE EXPR prints the Python expression EXPR evaluated over the JSON
# document `d` in FILE: strings as they are, anything else as JSON (so
# booleans read true/false). A missing key stops the script.
json_get() {
	python3 - "$1" "$2" <<'PY' || fail "json_get $2 on $1"
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
try:
    v = eval(sys.argv[2], {}, {"d": d})
except (KeyError, IndexError, TypeError) as e:
    sys.exit(f"{sys.argv[1]}: {sys.argv[2]}: {type(e).__name__} {e}")
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
PY
}

# ansible_host_result RAW OUT HOST extracts HOST's result of the first task
# from the output of ansible/ansible-playbook run with the json callback.
ansible_host_result() {
	python3 - "$1" "$2" "${3:-localhost}" <<'PY' || fail "no result for ${3:-localhost} in $1: $(head -c 2000 "$1")"
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
res = d["plays"][0]["tasks"][0]["hosts"][sys.argv[3]]
with open(sys.argv[2], "w") as f:
    json.dump(res, f)
PY
}
