#!/bin/sh
# A verified mark is evidence bound to the file, and names are not facts
# (issue 11, item 5):
# - a verified backup later damaged (4 bytes), or another backup copied over
#   it, no longer lists as verified, and prune keeps the older good one;
# - a copy renamed to a later date lists and shows the manifest's date and
#   is flagged as misnamed;
# - a sealed stream of a version this build cannot open fails verify and is
#   never marked verified;
# - a verify that cannot write its mark (a full store) leaves no mark.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 3
store_init s
S="dir:$T/s"
vflag() { # vflag NAME: the verified member of NAME's list entry
	restore list --from "$S" --json |
		jq -r --arg n "$1" '.backups[] | select(.name == $n) | .verified'
}
b1=$(backup_of h s)
sleep 1
b2=$(backup_of h s)
restore verify --from "$S" "$b1" >/dev/null
restore verify --from "$S" "$b2" >/dev/null
[ "$(vflag "$b1")" = true ] && [ "$(vflag "$b2")" = true ] || fail "verify marks"
restore show --from "$S" "$b2" --json | jq -e '.verified_how == "structure"' \
	>/dev/null || fail "the mark does not say how"

# 4 bytes of the newer one damaged after its verification
off=$(( $(stat -c %s "$T/s/$b2") / 2 ))
for k in 0 1 2 3; do flip "$T/s/$b2" $((off + k)); done
[ "$(vflag "$b2")" = false ] || fail "a damaged backup still lists as verified"
# prune keeps the older, good one: the newest verified of the series
backupd prune "$S" --keep-last 1 >/dev/null 2>&1 || true
[ -f "$T/s/$b1" ] || fail "prune removed the last good backup"

# another backup's bytes copied over a verified one
restore verify --from "$S" "$b1" >/dev/null
sleep 1
b3=$(backup_of h s)
cp "$T/s/$b3" "$T/s/$b1"
[ "$(vflag "$b1")" = false ] || fail "a backup copied over still lists as verified"
restore show --from "$S" "$b1" --json | jq -e '.misnamed' >/dev/null ||
	fail "a copy under another name is not flagged"

# a copy renamed to a later date: the manifest's date, flagged
late=p1_20991231T235959Z.cbk
cp "$T/s/$b3" "$T/s/$late"
restore show --from "$S" "$late" --json >"$T/late.json"
created=$(restore show --from "$S" "$b3" --json | jq -r .created)
jq -e --arg c "$created" '.created == $c and .misnamed and (.verified | not)' \
	"$T/late.json" >/dev/null || { cat "$T/late.json"; fail "renamed copy"; }
restore show --from "$S" "$late" | grep -q "DISAGREES WITH THE MANIFEST" ||
	fail "show does not flag the name"
restore list --from "$S" | grep "^$late " | grep -q "NAME DISAGREES" ||
	fail "list does not flag the name"
rm "$T/s/$late"

# a sealed stream of an unsupported version (checksums all made right)
mkdir "$T/x"
(cd "$T/x" && tar xf "$T/s/$b3")
header_set_byte "$T/x" 9 000 # version 1 -> 0: not one this build reads
cbk_rebuild "$T/x" "$T/s/$b3"
restore verify --from "$S" "$b3" >"$T/v.out" 2>"$T/v.err" && {
	cat "$T/v.out"; fail "a stream of an unsupported version verified"; }
grep -q "version" "$T/v.err" || { cat "$T/v.err"; fail "the refusal does not name the version"; }
[ "$(vflag "$b3")" = false ] || fail "an unsupported version was marked verified"

# a verify that cannot write its mark: no mark at all
sleep 1
b4=$(backup_of h s)
chmod 0500 "$T/s/.verified"
if [ "$(id -u)" -ne 0 ]; then
	expect_exit 1 restore verify --from "$S" "$b4"
fi
chmod 0700 "$T/s/.verified"
# a partial mark (what a full disk used to leave) never counts
: >"$T/s/.verified/$b4"
[ "$(vflag "$b4")" = false ] || fail "an empty mark counts as verified"
echo "restore-verify-evidence: ok"
