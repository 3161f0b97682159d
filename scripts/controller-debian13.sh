#!/usr/bin/env bash
# A Debian 13 (trixie) Ansible controller on this Debian 12 host, without
# touching the host's packages: Debian 13's `ansible` (ansible-core 2.19 and a
# community.general with the `community.general.incus` connection) and
# `incus-client`, debootstrapped once into a directory, entered with chroot in
# a private mount namespace. Inside, the repository is at the same path, the
# host's Incus socket at its usual place and the network is the host's, so the
# shipped inventories work unchanged: localhost is this Incus host, the
# containers are reached with `incus exec` through the real connection plugin.
#
#   scripts/controller-debian13.sh [COMMAND [ARGS...]]   (default: ansible --version)
#   e.g. scripts/controller-debian13.sh env SCENARIO=kill bash tests/test_pg_failover.sh
#
# COMMAND runs as root in the repository with a clean environment (HOME, PATH,
# LANG); pass variables with `env NAME=VALUE`. PATH starts with tests/bin-incus,
# whose `incus` takes exec and file push past Incus 6.0.4's output loss (see
# tests/lib/incus-cli); PGAFHA_INCUS_CLI=plain leaves Debian 13's client alone. The root is rebuilt only when its
# recipe (package list, mirror) changes; the .debs stay in $CACHE/debs-trixie.
# Mounts vanish with the command: nothing is left mounted on the host.
# Environment: PGAFHA_CACHE (default /var/cache/pgafha), PGAFHA_MIRROR (default deb.debian.org).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PGAFHA_CACHE:-/var/cache/pgafha}
MIRROR=${PGAFHA_MIRROR:-http://deb.debian.org/debian}
SOCKET=/var/lib/incus/unix.socket
# debootstrap does not resolve virtual packages: python3-cryptography needs
# the cffi backend named explicitly.
PACKAGES=ansible,incus-client,python3,python3-cffi-backend,ca-certificates

say() { printf 'controller-debian13: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 3
}

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, mounts)"
for tool in debootstrap unshare chroot; do
	command -v "$tool" >/dev/null || die "missing tool: $tool (scripts/lab-host.sh installs debootstrap)"
done
[[ -S $SOCKET ]] || die "no Incus socket at $SOCKET: run ./build.sh lab first"
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
case ${PGAFHA_INCUS_CLI:-wrapped} in
wrapped) path=$ROOT/tests/bin-incus:$path ;;
plain) ;;
*) die "PGAFHA_INCUS_CLI must be wrapped or plain, got '$PGAFHA_INCUS_CLI'" ;;
esac

hash=$(echo "trixie $PACKAGES $MIRROR" | sha256sum | cut -c1-16)
rootfs=$CACHE/controller-debian13-$hash

build_rootfs() {
	local work=$rootfs.build t0=$SECONDS
	rm -rf "$work"
	mkdir -p "$CACHE/debs-trixie"
	say "debootstrap trixie ($PACKAGES) into $rootfs, a minute or two"
	debootstrap --variant=minbase --cache-dir="$CACHE/debs-trixie" --include="$PACKAGES" \
		trixie "$work" "$MIRROR" >"$CACHE/controller-debian13-$hash.log" 2>&1 ||
		die "debootstrap failed, see $CACHE/controller-debian13-$hash.log"
	rm -rf "$work"/var/cache/apt/archives/*.deb
	mv "$work" "$rootfs"
	# Roots of earlier recipes are only disk space now.
	find "$CACHE" -maxdepth 1 -name 'controller-debian13-*' ! -name "controller-debian13-$hash*" -exec rm -rf {} +
	say "built in $((SECONDS - t0)) s"
}

[[ -x $rootfs/usr/bin/ansible-playbook ]] || build_rootfs
(($# > 0)) || set -- ansible --version

# The inner script runs in the new mount namespace (private propagation, so
# the host sees none of these mounts) and ends in chroot; "$@" follows it.
# shellcheck disable=SC2016 # expanded by the inner shell
enter='
set -euo pipefail
r=$1 root=$2 socket=$3 path=$4
shift 4
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount --rbind /sys "$r/sys"
mount -t tmpfs tmpfs "$r/tmp"
mount -t tmpfs tmpfs "$r/root"
mkdir -p "$r$root" "$(dirname "$r$socket")"
mount --bind "$root" "$r$root"
touch "$r$socket"
mount --bind "$socket" "$r$socket"
exec chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
	PATH="$path" \
	/bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$root" "$@"
'
exec unshare --mount --propagation private -- bash -c "$enter" enter "$rootfs" "$ROOT" "$SOCKET" "$path" "$@"
