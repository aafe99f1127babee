#!/bin/sh
# hsm partition rekey (issue 12) on a V0 and a V1 partition. A CO
# credential leaks with a copy of hsm.db; the CO changes its credential
# and rekeys. Shown: every key works after the rekey (a signature made
# before verifies, new ones are made, old ciphertext decrypts), every role
# (PO, CO, CU) still logs in, the generation and audit line are there, the
# old PSK wraps are nowhere in hsm.db or its WAL, and the old copy's role
# rows and old credential, spliced into today's hsm.db, open no object --
# while the same splice before the rekey opened them all (the threat).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

NEW=$(pinfile co2 "co-secret-2")
echo "signed before the rekey" >"$T/m"

# The attacker's view: today's hsm.db with the role rows, the DSK wrap and
# (V1) the SMK rows of the stolen copy, opened with the old CO credential.
splice() {  # HSMDIR OLDDB OUTDIR
	rm -rf "$3"
	cp -r "$1" "$3"
	sqlite3 "$3/hsm.db" "ATTACH '$2' AS o;
	    DELETE FROM role; INSERT INTO role SELECT * FROM o.role;
	    UPDATE partition SET dsk_wrap = (SELECT p.dsk_wrap FROM o.partition p
	      WHERE p.id = partition.id);
	    DELETE FROM smk; INSERT INTO smk SELECT * FROM o.smk;"
}

for v in 0 1; do
	sks_hsm h$v
	sks_part h$v p $v
	U="hsm:$T/h$v#p"
	hsm key generate "$U" --type ec --label sig --pin-file "$CO" >/dev/null
	hsm key generate "$U" --type aes --label k --count 20 --pin-file "$CO" \
		>/dev/null
	hsm key sign "$U" --label sig --in "$T/m" --out "$T/m$v.sig" \
		--pin-file "$CO" >/dev/null
	hsm key encrypt "$U" --label k-7 --in "$T/m" --out "$T/m$v.ct" \
		--pin-file "$CO" >/dev/null
	# the leak: a copy of hsm.db while co-secret-1 is the CO credential
	sqlite3 "$T/h$v/hsm.db" ".backup '$T/stolen$v.db'"
	hsm role change "$U" --role co --pin-file "$CO" --new-pin-file "$NEW" \
		>/dev/null

	# the threat, before the rekey: the old credential still opens it all
	splice "$T/h$v" "$T/stolen$v.db" "$T/x$v"
	hsm key sign "hsm:$T/x$v#p" --label sig --in "$T/m" --out "$T/x.sig" \
		--pin-file "$CO" >/dev/null ||
		fail "V$v: the splice did not work before the rekey"

	old=$(sqlite3 "$T/h$v/hsm.db" "SELECT hex(psk_wrap) FROM role WHERE role = 2")
	olddsk=$(sqlite3 "$T/h$v/hsm.db" "SELECT hex(dsk_wrap) FROM partition")
	hsm partition rekey "$U" --pin-file "$NEW" >"$T/rekey$v.out"
	cat "$T/rekey$v.out"
	grep -q "key generation 2" "$T/rekey$v.out" || fail "V$v: generation"
	if [ $v = 0 ]; then
		grep -q "21 object(s) and 2 role wrap(s) re-sealed" \
			"$T/rekey$v.out" || fail "V0 counts"
	else
		grep -q "21 blob(s) re-sealed" "$T/rekey$v.out" || fail "V1 counts"
	fi
	[ "$(sqlite3 "$T/h$v/hsm.db" "SELECT psk_gen, psk_prev IS NULL FROM partition")" = "2|1" ] ||
		fail "V$v: psk_gen/psk_prev after the rekey"
	hsm partition show "$U" --json >"$T/show$v"
	json_has '"key_generation":2' "$T/show$v"
	nowhere "$T/h$v/hsm.db" "$old" "V$v CO PSK wrap"
	nowhere "$T/h$v/hsm.db" "$olddsk" "V$v DSK wrap"

	# every key works: old signature, old ciphertext, new signatures
	hsm key verify "$U" --label sig --in "$T/m" --signature "$T/m$v.sig" \
		--pin-file "$NEW" >/dev/null || fail "V$v: old signature"
	hsm key decrypt "$U" --label k-7 --in "$T/m$v.ct" --out "$T/m$v.rt" \
		--role cu --pin-file "$CU" >/dev/null
	cmp -s "$T/m" "$T/m$v.rt" || fail "V$v: old ciphertext"
	hsm key sign "$U" --label sig --in "$T/m" --out "$T/n$v.sig" \
		--role cu --pin-file "$CU" >/dev/null
	hsm key verify "$U" --label sig --in "$T/m" --signature "$T/n$v.sig" \
		--pin-file "$NEW" >/dev/null || fail "V$v: new signature"
	hsm role login-check "$U" --role po --pin-file "$PO" >/dev/null
	[ $v = 0 ] || hsm sks verify "$U" --pin-file "$NEW" | grep -q "^21 blob" ||
		fail "V1: sks verify"
	# an object made after the rekey
	hsm key generate "$U" --type ec --label after --pin-file "$NEW" >/dev/null
	hsm key sign "$U" --label after --in "$T/m" --out "$T/a$v.sig" \
		--pin-file "$NEW" >/dev/null

	# the stolen copy and the old credential open nothing any more
	splice "$T/h$v" "$T/stolen$v.db" "$T/x$v"
	for k in after sig; do
		if hsm key sign "hsm:$T/x$v#p" --label $k --in "$T/m" \
		    --out "$T/x.sig" --pin-file "$CO" >"$T/x.out" 2>&1; then
			fail "V$v: the old credential opened '$k' after the rekey"
		fi
		# the login works (the old wraps); the objects do not open
		grep -q "integrity" "$T/x.out" || { cat "$T/x.out"; fail "V$v: $k"; }
		echo "V$v, old credential on '$k': $(cat "$T/x.out")"
	done
	if [ $v = 1 ]; then
		# past the MAC an attacker would open blobs with the stolen SMK:
		# no blob is sealed under it any more, and hsm.db keeps no wrap
		# of it
		sid=$(sqlite3 "$T/stolen1.db" "SELECT hex(smk_id) FROM smk WHERE state = 1")
		[ "$(sqlite3 "$T/h1/sks.db" "SELECT count(*) FROM blob WHERE hex(substr(blob, 6, 16)) = '$sid'")" = 0 ] ||
			fail "V1: blobs still under the stolen SMK"
		[ "$(sqlite3 "$T/h1/hsm.db" "SELECT count(*) FROM smk WHERE hex(smk_id) = '$sid' AND wrap IS NOT NULL")" = 0 ] ||
			fail "V1: the stolen SMK still has a wrap"
		[ "$(sqlite3 "$T/h1/sks.db" "SELECT count(*) FROM blob WHERE substr(blob, 5, 1) = x'02'")" = 22 ] ||
			fail "V1: blobs not version 2"
	fi
	# the audit line
	hsm audit show "$T/h$v" --json >"$T/audit$v"
	json_has '"partition-rekey"' "$T/audit$v"
	hsm audit verify "$T/h$v" >/dev/null
	[ "$(sqlite3 "$T/h$v/hsm.db" 'PRAGMA integrity_check')" = ok ] ||
		fail "V$v integrity_check"
	echo "V$v rekeyed"
done

# only the CO rekeys; a second rekey moves the generation on
expect_exit 3 hsm partition rekey "hsm:$T/h0#p" --role cu --pin-file "$CU"
grep -q "Crypto Officer" "$T/.err" || fail "CU rekey message"
hsm partition rekey "hsm:$T/h0#p" --pin-file "$NEW" | grep -q "generation 3" ||
	fail "second rekey"
hsm key verify "hsm:$T/h0#p" --label sig --in "$T/m" --signature "$T/m0.sig" \
	--role cu --pin-file "$CU" >/dev/null
echo "hsm-rekey ok"
