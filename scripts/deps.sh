#!/bin/sh
# Install every Debian package Coffer needs to build, test and run its demo.
# Idempotent: packages already present are left alone. Run as root.
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev \
libssl-dev openssl libsodium-dev libzstd-dev zstd libarchive-dev libjansson-dev \
libsqlite3-dev sqlite3 libcmocka-dev softhsm2 opensc argon2 time lowdown man-db jq \
libp11-kit-dev libengine-pkcs11-openssl gnutls-bin \
testssl.sh gdb libcurl4-openssl-dev libexpat1-dev curl ceph-mon ceph-osd radosgw \
ceph-common"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing; run scripts/deps.sh as root" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
