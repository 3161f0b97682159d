#!/usr/bin/env bash
# govulncheck over the project, offline: the vulnerability records come from
# the golang.org/x/vulndb module (served by the Go module proxy), indexed once
# into a local v1 database, because the vulnerability service is unreachable.
set -euo pipefail
cd "$(dirname "$0")/.."

VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0
INDEXDB="golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION"
db=${PGAFHA_VULNDB_DIR:-/var/cache/pgafha/vulndb-$VULNDB_VERSION}

if [[ ! -f "$db/index/db.json" ]]; then
	echo "indexing vulnerability records of golang.org/x/vulndb@$VULNDB_VERSION into $db"
	src=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
	tmp=$(mktemp -d "${db%/*}/.vulndb.XXXXXX" 2>/dev/null || { mkdir -p "${db%/*}"; mktemp -d "${db%/*}/.vulndb.XXXXXX"; })
	(cd /tmp && go run "$INDEXDB" -vulns "$src/data/osv" -out "$tmp/db")
	rm -rf "$db"
	mv "$tmp/db" "$db"
	rmdir "$tmp"
fi

echo "govulncheck $GOVULNCHECK_VERSION (source mode, $(go env GOVERSION))"
go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$db" ./...
if compgen -G "library/*" >/dev/null; then
	echo "govulncheck (binary mode: what the built modules include)"
	for bin in library/*; do
		[[ -x "$bin" && ! -d "$bin" ]] || continue
		go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$db" -mode binary "$bin" >/dev/null ||
			{ echo "govulncheck: $bin includes a known vulnerability:"; go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$db" -mode binary "$bin"; exit 1; }
		echo "    $bin: no known vulnerability"
	done
fi
