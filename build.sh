#!/usr/bin/env bash
# Build the Ansible modules, bring up the lab, run the tests.
#   ./build.sh          build every modules/* binary into library/, cmd/* tools into bin/
#   ./build.sh lab      install host packages, set up Incus, converge the lab formation, show its state
#   ./build.sh lab multihost
#                       the same, with the monitor and each data node on a different Incus
#                       host (two more incusd on this machine, inventory/multihost.yml)
#   ./build.sh test     static checks, unit tests, end-to-end tests (tests/e2e/*.sh, in order)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$ROOT"
export GOFLAGS=${GOFLAGS:--mod=mod}
export PATH=/usr/local/go/bin:$PATH
# go1.26.10 carries the standard-library fixes govulncheck asks for; the go
# command fetches it once from the module proxy (the machine's Go is 1.26.8).
export GOTOOLCHAIN=${PGAFHA_GOTOOLCHAIN:-go1.26.10}

say() { printf '\n==> %s\n' "$*"; }

# timed NAME CMD...: runs a stage and prints how long it took, so that the
# next slow stage shows in every test log.
timed() {
	local name=$1 t0=$SECONDS
	shift
	"$@"
	printf '==> %s: %d s\n' "$name" $((SECONDS - t0))
}

build() {
	say "building modules into library/"
	mkdir -p library
	local dir name
	for dir in modules/*/; do
		name=$(basename "$dir")
		CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "library/$name" "./$dir"
		if [[ -f "$dir/$name.yml" ]]; then
			cp "$dir/$name.yml" "library/$name.yml"
		fi
		printf '    %-22s %s\n' "$name" "$(du -h "library/$name" | cut -f1)"
	done
	# Test and benchmark tools (not modules): bin/ keeps them out of Ansible's library.
	mkdir -p bin
	for dir in cmd/*/; do
		name=$(basename "$dir")
		CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "bin/$name" "./$dir"
	done
}

lab() {
	if [[ ${1:-} == multihost ]]; then
		say "preparing this host for the multi-host lab (packages, three incusd, networks, image)"
		bash scripts/lab-host.sh multihost
		build
		say "converging the formation across the hosts local, pgaf-hostb, pgaf-hostc"
		PGAFHA_INVENTORY=inventory/multihost.yml bash scripts/converge-lab.sh
		return
	fi
	[[ -z ${1:-} ]] || { echo "usage: $0 lab [multihost]" >&2; exit 64; }
	say "preparing this host for the lab (packages, incusd, network, image)"
	bash scripts/lab-host.sh
	build
	say "converging the lab formation"
	bash scripts/converge-lab.sh
}

static_checks() {
	say "gofmt"
	local unformatted
	unformatted=$(gofmt -l cmd internal modules tests 2>/dev/null || true)
	if [[ -n "$unformatted" ]]; then
		echo "gofmt needed on:"; echo "$unformatted"; return 1
	fi
	say "go vet"
	go vet ./...
	say "staticcheck"
	go tool staticcheck ./...
	say "yamllint, ansible-lint, shellcheck"
	bash scripts/lint.sh
	say "govulncheck (offline)"
	bash scripts/vulncheck.sh
}

unit_tests() {
	say "go test (unit)"
	go test ./...
}

e2e_tests() {
	local t
	for t in tests/e2e/*.sh; do
		[[ -e "$t" ]] || continue
		say "e2e: $t"
		timed "$t" bash "$t"
	done
}

case "${1:-build}" in
build) build ;;
lab) lab "${2:-}" ;;
test)
	timed "lab host" bash scripts/lab-host.sh
	timed build build
	timed "static checks" static_checks
	timed "unit tests" unit_tests
	e2e_tests
	say "all tests passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
	;;
*)
	echo "usage: $0 [build|lab [multihost]|test]" >&2
	exit 64
	;;
esac
