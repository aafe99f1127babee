#!/bin/sh
# The systemd units of backupd, as `make install` puts them for any PREFIX:
# the oneshot coffer-backupd-run@.service with its daily timer (the
# documented default) and the long-running coffer-backupd.service run the
# installed backupd, pass `systemd-analyze verify`, rate 2.0 or lower in
# `systemd-analyze security`, run as an unprivileged user, and reload with
# SIGHUP.
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)
root=$T/root
prefix=/opt/coffer-e2e
make -s -C "$top" install DESTDIR="$root" PREFIX="$prefix" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log" >&2; fail "make install"; }
units=$root$prefix/lib/systemd/system
bin=$prefix/libexec/coffer/backupd
for u in coffer-backupd-run@.service coffer-backupd-run@.timer \
    coffer-backupd.service; do
	[ -f "$units/$u" ] || fail "$u not installed"
done
grep -qx "ExecStart=$bin run --once --config /etc/coffer/%i.conf" \
	"$units/coffer-backupd-run@.service" || fail "oneshot ExecStart"
grep -qx 'Type=oneshot' "$units/coffer-backupd-run@.service" || fail "not oneshot"
grep -qx "ExecStart=$bin run --config /etc/coffer/backupd.conf" \
	"$units/coffer-backupd.service" || fail "daemon ExecStart"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$units/coffer-backupd.service" ||
	fail "no reload by SIGHUP"
grep -qx 'OnCalendar=\*-\*-\* 02:00:00' "$units/coffer-backupd-run@.timer" ||
	fail "the timer is not daily at 02:00"
grep -qx 'Persistent=true' "$units/coffer-backupd-run@.timer" || fail "Persistent"
for u in coffer-backupd-run@.service coffer-backupd.service; do
	grep -qx 'User=coffer' "$units/$u" || fail "$u runs as root"
	! grep -q '/usr/local/libexec' "$units/$u" || fail "$u: uninstalled path"
done

command -v systemd-analyze >/dev/null ||
	{ echo "backupd-systemd-units: ok (no systemd-analyze: verify and security skipped)"; exit 0; }
# verify needs the binaries where ExecStart says: point it into DESTDIR.
mkdir "$T/units"
for u in "$units"/coffer-backupd*; do
	sed "s|$prefix/libexec|$root$prefix/libexec|" "$u" >"$T/units/$(basename "$u")"
done
cp "$T/units/coffer-backupd-run@.service" "$T/units/coffer-backupd-run@nightly.service"
(cd "$T/units" && systemd-analyze verify --man=no ./coffer-backupd.service \
	./coffer-backupd-run@.timer ./coffer-backupd-run@nightly.service) \
	>"$T/verify" 2>&1 || { cat "$T/verify" >&2; fail "systemd-analyze verify"; }
[ ! -s "$T/verify" ] || { cat "$T/verify" >&2; fail "verify warnings"; }
for u in coffer-backupd-run@.service coffer-backupd.service; do
	systemd-analyze security --offline=yes "$units/$u" >"$T/sa" 2>&1 || true
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/sa")
	[ -n "$level" ] || { cat "$T/sa" >&2; fail "$u: no exposure level"; }
	awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || fail "$u: exposure $level > 2.0"
	echo "$u: exposure $level"
done
echo "backupd-systemd-units: ok"
