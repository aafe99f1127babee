#!/bin/sh
# Key material in lib/ (and in the PKCS#11 module, pkcs11/) is wiped with
# sodium_memzero, never with a memset the compiler may drop
# (scripts/wipes.sh): the checker passes on lib/ and pkcs11/, and
# it does flag a memset over a key and a memset right before free().
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)
sh "$top/scripts/wipes.sh" "$top"/lib/*.c "$top"/pkcs11/*.c >"$T/out" 2>&1 ||
	{ cat "$T/out" >&2; fail "lib/ or pkcs11/ wipes key material with memset"; }

cat >"$T/bad.c" <<'EOC'
void
f(void)
{
	unsigned char akey[48], *buf = malloc(64);

	memset(akey, 0, sizeof(akey));
	memset(buf, 0, 64);

	free(buf);
}
EOC
expect_exit 1 sh "$top/scripts/wipes.sh" "$T/bad.c"
grep -q "bad.c:6: memset over akey" "$T/.out" || fail "a memset over a key passed"
grep -q "bad.c:7: memset before free(buf)" "$T/.out" ||
	fail "a memset before free passed"
echo "key-wipes: ok"
