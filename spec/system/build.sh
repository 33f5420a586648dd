#!/bin/bash
# The build's promises: hardening flags took effect in every binary and library, and
# `make install` honours PREFIX and DESTDIR.
. "$(dirname "$0")/../lib.sh"

elfs=("$CW_BIN/wallet" "$CW_BIN/wallet-keygen" "$CW_BIN/wallet-entry" \
      "$CW_LIB/libwalletclient.so.1" "$CW_LIB/containerwallet/libssl.so")
for f in "${elfs[@]}"; do
	n=${f#"$CW_BUILD"/}
	if [ ! -f "$f" ]; then t_fail "$n is built"; continue; fi
	readelf -hdlW "$f" >"$T_DIR/elf" 2>&1
	t_grep "$n: position independent (DYN)" "DYN (" "$T_DIR/elf"
	t_grep "$n: full RELRO (GNU_RELRO)" "GNU_RELRO" "$T_DIR/elf"
	t_grep "$n: full RELRO (BIND_NOW)" "BIND_NOW" "$T_DIR/elf"
	if grep -A1 GNU_STACK "$T_DIR/elf" | grep -q 'RWE'; then t_fail "$n: non-executable stack"; else
		t_pass "$n: non-executable stack"; fi
done
# The stack protector and _FORTIFY_SOURCE leave their marks in the programs (not in a
# sanitizer build, which does not use _FORTIFY_SOURCE).
for f in wallet wallet-keygen wallet-entry; do
	nm -D "$CW_BIN/$f" >"$T_DIR/syms" 2>/dev/null
	t_grep "$f: stack protector" "__stack_chk_fail" "$T_DIR/syms"
	if [ "${SAN:-0}" != 1 ]; then
		if grep -q '__[a-z]*_chk' <(grep -v stack_chk "$T_DIR/syms"); then t_pass "$f: _FORTIFY_SOURCE"; else
			t_fail "$f: _FORTIFY_SOURCE" "no __*_chk symbol"; fi
	fi
done

# The library exports its API and nothing else.
nm -D --defined-only "$CW_LIB/libwalletclient.so.1" | awk '$2 ~ /^[TDBR]$/ {print $3}' >"$T_DIR/exports"
t_cond "libwalletclient exports something" -s "$T_DIR/exports"
if grep -qv '^wallet_' "$T_DIR/exports"; then t_fail "libwalletclient exports only wallet_*" "$(grep -v '^wallet_' "$T_DIR/exports" | head -5)"; else
	t_pass "libwalletclient exports only wallet_*"; fi

# make install PREFIX=/opt/cw DESTDIR=...
t_ok "make install PREFIX DESTDIR" make -s -C "$CW_ROOT" O="$CW_BUILD" install PREFIX=/opt/cw DESTDIR="$T_DIR/root"
for p in bin/wallet bin/wallet-keygen bin/wallet-entry lib/containerwallet/libssl.so \
	lib/libwalletclient.so.1 lib/libwalletclient.a include/walletclient.h \
	lib/pkgconfig/walletclient.pc share/man/man1/wallet.1 share/man/man1/wallet-keygen.1 \
	share/man/man1/wallet-entry.1; do
	t_cond "installed /opt/cw/$p" -e "$T_DIR/root/opt/cw/$p"
done
t_exit "the installed wallet runs (finds its private libssl through RUNPATH)" 0 "$T_DIR/root/opt/cw/bin/wallet" --version
for m in wallet wallet-keygen wallet-entry; do
	t_ok "man page $m.1 renders without warnings" bash -c "MANWIDTH=80 man --warnings -l '$T_DIR/root/opt/cw/share/man/man1/$m.1' 2>&1 >/dev/null | (! grep .)"
done
