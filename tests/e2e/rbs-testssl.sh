#!/bin/sh
# testssl.sh (Debian's testssl.sh) scans the rbs port: TLS 1.3 is the only
# protocol offered, and no finding is of severity MEDIUM or higher except
# the certificate-PKI checks that do not apply to a pinned, self-signed
# certificate (Coffer never uses a CA: each side is pinned by SHA-256
# fingerprint, docs/rbs.md "Security"): chain of trust, name match,
# validity period, revocation URIs. A full scan takes about a minute; it is
# bounded by a timeout.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/rbs.sh"

command -v testssl >/dev/null || fail "testssl.sh is not installed (scripts/deps.sh)"
rbs_server srv s
rbs_start srv
rc=0
timeout 600 testssl --quiet --color 0 --warnings off --jsonfile "$T/ts.json" \
	"127.0.0.1:$PORT" >"$T/ts.out" 2>&1 || rc=$?
[ -s "$T/ts.json" ] || { cat "$T/ts.out"; fail "testssl gave no result (exit $rc)"; }
rbs_stop

# One finding per line: "id severity".
tr -d '\n' <"$T/ts.json" | sed 's/}/}\n/g' | sed -n \
	's/.*"id" *: *"\([^"]*\)".*"severity" *: *"\([^"]*\)".*/\1 \2/p' \
	>"$T/findings"
[ -s "$T/findings" ] || fail "no findings parsed"
for p in SSLv2 SSLv3 TLS1 TLS1_1 TLS1_2; do
	grep -q "^$p " "$T/findings" || fail "testssl did not test $p"
done
grep -q "^TLS1_3 OK" "$T/findings" || fail "TLS 1.3 is not offered"
for p in SSLv2 SSLv3 TLS1 TLS1_1 TLS1_2; do
	grep -i '"id" *: *"'"$p"'"' "$T/ts.json" | head -1 >/dev/null
	tr -d '\n' <"$T/ts.json" | sed 's/}/}\n/g' | grep "\"id\" *: *\"$p\"" |
		grep -q '"finding" *: *"not offered' || fail "$p is offered"
done
grep -E ' (MEDIUM|HIGH|CRITICAL)$' "$T/findings" |
	grep -v -E '^cert_(chain_of_trust|trust|validityPeriod|revocation)(<[^ ]*>)? ' \
	>"$T/bad" || true
if [ -s "$T/bad" ]; then
	cat "$T/bad"
	fail "testssl findings of severity MEDIUM or higher"
fi
echo "rbs-testssl: ok ($(wc -l <"$T/findings") findings checked)"
