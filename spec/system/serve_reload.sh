#!/bin/bash
# wallet serve: SIGHUP reloads the TLS certificate, key and CA, seen by real peers (openssl
# s_client, curl): new handshakes get the new material while connections and transfers under
# way finish, files that cannot be used are refused and the old ones kept, a new CA decides
# which client certificates are accepted, /metrics follows the certificates' expiry; and
# `wallet checkintegrity` warns about certificates and OpenPGP keys that expire soon.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

serve_world
CA=$KEYS/ca
echo secret-one | wallet store one --to app1 >/dev/null
head -c $((16 << 20)) /dev/urandom >"$T_DIR/big.plain"
wallet store big --to app1 --max-size 32M <"$T_DIR/big.plain" >/dev/null || t_bail "a 16 MiB object"
rm -f "$T_DIR/big.plain"

# leaf DIR CADIR SERIAL DAYS [CN EKU]: DIR.crt and DIR.key, a certificate that CADIR's CA
# issued with that serial (hex) and lifetime; by default a server certificate for 127.0.0.1.
leaf() {
	local ext=$T_DIR/leaf.ext
	printf 'extendedKeyUsage=%s\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' "${6:-serverAuth}" >"$ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "/CN=${5:-localhost}" 2>/dev/null &&
		openssl x509 -req -in "$1.csr" -CA "$2/ca.crt" -CAkey "$2/ca.key" -set_serial "0x$3" \
			-days "$4" -extfile "$ext" -out "$1.crt" 2>/dev/null
	local rc=$?
	rm -f "$1.csr" "$ext"
	return $rc
}
# newca DIR DAYS: a CA of its own in DIR (ca.crt, ca.key)
newca() {
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$2" \
		-keyout "$1/ca.key" -out "$1/ca.crt" -subj "/CN=reload test CA $RANDOM" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
M=$T_DIR/mat
mkdir -p "$M"
leaf "$M/a" "$CA" 0A01 400 && leaf "$M/b" "$CA" 0B02 400 && leaf "$M/c" "$CA" 0C03 10 ||
	t_bail "server certificates"

# The files the server reads; `put` replaces one by a rename, as an operator's tools would.
TLSD=$T_DIR/tls
mkdir -m 700 "$TLSD"
put() { cp "$1" "$TLSD/.$2.tmp" && mv -f "$TLSD/.$2.tmp" "$TLSD/$2"; }
use_pair() { put "$1.crt" server.crt && put "$1.key" server.key; }
use_pair "$M/a"
put "$CA/ca.crt" ca.crt
LOG=$T_DIR/serve-reload.log
# Long request and keep-alive timeouts: a connection opened before a reload is used after it.
serve_start reload --tls-cert "$TLSD/server.crt" --tls-key "$TLSD/server.key" \
	--tls-ca "$TLSD/ca.crt" --request-timeout-ms 60000 --keep-alive-timeout-ms 60000 \
	--audit-log "$T_DIR/audit.log"
t_cond "server started on certificate A" "$?" = 0

# serial: the serial of the certificate a new handshake gets (openssl s_client, which sends a
# server name; curl to 127.0.0.1 sends none: both kinds of ClientHello are seen)
serial() {
	timeout 20 openssl s_client -connect "127.0.0.1:$SERVE_PORT" -servername localhost -CAfile "$CA/ca.crt" \
		-cert "$C/tls.crt" -key "$C/tls.key" </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}
serial_is() { [ "$(serial)" = "$1" ]; }
nlog() { grep -c "$1" "$LOG"; }
nlog_is() { [ "$(nlog "$1")" = "$2" ]; }
ok_reloads=0 refusals=0
# hup_ok SERIAL DESC: SIGHUP, then the next handshake gets SERIAL
hup_ok() {
	kill -HUP "$SERVE_PID"
	ok_reloads=$((ok_reloads + 1))
	t_ok "$2: reloaded (one log line)" wait_until 20 nlog_is '"TLS reloaded"' "$ok_reloads"
	t_ok "$2: s_client now gets serial $1" wait_until 20 serial_is "$1"
}
# hup_refused DESC WHY: SIGHUP; one log line with WHY; the serial new handshakes get is unchanged
hup_refused() {
	local before
	before=$(serial)
	kill -HUP "$SERVE_PID"
	refusals=$((refusals + 1))
	t_ok "$1: refused, one log line" wait_until 20 nlog_is '"TLS reload refused' "$refusals"
	grep '"TLS reload refused' "$LOG" | tail -n 1 >"$T_DIR/why"
	t_grep "$1: the log says why ($2)" "$2" "$T_DIR/why"
	t_cond "$1: still serial $before" "$(serial)" = "$before"
	code=$(cfetch "$C" /v1/objects/one -o /dev/null -w '%{http_code}')
	t_cond "$1: still serving" "$code" = 200
}

t_cond "s_client gets serial 0A01" "$(serial)" = 0A01

# --- a reload while a connection and a transfer are open ---------------------------------------
# A kept-alive connection made before the reload: one request before it, one after. s_client
# prints the certificate it got, then the answers; -nocommands: no line is taken as a command.
mkfifo "$T_DIR/ka"
exec 7<>"$T_DIR/ka"
timeout 120 openssl s_client -connect "127.0.0.1:$SERVE_PORT" -CAfile "$CA/ca.crt" \
	-cert "$C/tls.crt" -key "$C/tls.key" -ign_eof -nocommands <"$T_DIR/ka" >"$T_DIR/ka.out" 2>&1 &
KA=$!
at_exit "kill $KA"
printf 'GET /healthz HTTP/1.1\r\nHost: wallet\r\n\r\n' >&7
nanswers() { grep -c '^HTTP/1.1 200' "$T_DIR/ka.out"; }
nanswers_is() { [ "$(nanswers)" = "$1" ]; }
t_ok "kept-alive connection: first request answered" wait_until 20 nanswers_is 1
t_cond "kept-alive connection: made with certificate A" \
	"$(openssl x509 -noout -serial -in "$T_DIR/ka.out" 2>/dev/null)" = serial=0A01
# A download made slow by the client (2 MiB/s for 16 MiB): it is under way during the reload.
cfetch "$C" /v1/objects/big --limit-rate 2M -o "$T_DIR/big.slow" -w '%{http_code}' \
	>"$T_DIR/big.code" 2>&1 &
DL=$!
at_exit "kill $DL"
started() { [ -s "$T_DIR/big.slow" ]; }
t_ok "slow download: under way" wait_until 20 started

use_pair "$M/b"
hup_ok 0B02 "certificate B"
t_cond "slow download: still under way after the reload" "$(kill -0 "$DL" 2>/dev/null && echo yes)" = yes
printf 'GET /v1/objects/one HTTP/1.1\r\nHost: wallet\r\nConnection: close\r\n\r\n' >&7
t_ok "kept-alive connection made before the reload: answered after it" wait_until 20 nanswers_is 2
exec 7>&-
wait "$KA"
wait "$DL"
t_cond "slow download: answered 200" "$(cat "$T_DIR/big.code")" = 200
cfetch "$C" /v1/objects/big -o "$T_DIR/big.fast"
t_ok "slow download: complete (the same bytes as a download after the reload)" \
	cmp "$T_DIR/big.slow" "$T_DIR/big.fast"
rm -f "$T_DIR/big.slow" "$T_DIR/big.fast"

# --- requests keep succeeding through several reloads ------------------------------------------
# A loop of new connections (one handshake each) while the certificate changes four times.
: >"$T_DIR/codes"
(
	while [ ! -e "$T_DIR/stop" ]; do
		cfetch "$C" /v1/objects/one -o /dev/null -w '%{http_code}\n' >>"$T_DIR/codes"
	done
) &
LOOP=$!
at_exit "touch $T_DIR/stop; kill $LOOP"
ncodes() { wc -l <"$T_DIR/codes"; }
more_than() { [ "$(ncodes)" -gt "$1" ]; }
for i in 1 2 3 4; do
	n=$(ncodes)
	if [ $((i % 2)) = 1 ]; then use_pair "$M/a" && s=0A01; else use_pair "$M/b" && s=0B02; fi
	hup_ok "$s" "reload $i under load"
	t_ok "reload $i under load: requests go on" wait_until 20 more_than $((n + 3))
done
touch "$T_DIR/stop"
wait "$LOOP"
t_cond "requests through 4 reloads: $(ncodes), every one answered 200" \
	"$(sort -u "$T_DIR/codes" | tr '\n' ,)" = "200,"

# --- files that cannot be used are refused; the current material stays ------------------------
# (serial 0B02 is in use)
put "$M/a.crt" server.crt # B's key stays: it does not match A's certificate
hup_refused "a key that does not match the certificate" "does not match the certificate"
echo "not a certificate" >"$TLSD/server.crt"
hup_refused "a garbage certificate file" "cannot use certificate $TLSD/server.crt"
head -c 300 "$M/b.crt" >"$TLSD/server.crt"
hup_refused "a truncated certificate file" "cannot use certificate $TLSD/server.crt"
use_pair "$M/c" # a good pair: the whole reload is refused all the same when the CA is bad
rm "$TLSD/ca.crt"
hup_refused "a missing CA file" "cannot read TLS CA $TLSD/ca.crt: No such file or directory"
echo "garbage" >"$TLSD/ca.crt"
hup_refused "a CA file that does not parse" "cannot use CA file $TLSD/ca.crt"
rm "$TLSD/server.key"
put "$CA/ca.crt" ca.crt
hup_refused "a missing key file" "cannot read TLS key $TLSD/server.key"
put "$M/c.key" server.key
hup_ok 0C03 "then a good reload (certificate C)"
t_cond "the refusals were logged as errors" "$(grep '"TLS reload refused' "$LOG" | grep -c '"level":"error"')" = "$refusals"
t_grep "the reload line names the new certificate's notAfter" \
	"notAfter $(date -u -d "$(openssl x509 -noout -enddate -in "$M/c.crt" | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" "$LOG"

# --- a new CA --------------------------------------------------------------------------------------
CA2=$T_DIR/ca2
newca "$CA2" 20 && leaf "$T_DIR/app1-ca2" "$CA2" 2001 2 app1 clientAuth || t_bail "second CA"
mkdir -p "$T_DIR/c2"
cp "$T_DIR/app1-ca2.crt" "$T_DIR/c2/tls.crt"
cp "$T_DIR/app1-ca2.key" "$T_DIR/c2/tls.key"
code_of() { cfetch "$1" /v1/objects/one -o /dev/null -w '%{http_code}'; }
t_cond "before: app1's certificate from the old CA accepted" "$(code_of "$C")" = 200
t_cond "before: app1's certificate from the new CA refused" "$(code_of "$T_DIR/c2")" = 000
put "$CA2/ca.crt" ca.crt
hup_ok 0C03 "the new CA alone"
t_cond "new CA: app1's certificate from it accepted" "$(code_of "$T_DIR/c2")" = 200
t_cond "new CA: app1's certificate from the old CA refused" "$(code_of "$C")" = 000
cat "$CA/ca.crt" "$CA2/ca.crt" >"$T_DIR/both.crt"
put "$T_DIR/both.crt" ca.crt
hup_ok 0C03 "a CA file with both CAs"
t_cond "both CAs: app1's certificate from the old CA accepted" "$(code_of "$C")" = 200
t_cond "both CAs: app1's certificate from the new CA accepted" "$(code_of "$T_DIR/c2")" = 200

# --- /metrics -------------------------------------------------------------------------------------
# enddate FILE: the notAfter of FILE's (first) certificate in Unix seconds
enddate() { date -u -d "$(openssl x509 -noout -enddate -in "$1" | cut -d= -f2)" +%s; }
metric() { serve_metric "wallet_certificate_expiry_seconds{cert=\"$1\"}"; }
# near VALUE EXPECTED: within 10 s (the clock ticks between the two readings)
near() { [ -n "$1" ] && [ "$1" -ge $(($2 - 10)) ] && [ "$1" -le $(($2 + 10)) ]; }
now=$(date +%s)
ms=$(metric server) mc=$(metric ca)
want_s=$(($(enddate "$M/c.crt") - now))
e1=$(enddate "$CA/ca.crt") e2=$(enddate "$CA2/ca.crt")
want_c=$(((e1 < e2 ? e1 : e2) - now))
t_ok "metrics: server certificate expiry $ms s, openssl x509 says $want_s s" near "$ms" "$want_s"
t_ok "metrics: CA expiry $mc s = the earlier of the two CAs, $want_c s" near "$mc" "$want_c"
curl -s "http://127.0.0.1:$SERVE_HPORT/metrics" >"$T_DIR/metrics"
t_grep "metrics: HELP line" "# HELP wallet_certificate_expiry_seconds " "$T_DIR/metrics"
t_grep "metrics: TYPE gauge" "# TYPE wallet_certificate_expiry_seconds gauge" "$T_DIR/metrics"
use_pair "$M/a"
put "$CA/ca.crt" ca.crt
hup_ok 0A01 "back to certificate A and the first CA"
now=$(date +%s)
ms=$(metric server) mc=$(metric ca)
t_ok "metrics after the reload: server $ms s" near "$ms" $(($(enddate "$M/a.crt") - now))
t_ok "metrics after the reload: CA $mc s" near "$mc" $(($(enddate "$CA/ca.crt") - now))
# an expired certificate (openssl ca sets past dates): served, and negative in /metrics
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s\nserial=%s\nnew_certs_dir=%s\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' \
	"$T_DIR/index.txt" "$T_DIR/serial.txt" "$T_DIR" >"$T_DIR/ca.cnf"
: >"$T_DIR/index.txt"
echo E1 >"$T_DIR/serial.txt"
expired() { # OUT CADIR: OUT.crt/.key from CADIR, valid in January 2020
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "/CN=expired $RANDOM" 2>/dev/null &&
		openssl ca -config "$T_DIR/ca.cnf" -batch -notext -keyfile "$2/ca.key" -cert "$2/ca.crt" \
			-in "$1.csr" -out "$1.crt" -startdate 20200101000000Z \
			-enddate 20200201000000Z >/dev/null 2>&1
}
expired "$M/old" "$CA" || t_bail "an expired certificate"
use_pair "$M/old"
hup_ok E1 "an expired certificate"
t_cond "metrics: an expired certificate is negative ($(metric server))" "$(metric server)" -lt -86400

# --- the process contract after reloads ---------------------------------------------------------
t_cond "one process served it all (PID $SERVE_PID)" "$(kill -0 "$SERVE_PID" && echo yes)" = yes
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
t_cond "SIGTERM after reloads: exit 0" "$?" = 0

# --- checkintegrity: what expires within 30 days ------------------------------------------------
D2=$T_DIR/data2
serve_data "$D2" "$KEYS" || t_bail "second data directory"
at_exit "t_gpg_stop $D2/gnupg"
ci() { WALLET_DATA=$D2 wallet checkintegrity "$@" >"$T_DIR/ci.out" 2>&1; }
ci
t_cond "checkintegrity: nothing to warn about: exit 0" "$?" = 0
t_cond "... and no WARN line (keys that never expire, no TLS files)" "$(grep -c '^WARN' "$T_DIR/ci.out")" = 0
# serve's default places, DATA/tls/, with a CA of 400 days and a server certificate of 10
(umask 077 && mkdir "$D2/tls")
newca "$T_DIR/ca400" 400 && leaf "$T_DIR/s10" "$T_DIR/ca400" 1010 10 && leaf "$T_DIR/s400" "$T_DIR/ca400" 1400 400 ||
	t_bail "certificates for checkintegrity"
(umask 077 && cp "$T_DIR/ca400/ca.crt" "$D2/tls/ca.crt" && cp "$T_DIR/s10.crt" "$D2/tls/server.crt")
ci
t_cond "a certificate expiring in 10 days: exit status still 0" "$?" = 0
t_grep "... WARN for DATA/tls/server.crt" "WARN TLS certificate $D2/tls/server.crt" "$T_DIR/ci.out"
t_grep "... saying when" "expires in 10 days" "$T_DIR/ci.out"
t_grep "... OK for the 400-day CA" "OK TLS CA certificate $D2/tls/ca.crt" "$T_DIR/ci.out"
t_cond "... one WARN line" "$(grep -c '^WARN' "$T_DIR/ci.out")" = 1
(umask 077 && cp "$T_DIR/s400.crt" "$D2/tls/server.crt")
ci
t_cond "400-day material: exit 0, no WARN" "$?,$(grep -c '^WARN' "$T_DIR/ci.out")" = "0,0"
# Files elsewhere: the options serve takes (or its config file)
ci --tls-cert "$M/old.crt" --tls-ca "$CA2/ca.crt"
t_cond "--tls-cert/--tls-ca: exit 0" "$?" = 0
t_grep "... WARN: an expired certificate" "WARN TLS certificate $M/old.crt" "$T_DIR/ci.out"
t_grep "... saying it expired" "expired on 2020-02-01" "$T_DIR/ci.out"
t_grep "... WARN: a CA expiring within 30 days" "WARN TLS CA certificate $CA2/ca.crt" "$T_DIR/ci.out"
printf '{"tls_cert": "%s", "listen": "127.0.0.1:1"}\n' "$M/c.crt" >"$T_DIR/serve.json"
ci --config "$T_DIR/serve.json"
t_cond "--config: exit 0" "$?" = 0
t_grep "... the certificate serve's config names" "WARN TLS certificate $M/c.crt" "$T_DIR/ci.out"
t_grep "... and DATA/tls/ca.crt for what it does not name" "OK TLS CA certificate $D2/tls/ca.crt" "$T_DIR/ci.out"
ci --tls-cert "$T_DIR/none.crt"
t_cond "a named certificate file that is missing: ERROR, exit 1" \
	"$?,$(grep -c "^ERROR TLS certificate $T_DIR/none.crt" "$T_DIR/ci.out")" = "1,1"
ci --tls-cert
t_cond "--tls-cert without a value: exit 2" "$?" = 2
# OpenPGP keys: the wallet's signing key, and a client's key (its encryption subkey)
# (umask 077: what gpg writes into DATA/gnupg must pass checkintegrity's mode check)
gpgq() { (umask 077 && gpg --batch --pinentry-mode loopback --passphrase '' "$@" >/dev/null 2>&1); }
fpr=$(WALLET_DATA=$D2 wallet signing-key --fingerprint)
gpgq --homedir "$D2/gnupg" --quick-set-expire "$fpr" 10d
t_gpg_stop "$D2/gnupg"
GH=$(mktemp -d /dev/shm/cwtest-gpg.XXXXXX)
at_exit "t_gpg_stop $GH; rm -rf $GH"
gpgq --homedir "$GH" --import "$KEYS/clients/app2/gpg.sec.asc"
fpr2=$(gpg --homedir "$GH" --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/{print $10; exit}')
gpgq --homedir "$GH" --quick-set-expire "$fpr2" 5d '*'
gpg --homedir "$GH" --armor --export "$fpr2" >"$T_DIR/app2.pub" 2>/dev/null
gpgq --homedir "$D2/gnupg" --import "$T_DIR/app2.pub"
t_gpg_stop "$GH" "$D2/gnupg"
ci
t_cond "OpenPGP keys expiring soon: exit 0" "$?" = 0
t_grep "... WARN for the signing key" "WARN signing key $fpr expires in 10 days" "$T_DIR/ci.out"
t_grep "... WARN for app2's encryption subkey" "WARN client app2 $fpr2: subkey" "$T_DIR/ci.out"
t_nogrep "... none for app1 (no expiry)" "WARN client app1" "$T_DIR/ci.out"
t_cond "... no ERROR line" "$(grep -c '^ERROR' "$T_DIR/ci.out")" = 0
exit 0
