# Sourced by pkcs11-*.sh after lib.sh and helpers/hsm.sh: Coffer's own
# PKCS#11 module, bin/libcoffer-pkcs11.so, driven by OpenSC's pkcs11-tool.
#   mod_setup NAME      skip (exit 0, saying why) when pkcs11-tool is
#                       missing; $MOD is the module and COFFER_PKCS11_CONF
#                       points at $T/pkcs11.conf, empty until mod_hsm adds
#                       to it. An ASan-built module (make check's second
#                       build) cannot be loaded by a program without
#                       libasan: pkcs11-tool and openssl then run through
#                       wrappers in $T/asan-wrap that LD_PRELOAD the
#                       module's libasan, with leak detection off (their
#                       own allocations are not ours to judge; memory
#                       errors and UBSan still stop them). Without a
#                       libasan to preload the scenario skips.
#   eng_setup NAME      skip (exit 0, saying why) without libp11's OpenSSL
#                       engine; else $T/openssl.cnf loads it on $MOD, and
#                       eng ARGS... runs openssl with it (only that openssl:
#                       exported, the engine would load into hsm too)
#   mod_hsm DIR         adds the HSM directory DIR to the configuration
#   modpin FILE         the PIN in a pin file, for pkcs11-tool's --pin (its
#                       only way to take one; Coffer's own tools read files)
#   mod ARGS...         pkcs11-tool on the module, not logged in; fails
#                       the scenario when it fails
#   mod_co ARGS...      the same logged in as the CO (CKU_USER) of the
#                       token labelled $MOD_TOKEN (default p1)
MOD=$BIN/libcoffer-pkcs11.so
MOD_TOKEN=p1

mod_setup() {
	if ! command -v pkcs11-tool >/dev/null; then
		echo "$1: skipped: needs OpenSC's pkcs11-tool (scripts/deps.sh)"
		exit 0
	fi
	[ -f "$MOD" ] || fail "no module $MOD: run make"
	if nm -D "$MOD" 2>/dev/null | grep -q "__asan_init"; then
		asan=$(ldd "$MOD" | awk '/libasan/ { print $3; exit }')
		if [ ! -f "$asan" ]; then
			echo "$1: skipped: $MOD is an ASan build and its libasan" \
				"is not found to LD_PRELOAD into pkcs11-tool." \
				"The normal build runs this scenario."
			exit 0
		fi
		mkdir -p "$T/asan-wrap"
		for p in pkcs11-tool openssl p11tool; do
			real=$(command -v "$p") || continue
			printf '#!/bin/sh\nLD_PRELOAD=%s ASAN_OPTIONS=%s exec %s "$@"\n' \
				"$asan" "detect_leaks=0:abort_on_error=1" "$real" \
				>"$T/asan-wrap/$p"
			chmod 0755 "$T/asan-wrap/$p"
		done
		PATH=$T/asan-wrap:$PATH
		export PATH
	fi
	: >"$T/pkcs11.conf"
	COFFER_PKCS11_CONF=$T/pkcs11.conf
	export COFFER_PKCS11_CONF
}

mod_hsm() {
	echo "hsm $1" >>"$T/pkcs11.conf"
}

modpin() {
	head -n 1 "$1"
}

mod() {
	pkcs11-tool --module "$MOD" "$@" 2>"$T/mod.err" ||
		{ cat "$T/mod.err" >&2; fail "pkcs11-tool $*"; }
}

mod_co() {
	mod --token-label "$MOD_TOKEN" --login --pin "$(modpin "$CO")" "$@"
}

eng_setup() {
	engine=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')/pkcs11.so
	if [ ! -f "$engine" ]; then
		echo "$1: skipped: needs libp11's engine ($engine," \
			"libengine-pkcs11-openssl; scripts/deps.sh installs it)"
		exit 0
	fi
	cat >"$T/openssl.cnf" <<EOC
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $engine
MODULE_PATH = $MOD
init = 0
EOC
}

eng() {
	OPENSSL_CONF=$T/openssl.cnf openssl "$@"
}
