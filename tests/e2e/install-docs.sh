#!/bin/sh
# The command-line contract an installed Coffer keeps: one version in every
# tool, exit codes in every --help, a man page per tool that renders, and
# bash completion of subcommands and options read from the tools' help.
# The PKCS#11 module is installed with only its C_* functions exported.
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^#define COFFER_VERSION "\(.*\)"/\1/p' "$top/lib/version.h")
[ -n "$version" ] || fail "no COFFER_VERSION in lib/version.h"

tools="hsm clone domains mofn backupd restore"
for t in $tools; do
	expect_exit 0 "$t" --version
	grep -qx "$t (coffer) $version" "$T/.out" ||
		fail "$t --version: $(cat "$T/.out"), want $version"
	expect_exit 0 "$t" --help
	grep -q "4 integrity" "$T/.out" || fail "$t --help leaves exit 4 out"
done

# make install into a scratch root: binaries, man pages, completion.
root=$T/root
make -s -C "$top" install DESTDIR="$root" PREFIX=/usr >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log" >&2; fail "make install"; }
# Only `coffer` goes into PATH: the short names live in libexec, where
# restore cannot shadow Debian's restore(8).
[ "$(ls "$root/usr/bin")" = coffer ] || fail "bin/ holds more than coffer: $(ls "$root/usr/bin")"
# The PKCS#11 module goes to PREFIX/lib and exports only PKCS#11's names.
mod=$root/usr/lib/libcoffer-pkcs11.so
[ -f "$mod" ] || fail "libcoffer-pkcs11.so not installed"
nm -D --defined-only "$mod" | awk '$2 == "T" && $3 !~ /^C_/ { print $3 }' \
	>"$T/mod-extra"
[ ! -s "$T/mod-extra" ] || fail "the module exports $(head -3 "$T/mod-extra")"
nm -D --defined-only "$mod" | grep -q " T C_GetFunctionList$" ||
	fail "the module does not export C_GetFunctionList"
sed 's|/usr/libexec/coffer|'"$root"'/usr/libexec/coffer|' "$root/usr/bin/coffer" >"$T/coffer"
expect_exit 0 sh "$T/coffer" path
[ "$(cat "$T/.out")" = "$root/usr/libexec/coffer" ] || fail "coffer path"
expect_exit 0 sh "$T/coffer" restore --version
grep -qx "restore (coffer) $version" "$T/.out" || fail "coffer restore --version"
expect_exit 2 sh "$T/coffer" ../bin/sh
expect_exit 2 sh "$T/coffer" nosuchtool
grep -q "no tool 'nosuchtool'" "$T/.err" || fail "coffer names the unknown tool"
grep -q '^ExecStart=/usr/libexec/coffer/backupd ' \
	"$root/usr/lib/systemd/system/coffer-backupd.service" ||
	fail "the unit does not run the installed backupd"
for t in $tools; do
	[ -x "$root/usr/libexec/coffer/$t" ] || fail "$t not installed"
	page=$root/usr/share/man/man1/coffer-$t.1
	[ -f "$page" ] || fail "no man page for $t"
	MANWIDTH=80 man -l "$page" 2>/dev/null >"$T/$t.txt" ||
		fail "man -l coffer-$t.1 does not render"
	grep -q '^NAME' "$T/$t.txt" || fail "$t.1 has no NAME section"
	grep -q "^ *$t  *— " "$T/$t.txt" || fail "$t.1 NAME does not name $t"
	grep -q "Coffer $version" "$T/$t.txt" || fail "$t.1 footer lacks the version"
	[ -e "$root/usr/share/bash-completion/completions/$t" ] ||
		fail "no bash completion for $t"
done

# Completion, as bash calls it: COMP_WORDS/COMP_CWORD in, COMPREPLY out.
cat >"$T/comp.bash" <<'EOS'
. "$1"
c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
	if [ "$1" = coffer ]; then _coffer_front; else _coffer; fi
	printf '%s\n' "${COMPREPLY[@]}"; }
want() { # want EXPECTED WORDS...
	local e=$1; shift
	c "$@" | grep -qx -- "$e" || { echo "completing '$*': no $e" >&2
		c "$@" >&2; exit 1; }
}
want partition hsm par
want create hsm partition cr
want set hsm partition policy ''
want --new-pin-file hsm init /x --new
want prune backupd ''
want --keep-daily backupd prune dir:/x --keep
want verify restore ve
want --deep restore verify --de
want split mofn sp
want --out-dir mofn split --o
want add domains a
want --from-pin-file clone --from-pin
# the front command: tools first, then each tool's own completion
cf=$2
coffer() { sh "$cf" "$@"; }
want hsm coffer h
want restore coffer res
want partition coffer hsm par
want --keep-daily coffer backupd prune dir:/x --keep
EOS
bash "$T/comp.bash" "$root/usr/share/bash-completion/completions/hsm" "$T/coffer" ||
	fail "bash completion"
echo "install-docs: ok"
