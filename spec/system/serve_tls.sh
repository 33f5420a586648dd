#!/bin/bash
# wallet serve: the TLS contract with real peers (openssl s_client, curl) and the process
# contract (flags, config file, exit codes, signals).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

KEYS=$T_DIR/keys
DATA=$T_DIR/data
export WALLET_DATA=$DATA
serve_keys "$KEYS" || { echo "Bail out! key material"; exit 1; }
serve_data "$DATA" "$KEYS" || { echo "Bail out! data directory"; exit 1; }
A1=$KEYS/clients/app1
echo secret-one | wallet store one --to app1 >/dev/null
TLS=(--tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" --tls-ca "$KEYS/ca/ca.crt")
serve_start tls "${TLS[@]}" --audit-log "$T_DIR/audit.log"
t_cond "server started" "$?" = 0

# sclient OUT ARGS...: one GET /healthz through openssl s_client; output in OUT
sclient() {
	local out=$1
	shift
	printf 'GET /healthz HTTP/1.0\r\n\r\n' |
		timeout 20 openssl s_client -connect "127.0.0.1:$SERVE_PORT" -CAfile "$KEYS/ca/ca.crt" \
			-ign_eof "$@" >"$out" 2>&1
}
# The same without sending a request. TLS 1.3 checks the client certificate after the client
# considers the handshake done: a request sent then may reach a socket the server has closed,
# and the reset that answers it can discard the alert before s_client reads it. With nothing
# sent, the alert is always read.
sclient_quiet() {
	local out=$1
	shift
	timeout 20 openssl s_client -connect "127.0.0.1:$SERVE_PORT" -CAfile "$KEYS/ca/ca.crt" \
		-ign_eof "$@" </dev/null >"$out" 2>&1
}
CERT=(-cert "$A1/tls.crt" -key "$A1/tls.key")
hs0=$(serve_metric wallet_tls_handshake_failures_total)

for v in 1_2 1_3; do
	sclient "$T_DIR/ok$v" "-tls$v" "${CERT[@]}"
	t_grep "TLS ${v/_/.} with a client certificate: answered" "HTTP/1.0 200 OK" "$T_DIR/ok$v"
	t_grep "TLS ${v/_/.} negotiated" "Protocol  : TLSv${v/_/.}" "$T_DIR/ok$v"
done
t_grep "TLS 1.2 cipher is ECDHE with AEAD" "Cipher    : ECDHE-" "$T_DIR/ok1_2"
# RFC 7627: civetweb 1.15 turns it off by accident under OpenSSL 3 (tlsctx.c); the server
# turns it on again.
t_grep "TLS 1.2 binds the session to its handshake (extended master secret)" \
	"Extended master secret: yes" "$T_DIR/ok1_2"
# The client allows everything (security level 0): the refusal must come from the server.
for v in 1 1_1; do
	sclient "$T_DIR/old$v" "-tls$v" -cipher 'DEFAULT:@SECLEVEL=0' "${CERT[@]}"
	t_grep "TLS ${v/_/.} refused by the server (alert protocol version)" "alert protocol version" "$T_DIR/old$v"
	t_nogrep "TLS ${v/_/.}: no HTTP answer" "HTTP/1" "$T_DIR/old$v"
done
for c in AES128-GCM-SHA256 AES256-SHA256 ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384; do
	sclient "$T_DIR/c-$c" -tls1_2 -cipher "$c:@SECLEVEL=0" "${CERT[@]}"
	t_grep "TLS 1.2 cipher $c refused (no ECDHE or no AEAD)" "alert handshake failure" "$T_DIR/c-$c"
done
for v in 1_2 1_3; do
	sclient "$T_DIR/nocert$v" "-tls$v"
	t_nogrep "TLS ${v/_/.} without a client certificate: no HTTP answer" "HTTP/1" "$T_DIR/nocert$v"
	sclient_quiet "$T_DIR/nocertq$v" "-tls$v"
	t_grep "TLS ${v/_/.} without a client certificate: alert" "alert" "$T_DIR/nocertq$v"
	sclient "$T_DIR/rogue$v" "-tls$v" -cert "$KEYS/rogue/tls.crt" -key "$KEYS/rogue/tls.key"
	t_nogrep "TLS ${v/_/.} with a foreign CA's certificate: no HTTP answer" "HTTP/1" "$T_DIR/rogue$v"
	sclient_quiet "$T_DIR/rogueq$v" "-tls$v" -cert "$KEYS/rogue/tls.crt" -key "$KEYS/rogue/tls.key"
	t_grep "TLS ${v/_/.} with a foreign CA's certificate: alert" "alert" "$T_DIR/rogueq$v"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$KEYS/ca/ca.crt" "https://127.0.0.1:$SERVE_PORT/v1/objects/one")
t_cond "curl without a certificate: refused" "$code" = 000
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$KEYS/ca/ca.crt" --cert "$KEYS/rogue/tls.crt" \
	--key "$KEYS/rogue/tls.key" "https://127.0.0.1:$SERVE_PORT/v1/objects/one")
t_cond "curl with a foreign CA's certificate (same CN): refused" "$code" = 000
# a server certificate is not a client certificate (no clientAuth usage)
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$KEYS/ca/ca.crt" --cert "$KEYS/wallet/server.crt" \
	--key "$KEYS/wallet/server.key" "https://127.0.0.1:$SERVE_PORT/healthz")
t_cond "a certificate without clientAuth: refused" "$code" = 000
hs1=$(serve_metric wallet_tls_handshake_failures_total)
t_cond "handshake failures counted in /metrics" "$hs1" -ge $((hs0 + 13))
t_nogrep "refused handshakes are not audited as requests" '"client":"app1","cert_sha256":"'"$(openssl x509 -in "$KEYS/rogue/tls.crt" -outform DER | sha256sum | cut -d' ' -f1)" "$T_DIR/audit.log"
code=$(cfetch "$A1" /v1/objects/one -o /dev/null -w '%{http_code}')
t_cond "still serving after all refusals" "$code" = 200
t_cond "server process alive" "$(kill -0 "$SERVE_PID" && echo yes)" = yes

# keep-alive: two requests, one connection
cfetch "$A1" /healthz -o /dev/null --next --cacert "$KEYS/ca/ca.crt" --cert "$A1/tls.crt" \
	--key "$A1/tls.key" "https://127.0.0.1:$SERVE_PORT/healthz" -o /dev/null -v 2>"$T_DIR/ka"
t_grep "keep-alive: the connection is reused" "Re-using existing connection" "$T_DIR/ka"

# oversized headers are refused, the server keeps going
big=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(cfetch "$A1" /healthz -H "X-Big: $big" -o /dev/null -w '%{http_code}')
t_cond "headers over the limit: refused ($code)" "$code" != 200
code=$(cfetch "$A1" /healthz -o /dev/null -w '%{http_code}')
t_cond "still serving after oversized headers" "$code" = 200

# --- requests civetweb refuses itself ----------------------------------------------------------------
# A fixed answer that never quotes the request (civetweb's own error page put the request's
# bytes, CR LF included, into the response: response splitting), and an audit line each.
# rawtls OUT BYTES: BYTES (a printf format) over TLS with app1's certificate, the answer in OUT
rawtls() {
	printf "$2" | timeout 20 openssl s_client -quiet -connect "127.0.0.1:$SERVE_PORT" \
		-CAfile "$KEYS/ca/ca.crt" "${CERT[@]}" >"$1" 2>/dev/null
}
# rawplain OUT BYTES: the same in plain HTTP to the health listener (bash's /dev/tcp)
rawplain() {
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$SERVE_HPORT" || return 1
	printf "$2" >&"$fd"
	timeout 20 cat <&"$fd" >"$1"
	exec {fd}>&-
}
status_line() { head -n 1 "$1" | tr -d '\r'; }
refused=('G ET /x HTTP/1.1\r\nX-Injected: yes\r\n\r\n'
	'GET /x\r\nSet-Cookie: a=b HTTP/1.1\r\nX-Injected: yes\r\n\r\n'
	'GET https://h/x HTTP/1.1\r\nHost: h\r\nX-Injected: yes\r\n\r\n'
	'OPTIONS * HTTP/1.1\r\nHost: h\r\nX-Injected: yes\r\n\r\n')
a0=$(wc -l <"$T_DIR/audit.log")
i=0
for r in "${refused[@]}"; do
	i=$((i + 1))
	d=$(printf '%.24s' "$r")
	rawtls "$T_DIR/rt$i" "$r"
	t_cond "TLS, refused request $i ($d): 400" "$(status_line "$T_DIR/rt$i")" = "HTTP/1.1 400 Bad Request"
	t_nogrep "TLS, refused request $i: no injected header" "X-Injected" "$T_DIR/rt$i"
	t_nogrep "TLS, refused request $i: no injected cookie" "Set-Cookie" "$T_DIR/rt$i"
	t_grep "TLS, refused request $i: the connection is closed" "Connection: close" "$T_DIR/rt$i"
	rawplain "$T_DIR/rp$i" "$r"
	t_cond "health port, refused request $i: 400" "$(status_line "$T_DIR/rp$i")" = "HTTP/1.1 400 Bad Request"
	t_nogrep "health port, refused request $i: no injected header" "X-Injected" "$T_DIR/rp$i"
	t_nogrep "health port, refused request $i: no injected cookie" "Set-Cookie" "$T_DIR/rp$i"
done
rawtls "$T_DIR/rt-ver" 'GET /healthz HTTP/3<script>\r\n\r\n'
t_cond "an unknown HTTP version: 505" "$(status_line "$T_DIR/rt-ver")" = "HTTP/1.1 505 HTTP Version Not Supported"
t_nogrep "... whose body does not quote it" "<script>" "$T_DIR/rt-ver"
rawtls "$T_DIR/rt-ka" 'GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n'
t_cond "kept alive: a request, then '*' refused on the same connection" \
	"$(tr -d '\r' <"$T_DIR/rt-ka" | grep '^HTTP/' | tr '\n' ,)" = "HTTP/1.1 200 OK,HTTP/1.1 400 Bad Request,"
tail -n +"$((a0 + 1))" "$T_DIR/audit.log" >"$T_DIR/audit-refused"
t_cond "refused requests: one audit line each (4 + 505 + 200 + 400)" "$(wc -l <"$T_DIR/audit-refused")" = 7
t_cond "... no raw control byte in the audit log" "$(tr -d '\n' <"$T_DIR/audit.log" | tr -d '[:print:]' | wc -c)" = 0
if command -v jq >/dev/null; then
	t_ok "... jq parses every audit line" jq -e 'type == "object"' "$T_DIR/audit.log"
	t_cond "... status 400 for each refused request" \
		"$(jq -c 'select(.status == 400) | .client' "$T_DIR/audit-refused" | tr '\n' ' ')" = '"app1" "app1" "app1" "app1" "app1" '
	t_cond "... the injected path escaped" \
		"$(jq -r 'select(.method == "GET" and .status == 400) | .path' "$T_DIR/audit-refused" | head -n 1)" \
		= "/x%0D%0ASet-Cookie:%20a=b%20HTTP/1.1%0D%0AX-Injected:%20yes%0D%0A%0D"
	t_cond "... with a reason" "$(jq -r .reason "$T_DIR/audit-refused" | sort -u | tr '\n' ,)" \
		= "HTTP version,malformed request,null,request target not origin-form,"
else
	t_cond "... status 400 for each refused request (no jq: grep)" \
		"$(grep -c '"status":400,' "$T_DIR/audit-refused")" = 5
fi
curl -s "http://127.0.0.1:$SERVE_HPORT/metrics" >"$T_DIR/m-refused"
t_grep "health port: refused requests counted in /metrics" 'wallet_requests_total{listener="health",code="400"} 4' "$T_DIR/m-refused"
code=$(cfetch "$A1" /v1/objects/one -o /dev/null -w '%{http_code}')
t_cond "still serving after refused requests" "$code" = 200

# --- signals ------------------------------------------------------------------------------------
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
t_cond "SIGTERM: exit 0" "$?" = 0
serve_start int "${TLS[@]}"
kill -INT "$SERVE_PID"
wait "$SERVE_PID"
t_cond "SIGINT: exit 0" "$?" = 0

# --- flags, config file, exit codes ----------------------------------------------------------------
t_exit "--help: exit 0" 0 wallet serve --help
t_grep "--help shows the usage" "usage: wallet serve" "$T_DIR/last.out"
wallet help serve >"$T_DIR/help2" 2>&1
wallet serve --help >"$T_DIR/help1" 2>&1
t_ok "wallet help serve = wallet serve --help" cmp "$T_DIR/help1" "$T_DIR/help2"
one_line_exit() { # DESC CODE ARGS...
	local d=$1 want=$2
	shift 2
	wallet serve "$@" >"$T_DIR/ol.out" 2>"$T_DIR/ol.err"
	local rc=$?
	if [ "$rc" -eq "$want" ] && [ "$(wc -l <"$T_DIR/ol.err")" -eq 1 ] && [ ! -s "$T_DIR/ol.out" ]; then
		t_pass "$d"
	else
		t_fail "$d" "exit $rc (want $want), stderr: $(cat "$T_DIR/ol.err")"
	fi
}
one_line_exit "unknown flag: exit 2, one line" 2 --bogus
one_line_exit "missing flag argument: exit 2, one line" 2 --listen
one_line_exit "stray argument: exit 2, one line" 2 extra
one_line_exit "bad thread count: exit 2, one line" 2 --threads 0
one_line_exit "non-numeric thread count: exit 2, one line" 2 --threads 4x
one_line_exit "bad listen address: exit 2, one line" 2 "${TLS[@]}" --listen 127.0.0.1
one_line_exit "missing TLS certificate: exit 1, one line" 1 --tls-cert "$T_DIR/nope.crt" \
	--tls-key "$KEYS/wallet/server.key" --tls-ca "$KEYS/ca/ca.crt" --listen 127.0.0.1:0
t_grep "missing TLS file is named" "$T_DIR/nope.crt" "$T_DIR/ol.err"
one_line_exit "default TLS files under DATA/tls missing: exit 1, one line" 1 --listen 127.0.0.1:0
t_grep "default TLS path is DATA/tls/server.crt" "$DATA/tls/server.crt" "$T_DIR/ol.err"
one_line_exit "key not matching the certificate: exit 1, one line" 1 --tls-cert "$KEYS/wallet/server.crt" \
	--tls-key "$A1/tls.key" --tls-ca "$KEYS/ca/ca.crt" --listen 127.0.0.1:0
one_line_exit "missing data directory: exit 1, one line" 1 "${TLS[@]}" --data "$T_DIR/nodata" --listen 127.0.0.1:0
one_line_exit "missing config file: exit 1, one line" 1 --config "$T_DIR/none.json"
echo '{"listen": 5}' >"$T_DIR/bad1.json"
one_line_exit "config with a wrong type: exit 2, one line" 2 --config "$T_DIR/bad1.json"
echo '{"lisen": "127.0.0.1:1"}' >"$T_DIR/bad2.json"
one_line_exit "config with an unknown key: exit 2, one line" 2 --config "$T_DIR/bad2.json"
echo '{"listen": ' >"$T_DIR/bad3.json"
one_line_exit "config that is not JSON: exit 2, one line" 2 --config "$T_DIR/bad3.json"
echo '{"threads": 4} x' >"$T_DIR/bad4.json"
one_line_exit "config with trailing data: exit 2, one line" 2 --config "$T_DIR/bad4.json"
t_grep "... that says so" "trailing data after the JSON object" "$T_DIR/ol.err"
printf '{"audit_log": "%s\\u0000.log"}\n' "$T_DIR/cut" >"$T_DIR/bad5.json"
one_line_exit "config with a \\u0000 in a string: exit 2, one line" 2 --config "$T_DIR/bad5.json"
t_grep "... naming the key" "'audit_log' holds a NUL character" "$T_DIR/ol.err"
t_cond "... and no truncated audit log opened" "$([ -e "$T_DIR/cut" ] && echo opened)" = ""

# A config file sets everything; a flag overrides it.
P1=$(pick_port) P2=$(pick_port) HP=$(pick_port)
cat >"$T_DIR/serve.json" <<EOF
{"listen": "127.0.0.1:$P1", "tls_cert": "$KEYS/wallet/server.crt", "tls_key": "$KEYS/wallet/server.key",
 "tls_ca": "$KEYS/ca/ca.crt", "health_listen": "$HP", "audit_log": "$T_DIR/cfg-audit.log",
 "data": "$DATA", "threads": 2, "request_timeout_ms": 5000, "keep_alive_timeout_ms": 2000,
 "max_header_bytes": 4096, "verify_depth": 3}
EOF
WALLET_DATA=/nonexistent wallet serve --config "$T_DIR/serve.json" 2>"$T_DIR/cfg.err" &
CPID=$!
at_exit "kill -9 $CPID"
t_ok "config file: health listener on 127.0.0.1:PORT" wait_until 20 curl -sf "http://127.0.0.1:$HP/healthz"
SERVE_PORT=$P1
code=$(cfetch "$A1" /v1/objects/one -o /dev/null -w '%{http_code}')
t_cond "config file: TLS listener, TLS files and data directory" "$code" = 200
t_grep "config file: audit log" '"object":"one"' "$T_DIR/cfg-audit.log"
kill -TERM "$CPID"
wait "$CPID"
t_cond "config server: SIGTERM exit 0" "$?" = 0
WALLET_DATA=/nonexistent wallet serve --config "$T_DIR/serve.json" --listen "127.0.0.1:$P2" 2>/dev/null &
CPID=$!
at_exit "kill -9 $CPID"
SERVE_PORT=$P2
t_ok "a flag overrides the config file" wait_until 20 cfetch "$A1" /healthz -f
kill -TERM "$CPID"
wait "$CPID"
exit 0
