#!/bin/bash
# Checks cw-loadgen against nginx (not part of make check): it must count successes only when
# a whole 200 response came back over a verified mutual-TLS connection, and count everything
# else as an error, not as requests/s. Prints TAP; exit 1 when a check fails.
# Usage: O=build-x bench/selftest.sh
. "$(dirname "$0")/bench-lib.sh"

LG=$BL_BIN/cw-loadgen
[ -x "$LG" ] || bl_die "$LG missing: make O=$O build"
N=0
FAILED=0
check() { # check DESC EXPR...
	local d=$1; shift
	N=$((N + 1))
	if [ "$@" ]; then echo "ok $N - $d"; else
		echo "not ok $N - $d"; echo "#   false: [ $* ]"; FAILED=$((FAILED + 1)); fi
}
C=$BL_DIR/certs
bl_certs_openssl "$C"
P=$(bl_pick_port)
bl_nginx_start "$BL_DIR/nginx" "$P" 1 "$C"
mkdir -p "$BL_DIR/nginx/www/v1/objects"
head -c 1500 /dev/urandom >"$BL_DIR/nginx/www/v1/objects/obj"
URL=https://127.0.0.1:$P/v1/objects/obj

# run NAME ARGS...: runs cw-loadgen, keeps its JSON in $BL_DIR/NAME.json and exit code in RC.
run() {
	local name=$1; shift
	"$LG" "$@" >"$BL_DIR/$name.json" 2>"$BL_DIR/$name.err"
	RC=$?
	J=$BL_DIR/$name.json
}
v() { bl_json "$1" <"$J"; }
good=(--cert "$C/app1.crt" --key "$C/app1.key" --cacert "$C/ca.crt")

run ka "${good[@]}" -c 4 -n 400 "$URL"
check "keep-alive: exit 0" "$RC" -eq 0
check "keep-alive: 400 successes" "$(v ok)" -eq 400
check "keep-alive: no errors" "$(v errors)" -eq 0
check "keep-alive: one handshake per connection" "$(v handshakes)" -eq 4
check "keep-alive: whole bodies read (>= 400 x 1500 bytes)" "$(v bytes)" -ge 600000
check "keep-alive: TLS 1.3 by default" "$(v tls_version)" = TLSv1.3

run hs "${good[@]}" -c 2 -n 60 -m handshake "$URL"
check "handshake mode: 60 successes" "$(v ok)" -eq 60
check "handshake mode: one handshake per request" "$(v handshakes)" -eq 60
check "nginx logged all 460 successful requests" \
	"$(grep -c ' 200 ' "$BL_DIR/nginx/logs/access.log")" -ge 460

run dur "${good[@]}" -c 2 -d 1 "$URL"
check "duration mode: runs about 1 s" "$(v seconds | cut -d. -f1)" -eq 1
check "duration mode: some requests/s" "$(v rps | cut -d. -f1)" -gt 0

run tls12 "${good[@]}" -n 5 --tls12 "$URL"
check "--tls12 negotiates TLS 1.2" "$(v tls_version)" = TLSv1.2

for m in keepalive handshake; do
	run rogue-$m --cert "$C/rogue-app1.crt" --key "$C/rogue-app1.key" --cacert "$C/ca.crt" \
		-c 2 -n 50 -m "$m" "$URL"
	check "$m, client cert from another CA: exit 1" "$RC" -eq 1
	check "$m, client cert from another CA: 0 successes" "$(v ok)" -eq 0
	check "$m, client cert from another CA: 50 errors" "$(v errors)" -eq 50
	check "$m, client cert from another CA: rps 0" "$(v rps)" = 0
done

run wrongca --cert "$C/app1.crt" --key "$C/app1.key" --cacert "$C/rogue-ca.crt" -n 20 "$URL"
check "server not signed by the given CA: 20 TLS errors" "$(v tls)" -eq 20
check "server not signed by the given CA: 0 successes" "$(v ok)" -eq 0

run wrongname "${good[@]}" -n 20 --servername other.example "$URL"
check "server certificate for another name: 20 TLS errors" "$(v tls)" -eq 20

run nf "${good[@]}" -c 2 -n 30 "https://127.0.0.1:$P/v1/objects/missing"
check "404: 30 status errors" "$(v status)" -eq 30
check "404: first_error names the status" "$(v first_error)" = "status: HTTP 404"
check "404: connections kept after a complete error answer" "$(v handshakes)" -eq 2

DEAD=$(bl_pick_port)
run refused "${good[@]}" -n 5 "https://127.0.0.1:$DEAD/x"
check "nothing listening: 5 connect errors" "$(v connect)" -eq 5

"$LG" --bogus >/dev/null 2>&1
check "bad option: exit 2" "$?" -eq 2

echo "1..$N"
[ "$FAILED" -eq 0 ]
