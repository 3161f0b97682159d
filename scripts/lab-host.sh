#!/usr/bin/env bash
# Prepare this Debian 12 host for the Incus lab, idempotently:
#   packages → incusd → nftables guard → storage pool → bridges → projects/profiles → image.
# `lab-host.sh multihost` then adds the multi-host lab (inventory/multihost.yml):
# two more Incus daemons on this machine acting as hosts pgaf-hostb and
# pgaf-hostc, each with its own directory, bridge and HTTPS address on
# loopback, added as remotes of root's Incus client configuration.
# Every step checks first and only acts on a difference, so a ready host takes a few seconds.
# The image is rebuilt only when its recipe (package list, customize_rootfs, metadata) changes;
# the downloaded .debs stay in $CACHE/debs for the next build.
# Environment: PGAFHA_CACHE (default /var/cache/pgafha), PGAFHA_MIRROR (default deb.debian.org).
set -euo pipefail

CACHE=${PGAFHA_CACHE:-/var/cache/pgafha}
MIRROR=${PGAFHA_MIRROR:-http://deb.debian.org/debian}
IMAGE_ALIAS=pgaf-bookworm
RUN_DIR=/run/pgafha
# name  gateway/prefix   — the lab bridge and the e2e bridge (see notes: lab conventions)
BRIDGES=("pgafbr0 10.66.0.1/24" "pgafe2e0 10.66.1.1/24")
# The multi-host lab: remote  bridge  gateway/prefix  HTTPS address ("-": the
# local daemon). Its bridges route to each other through this machine, as
# hosts on one lab network would, and to nothing else (the guard).
MH_HOSTS=("local pgafmha0 10.66.2.1/24 -" "pgaf-hostb pgafmhb0 10.66.3.1/24 127.0.0.1:8444"
	"pgaf-hostc pgafmhc0 10.66.4.1/24 127.0.0.1:8445")
# The user's multi-host lab and the e2e one (tests/inventory/multihost.yml).
MH_PROJECTS=(pgaf-mh pgaf-mh-e2e)
MH_DIR=/var/lib/pgafha-hosts
# A two-member Incus cluster (remote pgaf-cluster), for placing instances on a
# named member (`target`): member  cluster address. Its instances have no
# network: a managed bridge is cluster-wide, and two members on one kernel
# cannot each create the same bridge.
CL_MEMBERS=("pgaf-cl1 127.0.0.1:8446" "pgaf-cl2 127.0.0.1:8447")
CL_REMOTE=pgaf-cluster
CL_PROJECT=pgaf-cl-e2e
# Bridges that may forward to each other; each group reaches nothing else.
GUARD_GROUPS=("pgafbr0" "pgafe2e0" "pgafmha0 pgafmhb0 pgafmhc0")
# pgaf-e2e holds the e2e lab; pgaf-e2e-empty stays empty (the `--check on an empty lab` test).
E2E_PROJECTS=(pgaf-e2e pgaf-e2e-empty)
declare -A PROJECT_BRIDGE=([default]=pgafbr0 [pgaf-e2e]=pgafe2e0 [pgaf-e2e-empty]=pgafe2e0)

say() { printf '    %s\n' "$*"; }
act() { printf '    + %s\n' "$*"; }
die() { printf 'lab-host: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and manages incusd)"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------- packages
apt_sources_have() { grep -Eqs "$1" /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; }

missing_packages() {
	local p
	for p in "$@"; do
		[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || printf '%s\n' "$p"
	done
}

apt_updated=
apt_update_once() {
	[[ -n $apt_updated ]] && return 0
	act "apt-get update"
	# Unreachable third-party sources must not stop the lab: apt only warns for them,
	# and a failing update is retried by the install that needs it.
	apt-get update -qq -o Acquire::Retries=2 || say "apt-get update reported errors; continuing with the lists it got"
	apt_updated=1
}

setup_packages() {
	if ! apt_sources_have '^[^#]*bookworm-backports'; then
		act "adding the bookworm-backports apt source"
		echo "deb $MIRROR bookworm-backports main" >/etc/apt/sources.list.d/bookworm-backports.list
		apt_updated=
	fi
	local base=(ansible ansible-lint yamllint shellcheck debootstrap nftables ca-certificates openssl
		postgresql-15 postgresql-15-auto-failover pg-auto-failover-cli postgresql-client-15)
	local need
	mapfile -t need < <(missing_packages "${base[@]}")
	if ((${#need[@]})); then
		apt_update_once
		act "apt-get install ${need[*]}"
		apt-get install -y -qq "${need[@]}" >/dev/null
	fi
	if [[ -n $(missing_packages incus) ]]; then
		apt_update_once
		act "apt-get install -t bookworm-backports incus"
		apt-get install -y -qq -t bookworm-backports incus >/dev/null
	fi
	say "packages: present"
}

# ---------------------------------------------------------------- incusd
incus_ready() { incus admin waitready --timeout="${1:-1}" >/dev/null 2>&1; }

# spawn_incusd DIR LOG OUT PIDFILE: an incusd detached from this script
# (setsid), with INCUS_DIR=DIR unless DIR is empty, its log in LOG and its
# output in OUT; its PID goes to PIDFILE, so only this daemon is ever
# stopped by us.
spawn_incusd() {
	local dir=$1 log=$2 out=$3 pidfile=$4
	setsid env PATH=/usr/libexec/incus:/usr/sbin:/usr/bin:/sbin:/bin ${dir:+"INCUS_DIR=$dir"} \
		/usr/libexec/incus/incusd --group incus-admin --logfile="$log" </dev/null >>"$out" 2>&1 &
	echo $! >"$pidfile"
}

start_incusd() {
	if incus_ready 1; then
		say "incusd: answering"
		return
	fi
	if [[ -d /run/systemd/system ]]; then
		act "systemctl start incus.service"
		systemctl start incus.socket incus.service
	else
		# No systemd as PID 1 on these hosts: run the daemon detached.
		mkdir -p /var/log/incus "$RUN_DIR"
		act "starting incusd (setsid; log /var/log/incus/incusd.out, pid $RUN_DIR/incusd.pid)"
		spawn_incusd "" /var/log/incus/incus.log /var/log/incus/incusd.out "$RUN_DIR/incusd.pid"
	fi
	incus admin waitready --timeout=60 || die "incusd did not become ready in 60 s (see /var/log/incus/)"
	say "incusd: started"
}

# ---------------------------------------------------------------- storage, networks, projects, profiles
setup_storage() {
	if incus storage show default >/dev/null 2>&1; then
		say "storage pool default: present"
	else
		act "incus storage create default dir"
		incus storage create default dir >/dev/null
	fi
}

# ensure_network NAME CIDR: a managed bridge that cannot reach anything beyond itself.
ensure_network() {
	local name=$1 cidr=$2 key want have
	local -A conf=([ipv4.address]=$cidr [ipv4.nat]=false [ipv6.address]=none [raw.dnsmasq]=no-resolv)
	if ! incus network show "$name" >/dev/null 2>&1; then
		act "incus network create $name ($cidr, no NAT, no IPv6, no upstream DNS)"
		incus network create "$name" --type=bridge ipv4.address="$cidr" ipv4.nat=false \
			ipv6.address=none raw.dnsmasq=no-resolv >/dev/null
		return
	fi
	for key in "${!conf[@]}"; do
		want=${conf[$key]}
		have=$(incus network get "$name" "$key")
		if [[ $have != "$want" ]]; then
			act "incus network set $name $key=$want (was '${have}')"
			incus network set "$name" "$key=$want"
		fi
	done
	say "network $name: $cidr"
}

ensure_project() {
	local name=$1
	if incus project show "$name" >/dev/null 2>&1; then
		[[ $(incus project get "$name" features.images) == false ]] ||
			die "project $name exists with features.images=true: it would not see the $IMAGE_ALIAS image; delete the project or set features.images=false while it is empty"
		say "project $name: present"
		return
	fi
	act "incus project create $name (shares images, own profiles)"
	incus project create "$name" -c features.images=false -c features.profiles=true \
		-c features.storage.volumes=false -c features.networks=false >/dev/null
}

# ensure_default_profile PROJECT BRIDGE: root disk on pool default, eth0 on the lab bridge
# (only when the profile has no eth0 yet: a user's own default nic is left alone; the lab
# containers carry their own eth0 device with a static address anyway).
ensure_default_profile() {
	local project=$1 bridge=$2 devices
	devices=$(incus profile device list default --project "$project")
	if ! grep -qx root <<<"$devices"; then
		act "profile default ($project): add root disk on pool default"
		incus profile device add default root disk path=/ pool=default --project "$project" >/dev/null
	fi
	if ! grep -qx eth0 <<<"$devices"; then
		act "profile default ($project): add eth0 on $bridge"
		incus profile device add default eth0 nic network="$bridge" name=eth0 --project "$project" >/dev/null
	fi
	say "profile default ($project): root disk and eth0"
}

# ---------------------------------------------------------------- nftables guard
guard_rules() {
	local group set
	for group in "${GUARD_GROUPS[@]}"; do
		# shellcheck disable=SC2086 # one word per bridge
		set=$(printf '"%s", ' $group)
		set="{ ${set%, } }"
		printf '    iifname %s oifname != %s counter drop comment "lab bridges %s must not reach out"\n' "$set" "$set" "$group"
		printf '    oifname %s iifname != %s counter drop comment "nothing may reach into lab bridges %s"\n' "$set" "$set" "$group"
	done
}

setup_guard() {
	local rules hash
	rules=$(guard_rules)
	hash=$(sha256sum <<<"$rules" | cut -c1-16)
	if nft list table inet pgafha_guard 2>/dev/null | grep -q "pgafha-guard $hash"; then
		say "nftables guard inet pgafha_guard: present"
		return
	fi
	act "loading nftables table inet pgafha_guard (drops forwarding between the lab bridges and other interfaces)"
	# Replaced in one transaction; the table comment records which ruleset is loaded.
	nft -f - <<EOF
table inet pgafha_guard
delete table inet pgafha_guard
table inet pgafha_guard {
  comment "pgafha-guard $hash"
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
$rules
  }
}
EOF
}

# ---------------------------------------------------------------- image
IMAGE_PACKAGES=systemd-sysv,systemd,udev,dbus,iproute2,iputils-ping,ca-certificates,tzdata,python3,procps,less,postgresql-15,postgresql-15-auto-failover,pg-auto-failover-cli,postgresql-client-15

# customize_rootfs ROOTFS: everything done to the debootstrap tree before packing.
customize_rootfs() {
	local r=$1
	# pg_auto_failover creates its own instance; the packaged cluster would only be in the way.
	chroot "$r" pg_dropcluster 15 main 2>/dev/null || true
	rm -rf "$r/etc/postgresql/15/main" "$r/var/lib/postgresql/15/main"
	mkdir -p "$r/etc/systemd/network"
	printf '[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
		>"$r/etc/systemd/network/eth0.network"
	chroot "$r" systemctl enable systemd-networkd.service >/dev/null 2>&1
	chroot "$r" systemctl disable systemd-networkd-wait-online.service >/dev/null 2>&1 || true
	# Units that fail in an unprivileged container would leave systemd "degraded".
	chroot "$r" systemctl mask systemd-remount-fs.service sys-kernel-config.mount \
		sys-kernel-debug.mount sys-kernel-tracing.mount >/dev/null 2>&1 || true
	ln -sf /usr/share/zoneinfo/Etc/UTC "$r/etc/localtime"
	echo "Etc/UTC" >"$r/etc/timezone"
	echo "LANG=C.UTF-8" >"$r/etc/default/locale"
	: >"$r/etc/machine-id"
	rm -f "$r/var/lib/dbus/machine-id" "$r/etc/hostname"
	printf '# the lab containers have no route to any mirror\n' >"$r/etc/apt/sources.list"
	rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb
}

image_metadata() {
	local hash=$1
	cat <<EOF
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  os: debian
  release: bookworm
  description: Debian bookworm + PostgreSQL 15 + pg_auto_failover (pgafha lab, recipe $hash)
  pgafha.recipe: "$hash"
templates:
  /etc/hostname:
    when: [create, copy]
    template: hostname.tpl
  /etc/hosts:
    when: [create, copy]
    template: hosts.tpl
EOF
}

recipe_hash() {
	{
		echo "$IMAGE_PACKAGES $MIRROR"
		declare -f customize_rootfs
		declare -f build_image
		image_metadata X | grep -v creation_date
	} | sha256sum | cut -c1-16
}

build_image() {
	local hash=$1 tarball=$2 work
	work="$CACHE/build-$hash"
	rm -rf "$work"
	mkdir -p "$work/templates" "$CACHE/debs"
	act "debootstrap bookworm (minbase + PostgreSQL 15 + pg_auto_failover), a few minutes"
	local t0=$SECONDS
	debootstrap --variant=minbase --cache-dir="$CACHE/debs" --include="$IMAGE_PACKAGES" \
		bookworm "$work/rootfs" "$MIRROR" >"$CACHE/debootstrap-$hash.log" 2>&1 ||
		die "debootstrap failed, see $CACHE/debootstrap-$hash.log"
	customize_rootfs "$work/rootfs"
	image_metadata "$hash" >"$work/metadata.yaml"
	echo '{{ container.name }}' >"$work/templates/hostname.tpl"
	printf '127.0.0.1 localhost\n127.0.1.1 {{ container.name }}\n' >"$work/templates/hosts.tpl"
	tar -C "$work" --numeric-owner -czf "$tarball.tmp" metadata.yaml templates rootfs
	mv "$tarball.tmp" "$tarball"
	rm -rf "$work"
	say "image built in $((SECONDS - t0)) s: $tarball ($(du -h "$tarball" | cut -f1))"
}

setup_image() {
	local hash tarball fp current
	hash=$(recipe_hash)
	current=$(incus image get-property "$IMAGE_ALIAS" pgafha.recipe 2>/dev/null || true)
	if [[ $current == "$hash" ]]; then
		say "image $IMAGE_ALIAS: recipe $hash, present"
		return
	fi
	tarball="$CACHE/pgaf-bookworm-$hash.tar.gz"
	mkdir -p "$CACHE"
	[[ -f $tarball ]] || build_image "$hash" "$tarball"
	fp=$(sha256sum "$tarball" | cut -d' ' -f1)
	if incus image alias list --format csv | grep -q "^$IMAGE_ALIAS,"; then
		act "incus image alias delete $IMAGE_ALIAS (recipe changed: '${current}' → $hash)"
		incus image alias delete "$IMAGE_ALIAS"
	fi
	if incus image info "$fp" >/dev/null 2>&1; then
		act "incus image alias create $IMAGE_ALIAS ${fp:0:12}"
		incus image alias create "$IMAGE_ALIAS" "$fp"
	else
		act "incus image import $tarball --alias $IMAGE_ALIAS"
		incus image import "$tarball" --alias "$IMAGE_ALIAS" >/dev/null
	fi
	# Older builds of this image stay on disk only while unaliased; drop them.
	local old
	for old in $(incus image list --format csv -c lF | awk -F, '$1=="" {print $2}'); do
		if [[ $(incus image get-property "$old" pgafha.recipe 2>/dev/null) != "" ]]; then
			act "incus image delete $old (previous recipe)"
			incus image delete "$old"
		fi
	done
	find "$CACHE" -maxdepth 1 -name 'pgaf-bookworm-*.tar.gz' ! -name "pgaf-bookworm-$hash.tar.gz" -delete
}

# ---------------------------------------------------------------- multi-host lab
# incus_at DIR ARGS...: the incus CLI against the daemon of DIR ("" = the local one).
incus_at() {
	local dir=$1
	shift
	if [[ -n $dir ]]; then INCUS_DIR=$dir incus "$@"; else incus "$@"; fi
}

# start_host_incusd NAME: a second incusd with its own directory, started
# detached like the main one and remembered by its PID.
start_host_incusd() {
	local name=$1 dir=$MH_DIR/$1
	if INCUS_DIR=$dir incus admin waitready --timeout=1 >/dev/null 2>&1; then
		say "incusd of $name: answering"
		return
	fi
	mkdir -p "$dir" "$RUN_DIR"
	act "starting the incusd of $name (INCUS_DIR=$dir, pid $RUN_DIR/incusd-$name.pid)"
	spawn_incusd "$dir" "$dir/incusd.log" "$dir/incusd.out" "$RUN_DIR/incusd-$name.pid"
	INCUS_DIR=$dir incus admin waitready --timeout=60 >/dev/null || die "the incusd of $name did not become ready in 60 s (see $dir/incusd.log)"
}

# trust_controller NAME DIR ADDR: the daemon trusts root's client certificate,
# and root's client configuration has it as remote NAME (its certificate pinned).
trust_controller() {
	local name=$1 dir=$2 addr=$3 cfgdir=${INCUS_CONF:-$HOME/.config/incus} fp
	[[ -f $cfgdir/client.crt ]] || { act "incus remote generate-certificate"; incus remote generate-certificate >/dev/null; }
	fp=$(openssl x509 -in "$cfgdir/client.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
	if ! INCUS_DIR=$dir incus config trust list --format csv -c f | grep -q "^${fp:0:12}"; then
		act "$name trusts root's Incus client certificate"
		INCUS_DIR=$dir incus config trust add-certificate "$cfgdir/client.crt" --name pgafha-controller >/dev/null
	fi
	if ! incus remote list --format csv | grep -q "^$name,https://$addr,"; then
		incus remote remove "$name" >/dev/null 2>&1 || true
		act "incus remote add $name https://$addr"
		incus remote add "$name" "https://$addr" --accept-certificate >/dev/null
	fi
	say "remote $name: https://$addr, trusted"
}

setup_multihost() {
	local entry name bridge cidr addr dir project
	for entry in "${MH_HOSTS[@]}"; do
		read -r name bridge cidr addr <<<"$entry"
		dir=
		if [[ $addr != - ]]; then
			dir=$MH_DIR/$name
			start_host_incusd "$name"
		fi
		(
			# shellcheck disable=SC2030 # this subshell talks to one daemon
			[[ -z $dir ]] || export INCUS_DIR=$dir
			setup_storage
			ensure_network "$bridge" "$cidr"
			for project in "${MH_PROJECTS[@]}"; do
				ensure_project "$project"
				ensure_default_profile "$project" "$bridge"
			done
			if [[ -n $dir ]]; then
				[[ $(incus config get core.https_address) == "$addr" ]] || {
					act "$name listens on https://$addr"
					incus config set core.https_address "$addr"
				}
				setup_image
			fi
		)
		[[ -z $dir ]] || trust_controller "$name" "$dir" "$addr"
	done
}

# setup_cluster: the first member enables clustering, the second joins it
# with a token; then a dir pool on each member, the image, a project whose
# default profile has only the root disk, and the controller trusted.
setup_cluster() {
	local first second addr1 addr2 dir1 dir2 token
	read -r first addr1 <<<"${CL_MEMBERS[0]}"
	read -r second addr2 <<<"${CL_MEMBERS[1]}"
	dir1=$MH_DIR/$first dir2=$MH_DIR/$second
	start_host_incusd "$first"
	start_host_incusd "$second"
	if ! INCUS_DIR=$dir1 incus cluster list --format csv >/dev/null 2>&1; then
		act "$first: clustering enabled at $addr1"
		INCUS_DIR=$dir1 incus config set core.https_address "$addr1"
		INCUS_DIR=$dir1 incus cluster enable "$first" >/dev/null
	fi
	if ! INCUS_DIR=$dir1 incus cluster list --format csv | grep -q "^$second,"; then
		act "$second joins the cluster of $first"
		token=$(INCUS_DIR=$dir1 incus cluster add "$second" --quiet)
		printf 'cluster:\n  enabled: true\n  server_name: %s\n  server_address: %s\n  cluster_token: %s\n' \
			"$second" "$addr2" "$token" | INCUS_DIR=$dir2 incus admin init --preseed >/dev/null
	fi
	(
		# shellcheck disable=SC2031 # this subshell talks to the cluster
		export INCUS_DIR=$dir1
		if ! incus storage show default >/dev/null 2>&1; then
			act "cluster storage pool default (dir on each member)"
			incus storage create default dir --target "$first" >/dev/null
			incus storage create default dir --target "$second" >/dev/null
			incus storage create default dir >/dev/null
		fi
		ensure_project "$CL_PROJECT"
		if ! incus profile device list default --project "$CL_PROJECT" | grep -qx root; then
			act "profile default ($CL_PROJECT): root disk on pool default, no network"
			incus profile device add default root disk path=/ pool=default --project "$CL_PROJECT" >/dev/null
		fi
		setup_image
	)
	trust_controller "$CL_REMOTE" "$dir1" "$addr1"
	# After a restart a member counts as offline until its first heartbeat.
	local waited=0
	while INCUS_DIR=$dir1 incus cluster list --format csv -c s | grep -qv '^ONLINE$'; do
		((waited < 60)) || die "cluster $CL_REMOTE: a member is not ONLINE after 60 s ($(INCUS_DIR=$dir1 incus cluster list --format csv -c ns | tr '\n' ' '))"
		sleep 2
		waited=$((waited + 2))
	done
	say "cluster $CL_REMOTE: $first ($addr1), $second ($addr2), online"
}

# stop_multihost: the extra daemons are stopped by the PIDs this script
# recorded (their containers with them); the local daemon's part stays.
stop_multihost() {
	local entry name pid
	for entry in "${MH_HOSTS[@]}" "${CL_MEMBERS[@]}"; do
		read -r name _ <<<"$entry"
		[[ -f $RUN_DIR/incusd-$name.pid ]] || continue
		pid=$(cat "$RUN_DIR/incusd-$name.pid")
		INCUS_DIR=$MH_DIR/$name incus admin shutdown --timeout=60 >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
		rm -f "$RUN_DIR/incusd-$name.pid"
		say "incusd of $name stopped (pid $pid)"
	done
}

main() {
	local t0=$SECONDS entry project
	setup_packages
	start_incusd
	# The guard goes first: no lab bridge ever exists without it.
	setup_guard
	setup_storage
	local name cidr
	for entry in "${BRIDGES[@]}"; do
		read -r name cidr <<<"$entry"
		ensure_network "$name" "$cidr"
	done
	for project in "${E2E_PROJECTS[@]}"; do
		ensure_project "$project"
	done
	for project in default "${E2E_PROJECTS[@]}"; do
		ensure_default_profile "$project" "${PROJECT_BRIDGE[$project]}"
	done
	setup_image
	say "lab host ready ($((SECONDS - t0)) s)"
}

case ${1:-} in
"") main ;;
multihost)
	main
	t0=$SECONDS
	setup_multihost
	setup_cluster
	say "multi-host lab ready: local, pgaf-hostb, pgaf-hostc, cluster $CL_REMOTE ($((SECONDS - t0)) s)"
	;;
multihost-stop) stop_multihost ;;
*) die "usage: $0 [multihost|multihost-stop]" ;;
esac
