#!/bin/bash
# ceph-dev.sh start|stop|env DIR
#
# A single-node Ceph cluster for Coffer's S3 tests and benchmarks, from
# Debian's ceph-mon, ceph-osd and radosgw packages (scripts/deps.sh): one
# monitor, one OSD on memstore (RAM; nothing survives a stop), and radosgw
# serving S3 on a loopback port, with cephx on. Everything lives in DIR:
# configuration, keyrings, logs, pid files, sockets. No system service is
# touched and nothing outside DIR is written.
#
#   start DIR   starts it, creates the S3 user "coffer" and writes DIR/s3.env
#               (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#               AWS_REGION) for a shell to source; exits 77 with the reason
#               when this machine cannot run Ceph (missing packages, ports).
#   stop DIR    stops every daemon started from DIR.
#   rgw-stop DIR / rgw-start DIR
#               stops or restarts radosgw alone (the outage tests).
#
# Ports: COFFER_CEPH_PORT (monitor, default a free one from 20000 up) and
# the radosgw port after it; both bound on 127.0.0.1 only.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	echo "usage: ceph-dev.sh start|stop|rgw-stop|rgw-start DIR" >&2
	exit 2
}

skip() {
	echo "ceph-dev: cannot run Ceph here: $*" >&2
	exit 77
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits up to $2 seconds for "$1" (a shell command) to succeed.
wait_for() {
	i=0
	while ! eval "$1" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -le $(($2 * 4)) ] || return 1
		sleep 0.25
	done
}

conf() { echo "$dir/ceph.conf"; }

ceph_() { ceph -c "$(conf)" --connect-timeout 10 "$@"; }

rgw_start() {
	port=$(cat "$dir/rgw.port")
	radosgw -c "$(conf)" -n client.rgw --keyring "$dir/rgw.keyring" \
	    2>>"$dir/log/daemons.err"
	wait_for "curl -fsS -o /dev/null http://127.0.0.1:$port/" 60 ||
		{ tail -20 "$dir/log/client.rgw.log" >&2; exit 1; }
}

pidstop() {
	for f in "$dir"/run/*"$1"*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 80 ]; do
			sleep 0.25
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

case $cmd in
start)
	for t in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool \
	    monmaptool curl; do
		command -v "$t" >/dev/null 2>&1 ||
			skip "$t is not installed (run scripts/deps.sh as root)"
	done
	mkdir -p "$dir/run" "$dir/log" "$dir/mon" "$dir/osd"
	dir=$(cd "$dir" && pwd)
	port=${COFFER_CEPH_PORT:-20000}
	while ! port_free "$port" || ! port_free $((port + 1)); do
		port=$((port + 2))
		[ "$port" -lt 30000 ] || skip "no free loopback port pair"
	done
	rport=$((port + 1))
	echo "$rport" >"$dir/rgw.port"
	fsid=$(cat /proc/sys/kernel/random/uuid)
	cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$port
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/keyring
run dir = $dir/run
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
osd objectstore = memstore
memstore device bytes = 4294967296
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
mon pg warn min per osd = 0
mon max pg per osd = 1000
osd crush chooseleaf type = 0
ms bind ipv6 = false
[mon.a]
mon data = $dir/mon/a
[osd.0]
osd data = $dir/osd/0
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rport tcp_nodelay=1
rgw dns name = 127.0.0.1
rgw thread pool size = 64
EOF
	ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. \
	    --cap mon 'allow *' >/dev/null
	ceph-authtool "$dir/keyring" --gen-key -n client.admin \
	    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' \
	    --cap mgr 'allow *' >/dev/null
	monmaptool --create --addv a "[v1:127.0.0.1:$port]" --fsid "$fsid" \
	    "$dir/monmap" >/dev/null
	ceph-mon -c "$(conf)" --mkfs -i a --monmap "$dir/monmap" \
	    --keyring "$dir/keyring"
	ceph-mon -c "$(conf)" -i a 2>>"$dir/log/daemons.err"
	wait_for "ceph_ -s" 60 || skip "the monitor did not come up"
	uuid=$(cat /proc/sys/kernel/random/uuid)
	ceph_ osd new "$uuid" >/dev/null
	mkdir -p "$dir/osd/0"
	ceph-authtool --create-keyring "$dir/osd/0/keyring" --gen-key \
	    -n osd.0 >/dev/null
	ceph_ auth add osd.0 osd 'allow *' mon 'allow profile osd' \
	    mgr 'allow profile osd' -i "$dir/osd/0/keyring" >/dev/null 2>&1
	ceph-osd -c "$(conf)" -i 0 --mkfs --osd-uuid "$uuid" \
	    --keyring "$dir/osd/0/keyring" >/dev/null 2>&1
	ceph-osd -c "$(conf)" -i 0 --keyring "$dir/osd/0/keyring" \
	    2>>"$dir/log/daemons.err"
	wait_for "ceph_ osd stat | grep -q '1 up'" 60 ||
		skip "the OSD did not come up"
	ceph_ auth get-or-create client.rgw mon 'allow rw' osd 'allow rwx' \
	    mgr 'allow rw' -o "$dir/rgw.keyring"
	rgw_start
	ak=$(head -c 15 /dev/urandom | base32)
	sk=$(head -c 30 /dev/urandom | base64 | tr -d '/+=')
	radosgw-admin -c "$(conf)" user create --uid=coffer \
	    --display-name=coffer --access-key="$ak" --secret="$sk" >/dev/null
	umask 077
	cat >"$dir/s3.env" <<EOF
AWS_ENDPOINT_URL=http://127.0.0.1:$rport
AWS_ACCESS_KEY_ID=$ak
AWS_SECRET_ACCESS_KEY=$sk
AWS_REGION=us-east-1
export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
EOF
	echo "ceph-dev: radosgw on http://127.0.0.1:$rport ($dir/s3.env)"
	;;
stop)
	[ -d "$dir/run" ] || exit 0
	pidstop client.rgw
	pidstop osd
	pidstop mon
	;;
rgw-stop)
	pidstop client.rgw
	;;
rgw-start)
	dir=$(cd "$dir" && pwd)
	rgw_start
	;;
*)
	echo "usage: ceph-dev.sh start|stop|rgw-stop|rgw-start DIR" >&2
	exit 2
	;;
esac
