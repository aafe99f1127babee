#!/bin/sh
# Key material is wiped with sodium_memzero, never with memset: a memset
# of a buffer that is freed or goes out of scope right after is a dead
# store the compiler may drop. Flags, in the C files given:
#   - memset(X, 0, ...) followed by free(X);
#   - memset over a name that says it holds a key or a secret (key, kek,
#     psk, dsk, smk, secret, seed, prk, okm, cred, pin).
# Prints each finding as FILE:LINE: TEXT and exits 1 when there is one.
[ $# -gt 0 ] || { echo "usage: wipes.sh FILE.c ..." >&2; exit 2; }
awk '
function target(s,    t) {
	t = s
	sub(/^[^(]*\(/, "", t)
	sub(/,.*/, "", t)
	gsub(/[ \t&*]/, "", t)
	return t
}
FNR == 1 { want = ""; }
{
	line = $0
	if (want != "") {
		if (line ~ /^[ \t]*$/)
			next
		f = line
		if (f ~ /free\(/) {
			sub(/^.*free\(/, "", f)
			sub(/\).*$/, "", f)
			gsub(/[ \t]/, "", f)
			if (f == want)
				printf "%s:%d: memset before free(%s): use sodium_memzero\n", wf, wl, want
		}
		want = ""
	}
	if (line ~ /[^_a-z]memset\(/ && line ~ /, *0 *,/) {
		t = target(line)
		n = t
		sub(/.*(->|\.)/, "", n)
		sub(/\[.*$/, "", n)
		if (tolower(n) ~ /(key|kek|psk|dsk|smk|secret|seed|prk|okm|cred|pin)s?$/)
			printf "%s:%d: memset over %s: use sodium_memzero\n", FILENAME, FNR, t
		want = t; wf = FILENAME; wl = FNR
	}
}
' "$@" >"${TMPDIR:-/tmp}/wipes.$$"
if [ -s "${TMPDIR:-/tmp}/wipes.$$" ]; then cat "${TMPDIR:-/tmp}/wipes.$$"; rm -f "${TMPDIR:-/tmp}/wipes.$$"; exit 1; fi
rm -f "${TMPDIR:-/tmp}/wipes.$$"
exit 0
