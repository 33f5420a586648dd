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
	share/man/man1/wallet-entry.1 share/man/man3/walletclient.3 lib/containerwallet/libcrypto.so; do
	t_cond "installed /opt/cw/$p" -e "$T_DIR/root/opt/cw/$p"
done
t_exit "the installed wallet runs (finds its private libssl through RUNPATH)" 0 "$T_DIR/root/opt/cw/bin/wallet" --version
# make uninstall removes exactly that (into a second root, so the rest of this suite keeps its copy)
t_ok "make install into a second root" make -s -C "$CW_ROOT" O="$CW_BUILD" install PREFIX=/opt/cw DESTDIR="$T_DIR/root2"
t_ok "make uninstall PREFIX DESTDIR" make -s -C "$CW_ROOT" O="$CW_BUILD" uninstall PREFIX=/opt/cw DESTDIR="$T_DIR/root2"
left=$(find "$T_DIR/root2" -type f -o -type l)
t_cond "make uninstall leaves no file behind ($left)" -z "$left"
for m in man1/wallet.1 man1/wallet-keygen.1 man1/wallet-entry.1 man3/walletclient.3; do
	t_ok "man page $m renders without warnings" bash -c "MANWIDTH=80 man --warnings -l '$T_DIR/root/opt/cw/share/man/$m' 2>&1 >/dev/null | (! grep .)"
done

# civetweb dlopen()s "libssl.so" and "libcrypto.so" (names only libssl-dev provides); both must
# resolve to the wallet's private shims, already loaded, so that `wallet serve` runs where only
# the runtime libraries are installed (docs/DESIGN.md, "Platform notes"). LD_DEBUG shows
# where each came from.
KG=$CW_BIN/wallet-keygen W=$T_DIR/root/opt/cw/bin/wallet
"$KG" init --out "$T_DIR/k" >/dev/null && "$W" --data "$T_DIR/d" init >/dev/null 2>&1
P=$(pick_port)
LD_DEBUG=files LD_DEBUG_OUTPUT=$T_DIR/ld "$W" --data "$T_DIR/d" serve --listen "127.0.0.1:$P" \
	--tls-cert "$T_DIR/k/wallet/server.crt" --tls-key "$T_DIR/k/wallet/server.key" \
	--tls-ca "$T_DIR/k/ca/ca.crt" 2>/dev/null &
spid=$!
at_exit "kill $spid"
wait_until 20 port_open "$P"
t_ok "installed wallet serve answers over mutual TLS" curl -sf --cacert "$T_DIR/k/ca/ca.crt" \
	--cert "$T_DIR/k/clients/app1/tls.crt" --key "$T_DIR/k/clients/app1/tls.key" "https://localhost:$P/healthz"
kill "$spid"; wait "$spid" 2>/dev/null
cat "$T_DIR"/ld.* >"$T_DIR/ld.all" 2>/dev/null
for lib in libssl.so libcrypto.so; do
	t_grep "civetweb's dlopen(\"$lib\") gets the private shim" "opening file=$T_DIR/root/opt/cw/bin/../lib/containerwallet/$lib [0]" "$T_DIR/ld.all"
	if grep -qE "trying file=.*/$lib\$" "$T_DIR/ld.all"; then t_fail "... and never searches the system for $lib"; else
		t_pass "... and never searches the system for $lib"; fi
done

# A full disk on standard output is an error (exit 1, one line), never silent success.
t_exit "wallet signing-key > /dev/full: exit 1" 1 sh -c "'$W' --data '$T_DIR/d' signing-key >/dev/full"
t_grep "... with one clear line" "wallet: cannot write to standard output: No space left on device" "$T_DIR/last.out"
t_exit "wallet-keygen --help > /dev/full: exit 1" 1 sh -c "'$KG' --help >/dev/full"
t_grep "... with one clear line" "wallet-keygen: cannot write to standard output" "$T_DIR/last.out"
