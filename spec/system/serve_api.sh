#!/bin/bash
# wallet serve: the HTTP API with real peers (curl with client certificates, the gpg CLI):
# content and signatures, authorization, methods, names, traversal, audit log, health listener,
# new versions without restart.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

KEYS=$T_DIR/keys
DATA=$T_DIR/data
export WALLET_DATA=$DATA
serve_keys "$KEYS" || { echo "Bail out! key material"; exit 1; }
serve_data "$DATA" "$KEYS" || { echo "Bail out! data directory"; exit 1; }
A1=$KEYS/clients/app1 A2=$KEYS/clients/app2 A3=$KEYS/clients/app3

# Contents: text, all 256 byte values, shared, a group member, one for app3.
printf 'correct horse battery staple' >"$T_DIR/pw.txt"
printf "$(printf '\\%03o' $(seq 0 255))" >"$T_DIR/bin.dat"
wallet store db_pass --to app1 <"$T_DIR/pw.txt" >/dev/null
wallet store bin --to app1 <"$T_DIR/bin.dat" >/dev/null
echo shared-content | wallet store shared --to app1,app2 >/dev/null
echo group-content | wallet store app1/cfg --to app1 >/dev/null
echo app3-content | wallet store for3 --to app3 >/dev/null
t_cond "binary test input holds 256 bytes" "$(stat -c %s "$T_DIR/bin.dat")" = 256

# A canary beside the data directory: no request may ever read it.
echo "CANARY-$RANDOM-outside-data" >"$T_DIR/canary.txt"
AUDIT=$T_DIR/audit.log
TLS=(--tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" --tls-ca "$KEYS/ca/ca.crt")
serve_start main "${TLS[@]}" --audit-log "$AUDIT" --threads 4
t_cond "server answers /healthz" "$?" = 0

WFPR=$(wallet signing-key --fingerprint)
gpg_home app1
# the wallet's key, as served, into app1's keyring (to verify its signatures)
cfetch "$A1" /v1/signing-key -o "$T_DIR/wallet.asc"
gpg --batch --homedir "$GH" --import "$T_DIR/wallet.asc" 2>/dev/null
t_cond "GET /v1/signing-key is the wallet's key" \
	"$(gpg --homedir "$GH" --with-colons --list-keys "$WFPR" 2>/dev/null | awk -F: '/^fpr/{print $10; exit}')" = "$WFPR"

# --- fetch, decrypt, verify --------------------------------------------------------------
code=$(cfetch "$A1" /v1/objects/db_pass -D "$T_DIR/h1" -o "$T_DIR/o1" -w '%{http_code}')
t_cond "app1 fetches db_pass: 200" "$code" = 200
t_grep "X-Wallet-Version: 1" "X-Wallet-Version: 1" "$T_DIR/h1"
t_grep "content type octet-stream" "Content-Type: application/octet-stream" "$T_DIR/h1"
etag=$(sed -n 's/^ETag: "\([0-9a-f]*\)".*/\1/p' "$T_DIR/h1")
t_cond "ETag is the sha256 of the body" "$etag" = "$(sha256sum <"$T_DIR/o1" | cut -d' ' -f1)"
gpg --batch --homedir "$GH" --status-fd 3 --verify-options show-notations -d "$T_DIR/o1" \
	>"$T_DIR/p1" 2>/dev/null 3>"$T_DIR/st1"
t_ok "gpg decrypts to exactly the stored bytes" cmp "$T_DIR/p1" "$T_DIR/pw.txt"
t_grep "signature valid, by the wallet key" "VALIDSIG $WFPR" "$T_DIR/st1"
t_grep "notation name@containerwallet" "NOTATION_NAME name@containerwallet" "$T_DIR/st1"
t_grep "notation name = db_pass" "NOTATION_DATA db_pass" "$T_DIR/st1"
grep -A2 'NOTATION_NAME version@containerwallet' "$T_DIR/st1" >"$T_DIR/st1v"
t_grep "notation version = 1" "NOTATION_DATA 1" "$T_DIR/st1v"
# the detached signature header verifies the body
sed -n 's/^X-Wallet-Signature: \([A-Za-z0-9+/=]*\).*/\1/p' "$T_DIR/h1" | base64 -d >"$T_DIR/o1.sig"
t_ok "X-Wallet-Signature verifies the body" gpg --batch --homedir "$GH" --verify "$T_DIR/o1.sig" "$T_DIR/o1"

code=$(cfetch "$A1" /v1/objects/bin -o "$T_DIR/o2" -w '%{http_code}')
gpg --batch --homedir "$GH" -d "$T_DIR/o2" >"$T_DIR/p2" 2>/dev/null
t_ok "all 256 byte values round-trip" cmp "$T_DIR/p2" "$T_DIR/bin.dat"
code=$(cfetch "$A1" /v1/objects/app1%2Fcfg -o "$T_DIR/o3" -w '%{http_code}')
t_cond "a group name with an escaped / is served" "$code" = 200
code=$(cfetch "$A1" /v1/objects/app1/cfg -o /dev/null -w '%{http_code}')
t_cond "a group name with / is served" "$code" = 200

# --- authorization --------------------------------------------------------------------------
code=$(cfetch "$A2" /v1/objects/db_pass -o "$T_DIR/n1" -w '%{http_code}')
t_cond "app2 gets 404 for app1's object" "$code" = 404
cfetch "$A2" /v1/objects/does-not-exist -o "$T_DIR/n2"
t_ok "not-a-recipient body identical to missing-object body" cmp "$T_DIR/n1" "$T_DIR/n2"
code=$(cfetch "$A2" /v1/objects/shared -o /dev/null -w '%{http_code}')
t_cond "app2 gets a shared object" "$code" = 200
cfetch "$A2" /v1/objects >"$T_DIR/l2"
t_grep "app2's listing shows shared" '"name":"shared"' "$T_DIR/l2"
t_nogrep "app2's listing hides db_pass" '"db_pass"' "$T_DIR/l2"
t_nogrep "app2's listing hides app1/cfg" 'app1/cfg' "$T_DIR/l2"
cfetch "$A1" /v1/objects >"$T_DIR/l1"
t_grep "app1's listing shows db_pass with its version" '{"name":"db_pass","version":1,' "$T_DIR/l1"
t_nogrep "app1's listing hides for3" 'for3' "$T_DIR/l1"
cfetch "$A1" '/v1/objects?prefix=app1/' >"$T_DIR/l3"
t_cond "prefix narrows the listing to the group" "$(grep -o '"name":"[^"]*"' "$T_DIR/l3" | tr '\n' ' ')" = '"name":"app1/cfg" '

code=$(cfetch "$A3" /v1/objects/for3 -o /dev/null -w '%{http_code}')
t_cond "app3 fetches its object before revocation" "$code" = 200
wallet revoke app3 >/dev/null
code=$(cfetch "$A3" /v1/objects/for3 -o /dev/null -w '%{http_code}')
t_cond "revoked client: 403 (no restart needed)" "$code" = 403
code=$(cfetch "$A3" /v1/objects -o /dev/null -w '%{http_code}')
t_cond "revoked client: listing 403" "$code" = 403

# a certificate of the right CA whose CN was never registered
mkdir -p "$T_DIR/app9"
_ssl_leaf "$KEYS/ca" "$T_DIR/app9/tls" app9 clientAuth "" && mv "$T_DIR/app9/tls.crt.tmp" "$T_DIR/app9/tls.crt"
code=$(cfetch "$T_DIR/app9" /v1/objects -o /dev/null -w '%{http_code}')
t_cond "unregistered client: 403" "$code" = 403

# --- methods -------------------------------------------------------------------------------
for m in POST PUT DELETE PATCH; do
	code=$(cfetch "$A1" /v1/objects/db_pass -X "$m" -d x -D "$T_DIR/hm" -o /dev/null -w '%{http_code}')
	t_cond "$m: 405" "$code" = 405
done
t_grep "405 carries Allow: GET" "Allow: GET" "$T_DIR/hm"
code=$(cfetch "$A1" /v1/objects -X POST -o /dev/null -w '%{http_code}')
t_cond "POST /v1/objects: 405" "$code" = 405

# --- names and traversal ---------------------------------------------------------------------
long=$(printf 'a%.0s' $(seq 256))
bad=("/v1/objects/../canary.txt" "/v1/objects/..%2fcanary.txt" "/v1/objects/%2e%2e/canary.txt"
	"/v1/objects/%2e%2e%2f%2e%2e%2fcanary.txt" "/v1/objects/..%2F..%2F..%2Fetc%2Fpasswd"
	"/v1/objects/db_pass%00" "/v1/objects/a%00b" "/v1/objects/$long" "/v1/objects/%2fetc%2fpasswd"
	"/v1/objects//etc/passwd" "/v1/objects/a/./b" "/v1/objects/db_pass/" "/v1/objects/"
	"/v1/objects/%zz" "/v1/objects/%4" "/v1/objects/db%20pass" "/v1/objects/db_pass?version=0"
	"/v1/objects/db_pass?version=01" "/v1/objects/db_pass?version=x" "/v1/objects/db_pass?version="
	"/v1/objects/db_pass?version=1&version=1" "/v1/objects/db_pass?v=1"
	"/v1/objects/db_pass?version=99999999999999999999" "/v1/objects?prefix=../"
	"/v1/objects?prefix=%2e%2e/")
for p in "${bad[@]}"; do
	code=$(cfetch "$A1" "$p" -o "$T_DIR/b" -w '%{http_code}')
	t_cond "400 for $(printf '%.60s' "$p")" "$code" = 400
	cat "$T_DIR/b" >>"$T_DIR/bad-bodies"
done
t_nogrep "no response contains the canary" "CANARY" "$T_DIR/bad-bodies"
t_nogrep "no response contains /etc/passwd" "root:" "$T_DIR/bad-bodies"
code=$(cfetch "$A1" "/v1/objects/$(printf 'a%.0s' $(seq 255))" -o /dev/null -w '%{http_code}')
t_cond "a 255-byte name is valid (404, not 400)" "$code" = 404
code=$(cfetch "$A1" "/v1/other" -o /dev/null -w '%{http_code}')
t_cond "unknown path: 404" "$code" = 404

# --- new versions without restart, older versions on request ---------------------------------
printf 'new password' | wallet store db_pass --to app1 >/dev/null
cfetch "$A1" /v1/objects/db_pass -D "$T_DIR/h4" -o "$T_DIR/o4"
t_grep "new version served without restart" "X-Wallet-Version: 2" "$T_DIR/h4"
t_cond "new version decrypts to the new content" \
	"$(gpg --batch --homedir "$GH" -d "$T_DIR/o4" 2>/dev/null)" = "new password"
cfetch "$A1" '/v1/objects/db_pass?version=1' -D "$T_DIR/h5" -o "$T_DIR/o5"
t_grep "?version=1 serves version 1" "X-Wallet-Version: 1" "$T_DIR/h5"
t_ok "?version=1 is the old content" cmp <(gpg --batch --homedir "$GH" -d "$T_DIR/o5" 2>/dev/null) "$T_DIR/pw.txt"
code=$(cfetch "$A1" '/v1/objects/db_pass?version=7' -o /dev/null -w '%{http_code}')
t_cond "a version that does not exist: 404" "$code" = 404

# --- health listener ---------------------------------------------------------------------------
H="http://127.0.0.1:$SERVE_HPORT"
t_cond "/healthz on the health listener" "$(curl -s "$H/healthz")" = ok
curl -s "$H/metrics" >"$T_DIR/metrics"
t_grep "metrics: requests by status" 'wallet_requests_total{listener="tls",code="404"}' "$T_DIR/metrics"
t_grep "metrics: handshake failures" 'wallet_tls_handshake_failures_total' "$T_DIR/metrics"
t_grep "metrics: objects" 'wallet_objects 5' "$T_DIR/metrics"
t_grep "metrics: latency histogram" 'wallet_request_duration_seconds_bucket{le="+Inf"}' "$T_DIR/metrics"
for p in /v1/objects/db_pass /v1/objects /v1/signing-key; do
	code=$(curl -s -o "$T_DIR/hb" -w '%{http_code}' "$H$p")
	t_cond "health listener does not serve $p" "$code" = 404
done
code=$(curl -s -o /dev/null -w '%{http_code}' "https://127.0.0.1:$SERVE_HPORT/healthz" -k)
t_cond "health listener speaks no TLS" "$code" = 000
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT/healthz")
t_cond "TLS port serves no plain HTTP" "$code" != 200
code=$(cfetch "$A1" /metrics -o /dev/null -w '%{http_code}')
t_cond "/metrics on the TLS port" "$code" = 200
t_exit "a second server on a port already taken: exit 1" 1 \
	wallet serve --listen "127.0.0.1:$SERVE_PORT" --health-listen "127.0.0.1:$(pick_port)" "${TLS[@]}"
t_cond "... with one line" "$(wc -l <"$T_DIR/last.out")" = 1
t_grep "... that says why" "Address already in use" "$T_DIR/last.out"
t_ok "... and the first server still answers" cfetch "$A1" /healthz -f -o /dev/null

# --- audit log ---------------------------------------------------------------------------------
t_cond "audit log is 0600" "$(stat -c %a "$AUDIT")" = 600
t_cond "audit log has one line per API request" "$(wc -l <"$AUDIT")" = "$(wc -l <"$T_DIR/cfetch.count")"
if command -v jq >/dev/null; then
	t_ok "every audit line is a JSON object" jq -e 'type == "object"' "$AUDIT"
	jq -c 'select(.status == 200 and .object == "db_pass") | [.client, .method, .version, (.cert_sha256|length), (.bytes > 0), (.duration_ms >= 0)]' "$AUDIT" | head -1 >"$T_DIR/a1"
	t_cond "audit line fields" "$(cat "$T_DIR/a1")" = '["app1","GET",1,64,true,true]'
	t_cond "revoked request audited as 403" \
		"$(jq -r 'select(.client == "app3" and .status == 403) | .reason' "$AUDIT" | head -1)" = revoked
else
	t_cond "every audit line is one JSON object (no jq: shape only)" \
		"$(grep -cv '^{"time":".*}$' "$AUDIT")" = 0
fi
want_fpr=$(openssl x509 -in "$A1/tls.crt" -outform DER | sha256sum | cut -d' ' -f1)
t_grep "audit has app1's certificate fingerprint" "\"cert_sha256\":\"$want_fpr\"" "$AUDIT"
t_nogrep "audit log holds no secret" "correct horse" "$AUDIT"
t_nogrep "audit log holds no new secret" "new password" "$AUDIT"
t_nogrep "audit log holds no sealed bytes" "$(head -c 12 "$T_DIR/o1" | base64)" "$AUDIT"

# --- nothing outside DATA is opened while serving bad requests (strace, when present) ------------
if command -v strace >/dev/null; then
	kill "$SERVE_PID"
	wait "$SERVE_PID" 2>/dev/null
	ST=$T_DIR/strace.out
	SERVE_PORT=$(pick_port) SERVE_HPORT=$(pick_port)
	strace -f -qq -y -e trace=open,openat,openat2 -o "$ST" \
		wallet serve --listen "127.0.0.1:$SERVE_PORT" --health-listen "127.0.0.1:$SERVE_HPORT" \
		"${TLS[@]}" --audit-log "$T_DIR/audit2.log" 2>/dev/null &
	SPID=$!
	at_exit "pkill -9 -P $SPID; kill -9 $SPID"
	wait_until 30 curl -sf "http://127.0.0.1:$SERVE_HPORT/healthz"
	mark=$(wc -l <"$ST")
	for p in "${bad[@]}"; do cfetch "$A1" "$p" -o /dev/null; done
	cfetch "$A1" /v1/objects/db_pass -o /dev/null # a good one: its opens are inside DATA
	tail -n +"$((mark + 1))" "$ST" | grep -E 'open(at2?)?\(' >"$T_DIR/opens"
	# With -y strace shows the file behind each descriptor: the opened file for a success,
	# the directory descriptor (or the absolute name) for a failure.
	: >"$T_DIR/outside"
	while IFS= read -r l; do
		if [[ "$l" =~ \)\ =\ [0-9]+\<([^>]*)\> ]]; then
			f=${BASH_REMATCH[1]}
		elif [[ "$l" =~ open(at2?)?\([0-9]+\<([^>]*)\>,\ \"([^\"]*)\" ]]; then
			f="${BASH_REMATCH[2]}/${BASH_REMATCH[3]}"
		elif [[ "$l" =~ \"(/[^\"]*)\" ]]; then
			f=${BASH_REMATCH[1]}
		else
			f="?$l"
		fi
		[[ "$f" == "$DATA"/* && "$f" != *..* ]] || echo "$f" >>"$T_DIR/outside"
	done <"$T_DIR/opens"
	t_cond "strace saw the good request's opens inside DATA" \
		"$(grep -c "$DATA/objects/db_pass" "$T_DIR/opens")" -ge 1
	t_cond "no open outside DATA while serving (strace)" "$(wc -l <"$T_DIR/outside")" = 0
	[ -s "$T_DIR/outside" ] && sed 's/^/# outside: /' "$T_DIR/outside" | head
	# `strace -o FILE PROG` blocks fatal signals: stop wallet serve itself, then strace ends
	# with it. Waiting for both means nothing outlives the test.
	pkill -TERM -P "$SPID"
	wait "$SPID" 2>/dev/null
fi
exit 0
