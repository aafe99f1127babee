#!/bin/sh
# Checks that lib/'s calls point down: reads the layer table of
# docs/architecture.md (families in order, lowest first) and the symbols of
# the built objects, and fails on a call from one family to a family listed
# below it, unless that exact call is in the table of known upward calls
# (which fails in turn when one of its entries is no longer needed).
# Usage: scripts/layers.sh [OBJDIR [DOC]]   (OBJDIR: build/default/lib)
set -eu
objdir=${1:-$(dirname "$0")/../build/default/lib}
doc=${2:-$(dirname "$0")/../docs/architecture.md}
[ -d "$objdir" ] || { echo "layers: no object directory $objdir" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# "file family rank layer" for every file of the table.
sed -n '/<!-- layers:begin -->/,/<!-- layers:end -->/p' "$doc" |
	awk -F'|' 'NF >= 5 && $2 !~ /layer|---/ {
		gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3)
		rank++
		n = split($4, f, " ")
		for (i = 1; i <= n; i++) print f[i], $3, rank, $2
	}' | tr ' ' '\t' >"$tmp/table"
# a layer name may hold a space: rejoin what tr split
awk -F'\t' '{ l = $4; for (i = 5; i <= NF; i++) l = l " " $i
	print $1 "\t" $2 "\t" $3 "\t" l }' "$tmp/table" >"$tmp/files"
[ -s "$tmp/files" ] || { echo "layers: no layer table in $doc" >&2; exit 2; }

# "file symbol" pairs allowed to call up.
sed -n '/<!-- layers:allow:begin -->/,/<!-- layers:allow:end -->/p' "$doc" |
	awk -F'|' 'NF >= 4 && $2 !~ /file|---/ {
		gsub(/^ +| +$/, "", $2)
		n = split($3, s, " ")
		for (i = 1; i <= n; i++) print $2, s[i]
	}' | sort -u >"$tmp/allow"

status=0
: >"$tmp/defs"
: >"$tmp/uses"
for o in "$objdir"/*.o; do
	f=$(basename "$o" .o)
	if ! awk -F'\t' -v f="$f" '$1 == f { found = 1 } END { exit !found }' \
	    "$tmp/files"; then
		echo "layers: lib/$f.c is in no family of the layer table in" \
		    "$doc: add it" >&2
		status=1
		continue
	fi
	nm -g --defined-only "$o" |
		awk -v f="$f" '$2 ~ /^[TDBR]$/ { print $3, f }' >>"$tmp/defs"
	nm -u "$o" | awk -v f="$f" '{ print $2, f }' >>"$tmp/uses"
done
sort -u "$tmp/defs" -o "$tmp/defs"
sort -u "$tmp/uses" -o "$tmp/uses"

# "caller symbol callee" for calls between lib files.
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2, $1, $3 }' |
	sort -u >"$tmp/calls"
awk -v allowf="$tmp/allow" -v usedf="$tmp/used" '
	BEGIN { FS = "\t" }
	FILENAME == ARGV[1] { fam[$1] = $2; rank[$1] = $3; layer[$1] = $4
		next }
	{
		split($0, c, " ")
		caller = c[1]; sym = c[2]; callee = c[3]
		if (fam[caller] == fam[callee] || rank[callee] < rank[caller])
			next
		key = caller " " sym
		if (allowed[key] == "") {
			while ((getline line < allowf) > 0) allowed[line] = 1
			allowed["-"] = 1
		}
		if (allowed[key] == 1) { print key > usedf; next }
		printf "layers: lib/%s.c (%s, %s) calls %s of lib/%s.c " \
		    "(%s, %s), a layer above it: move the function down or " \
		    "the caller up\n", caller, fam[caller], layer[caller], sym,
		    callee, fam[callee], layer[callee]
		bad = 1
	}
	END { exit bad }' "$tmp/files" FS=' ' "$tmp/calls" >&2 || status=1
touch "$tmp/used"
sort -u "$tmp/used" -o "$tmp/used"
comm -23 "$tmp/allow" "$tmp/used" | while read -r f s; do
	echo "layers: lib/$f.c no longer calls $s upward: remove it from the" \
	    "known upward calls in $doc" >&2
	echo x >>"$tmp/stale"
done
[ -e "$tmp/stale" ] && status=1
[ "$status" -eq 0 ] && echo "layers: $(wc -l <"$tmp/calls") calls between lib files, all pointing down (or known: $(wc -l <"$tmp/allow"))"
exit "$status"
