#!/bin/bash
# libwalletclient as a library: exported symbols, SONAME, install, pkg-config, and the example
# program (client/examples) built out of tree against the installed library, shared and
# static, fetching, listing and refusing from a test wallet.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash"
SO=$CW_LIB/libwalletclient.so.1
[ -f "$SO" ] || { echo "Bail out! $SO not built"; exit 1; }

t_cond "SONAME is libwalletclient.so.1" \
	"$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" = libwalletclient.so.1
nm -D --defined-only "$SO" | awk '{print $3}' | grep -v '^wallet_' >"$T_DIR/extra"
t_cond "only wallet_* symbols are exported" ! -s "$T_DIR/extra"
[ -s "$T_DIR/extra" ] && sed 's/^/#   /' "$T_DIR/extra" | head
t_cond "the API is exported (wallet_fetch)" -n "$(nm -D --defined-only "$SO" | grep ' wallet_fetch$')"
t_cond "libwalletclient.so points to the SONAME" "$(readlink "$CW_LIB/libwalletclient.so")" = libwalletclient.so.1

ROOT=$T_DIR/root
t_ok "make install-client into a DESTDIR" \
	make -s -C "$CW_ROOT" O="$CW_BUILD" install-client DESTDIR="$ROOT" PREFIX=/usr/local
L=$ROOT/usr/local/lib
t_cond "installed: header, .so.1, .so link, .a, .pc, wallet-entry, man page" \
	-f "$ROOT/usr/local/include/walletclient.h" -a -f "$L/libwalletclient.so.1" -a \
	-L "$L/libwalletclient.so" -a -f "$L/libwalletclient.a" -a -f "$L/pkgconfig/walletclient.pc" -a \
	-x "$ROOT/usr/local/bin/wallet-entry" -a -f "$ROOT/usr/local/share/man/man1/wallet-entry.1"
export PKG_CONFIG_PATH=$L/pkgconfig PKG_CONFIG_SYSROOT_DIR=$ROOT
t_cond "pkg-config knows walletclient $(cat "$CW_ROOT/VERSION")" \
	"$(pkg-config --modversion walletclient)" = "$(cat "$CW_ROOT/VERSION")"

cp -r "$CW_ROOT/client/examples" "$T_DIR/ex"
cp -r "$CW_ROOT/client/examples" "$T_DIR/exs"
# A library built with sanitizers needs their runtime in the program that links it.
SANLD=()
[ "${SAN:-0}" = 1 ] && SANLD=(LDFLAGS="-fsanitize=address,undefined")
t_ok "the example builds through pkg-config (shared)" make -s -C "$T_DIR/ex" "${SANLD[@]}"
t_ok "the example builds through pkg-config (static)" make -s -C "$T_DIR/exs" STATIC=1 "${SANLD[@]}"
t_cond "the static build does not need libwalletclient.so" -x "$T_DIR/exs/wallet-fetch" -a \
	-z "$(readelf -d "$T_DIR/exs/wallet-fetch" 2>/dev/null | grep libwalletclient)"
export LD_LIBRARY_PATH=$L
t_ok "the shared example uses the installed library" sh -c "ldd '$T_DIR/ex/wallet-fetch' | grep -q '$L/libwalletclient.so.1'"

fx_setup
printf 'lib-secret' >"$FX/db"
printf 'other' >"$FX/api"
fx_seal db_pass 2 "$FX/db" && fx_serve_obj v1/objects/db_pass "$FX/sealed/db_pass@2" 2
fx_seal api_key 1 "$FX/api" && fx_serve_obj v1/objects/swapped "$FX/sealed/api_key@1" 1
fx_seal app1/x 1 "$FX/api" && fx_serve_obj v1/objects/app1/x "$FX/sealed/app1@x@1" 1
fx_serve_obj 'v1/objects/db_pass?version=2' "$FX/sealed/db_pass@2" 2
# a group's members come from the manifest (fx_serve_obj listed them); the listing, which
# wallet_list_objects reads, must name the same (fx_json checks)
fx_json 'v1/objects?prefix=app1%2F' '[{"name":"app1/x","version":1,"created":"2026-11-22T16:40:37Z","size":9}]'
P=$(pick_port)
fx_server "$P" || { echo "Bail out! test wallet did not start"; exit 1; }
fx_entry_env
export WALLET_URL=https://127.0.0.1:$P

for b in ex exs; do
	X=$T_DIR/$b/wallet-fetch
	t_ok "$b: fetch prints name, version and size" "$X" db_pass
	t_grep "$b: ... db_pass version 2, 10 bytes" "db_pass version 2, 10 bytes" "$T_DIR/last.out"
	t_nogrep "$b: ... and not the secret" "lib-secret" "$T_DIR/last.out"
	t_exit "$b: a minimum version above the served one: refused" 1 "$X" db_pass 3
	t_grep "$b: ... as a rollback" "older than the required minimum" "$T_DIR/last.out"
	t_exit "$b: a substituted object: refused" 1 "$X" swapped
	t_grep "$b: ... as a binding failure" "signed name or version does not match" "$T_DIR/last.out"
	t_ok "$b: list with a prefix" "$X" --list app1/
	t_grep "$b: ... shows app1/x" "app1/x" "$T_DIR/last.out"
	t_ok "$b: group fetch" "$X" app1/
	t_grep "$b: ... fetched app1/x" "app1/x version 1, 5 bytes" "$T_DIR/last.out"
done
exit 0
