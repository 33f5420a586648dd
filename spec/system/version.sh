#!/bin/bash
# One version, from the file VERSION: every program's --version (and -V), the public header's
# version macros, walletclient.pc, and the .TH line of every installed man page. And one
# status list: the installed header stands alone and numbers wallet_status as
# common/status.def does.
. "$(dirname "$0")/../lib.sh"
V=$(cat "$CW_ROOT/VERSION")
t_cond "VERSION is MAJOR.MINOR.PATCH ($V)" -n "$(echo "$V" | grep -xE '[0-9]+\.[0-9]+\.[0-9]+')"

for p in wallet wallet-entry wallet-keygen; do
	for opt in --version -V; do
		t_exit "$p $opt: exit 0" 0 "$CW_BIN/$p" "$opt"
		t_cond "$p $opt: first line is \"$p $V\"" "$(head -n 1 "$T_DIR/last.out")" = "$p $V"
	done
done

R=$T_DIR/root
t_ok "make install into a DESTDIR" make -s -C "$CW_ROOT" O="$CW_BUILD" install PREFIX=/usr DESTDIR="$R"
pages=$(cd "$R/usr/share/man" 2>/dev/null && ls man*/* 2>/dev/null | sort | tr '\n' ' ')
t_cond "installed man pages: $pages" "$pages" = "man1/wallet-entry.1 man1/wallet-keygen.1 man1/wallet.1 man3/walletclient.3 "
for m in $pages; do
	th=$(head -n 1 "$R/usr/share/man/$m")
	t_cond "$m: .TH says containerwallet $V" -n "$(echo "$th" | grep -F "\"containerwallet $V\"")"
	t_nogrep "$m: no placeholder left" "@VERSION@" "$R/usr/share/man/$m"
done

t_cond "pkg-config --modversion walletclient is $V" \
	"$(PKG_CONFIG_PATH=$R/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$R pkg-config --modversion walletclient)" = "$V"

H=$R/usr/include/walletclient.h
t_grep "walletclient.h: WALLET_CLIENT_VERSION_STRING \"$V\"" "#define WALLET_CLIENT_VERSION_STRING \"$V\"" "$H"
if grep -qE '@[A-Z_]+@' "$H"; then t_fail "walletclient.h: no placeholder left"; else
	t_pass "walletclient.h: no placeholder left"; fi
IFS=. read -r MA MI PA <<<"$V"
# The installed header alone (no common/ file), strict C99 and C++: its macros and numbers.
cat >"$T_DIR/v.c" <<'C'
#include <stdio.h>
#include <walletclient.h>
int main(void)
{
	printf("%d.%d.%d %s 0x%06x %d\n", WALLET_CLIENT_VERSION_MAJOR, WALLET_CLIENT_VERSION_MINOR,
	       WALLET_CLIENT_VERSION_PATCH, WALLET_CLIENT_VERSION_STRING,
	       (unsigned)WALLET_CLIENT_VERSION_NUM, (int)WALLET_STATUS_END);
#define S(x) printf("%s %d\n", #x, (int)WALLET_##x);
	S(OK) S(ERR_USAGE) S(ERR_NOMEM) S(ERR_IO) S(ERR_NAME) S(ERR_NOTFOUND) S(ERR_EXISTS)
	S(ERR_TOOBIG) S(ERR_CRYPTO) S(ERR_BADSIG) S(ERR_BINDING) S(ERR_ROLLBACK) S(ERR_KEY)
	S(ERR_TLS) S(ERR_NETWORK) S(ERR_HTTP) S(ERR_PROTOCOL) S(ERR_DENIED) S(ERR_INTEGRITY)
	S(ERR_INTERNAL) S(ERR_STALE)
	return 0;
}
C
t_ok "the installed header compiles alone (C99, -pedantic -Werror)" \
	cc -std=c99 -pedantic -Wall -Wextra -Werror -I"$R/usr/include" -o "$T_DIR/v" "$T_DIR/v.c"
if command -v c++ >/dev/null; then
	t_ok "... and as C++" c++ -fsyntax-only -Wall -Wextra -Werror -x c++ -I"$R/usr/include" "$T_DIR/v.c"
fi
"$T_DIR/v" >"$T_DIR/v.out" 2>&1
want=$(printf '%d.%d.%d %s 0x%02x%02x%02x' "$MA" "$MI" "$PA" "$V" "$MA" "$MI" "$PA")
t_cond "version macros: $want" "$(head -n 1 "$T_DIR/v.out" | cut -d' ' -f1-3)" = "$want"
sed -n 's/^CW_STATUS(\([A-Z_]*\), *\([0-9]*\),.*/\1 \2/p' "$CW_ROOT/common/status.def" >"$T_DIR/def"
t_cond "wallet_status numbers are status.def's (0..19 kept, 20 added)" \
	"$(tail -n +2 "$T_DIR/v.out")" = "$(cat "$T_DIR/def")"
t_cond "WALLET_STATUS_END is one past the last status ($(wc -l <"$T_DIR/def"))" \
	"$(head -n 1 "$T_DIR/v.out" | cut -d' ' -f4)" = "$(wc -l <"$T_DIR/def")"
t_cond "status.def still has 0..19 (numbers never change)" \
	"$(sed -n 20p "$T_DIR/def")" = "ERR_INTERNAL 19"
