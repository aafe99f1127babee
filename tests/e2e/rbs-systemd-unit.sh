#!/bin/sh
# The rbs unit is hardened: `systemd-analyze security` rates its exposure
# 2.0 or lower (issue 14), and it starts rbs serve as its own user.
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)
unit=$top/scripts/systemd/coffer-rbs.service
grep -q '^ExecStart=.*/rbs serve --config ' "$unit" || fail "ExecStart"
grep -q '^User=coffer-rbs$' "$unit" || fail "not an unprivileged user"
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 0; }
systemd-analyze security --offline=yes "$unit" >"$T/sa" 2>&1 || true
level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/sa")
[ -n "$level" ] || { cat "$T/sa"; fail "no exposure level"; }
awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || fail "exposure $level > 2.0"
echo "rbs-systemd-unit: ok (exposure $level)"
