#!/bin/bash
# wallet serve resumes TLS 1.3 sessions from tickets (docs/DESIGN.md, "Sessions"), seen by real
# peers: openssl s_client (-sess_out/-sess_in) and wallet-entry --watch. A resumed session
# is the client the full handshake verified: it is authorized, and revoked, as that client;
# TLS 1.2 never resumes; a reload of the TLS files ends every session made before it; a
# session whose client certificate has expired since is not resumed (the full handshake then
# refuses the certificate), nor one older than --tls-session-lifetime (0: none resumes);
# /metrics counts full and resumed handshakes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

serve_world
cd "$T_DIR" || t_bail "cd"
CA=$KEYS/ca
echo secret-one | wallet store one --to app1 >/dev/null || t_bail "store"
LOG=$T_DIR/serve-resume.log
serve_start resume --tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" \
	--tls-ca "$CA/ca.crt" --audit-log "$T_DIR/audit.log"
t_cond "server started" "$?" = 0

# sget OUT SESSION_ARGS... : one HTTP/1.1 GET of $GETP (default /manifests/app1) through
# openssl s_client with app1's certificate (or $CERT/$KEY), its whole output in OUT; extra
# s_client options follow (-sess_out F, -sess_in F, -tls1_2).
sget() {
	local out=$1
	shift
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "${GETP:-/manifests/app1}" |
		timeout 20 openssl s_client -connect "127.0.0.1:$SERVE_PORT" -CAfile "$CA/ca.crt" \
			-cert "${CERT:-$C/tls.crt}" -key "${KEY:-$C/tls.key}" -ign_eof "$@" >"$out" 2>&1
}
# rget OUT: sget resuming with the session in $S (TLS 1.3), which then holds the new ticket
rget() {
	rm -f "$S.next"
	sget "$1" -tls1_3 -sess_in "$S" -sess_out "$S.next"
	if [ -s "$S.next" ]; then mv -f "$S.next" "$S"; fi
}
# how OUT: "New" or "Reused" (the handshake), "none" when no handshake completed
how() { sed -n 's/^\(New\|Reused\), .*/\1/p' "$1" | head -1 | grep . || echo none; }
# status OUT: the HTTP status code of the answer
status() { sed -n 's#^HTTP/1\.1 \([0-9]*\) .*#\1#p' "$1" | head -1; }
metric() { serve_metric "wallet_tls_handshakes_total{kind=\"$1\"}"; }
metric_at_least() { [ "$(metric "$1")" -ge "$2" ] 2>/dev/null; }

# --- TLS 1.3: a ticket, then a resumption that is the same client --------------------------
S=$T_DIR/s1.pem
sget o1 -tls1_3 -sess_out "$S"
t_cond "a full handshake (TLS 1.3)" "$(how o1)" = New
t_cond "...answered 200" "$(status o1)" = 200
t_ok "...its session was saved" test -s "$S"
t_grep "...the session holds a ticket" "TLS session ticket lifetime hint: 7200" o1
full0=$(metric full)
cp "$S" "$T_DIR/s1.used"
rget o2
t_cond "the saved session resumes" "$(how o2)" = Reused
t_cond "...as app1: /manifests/app1 answered 200" "$(status o2)" = 200
t_ok "/metrics counts the resumed handshake" wait_until 10 metric_at_least resumed 1
t_cond "...and no new full one for it" "$(metric full)" = "$full0"
t_ok "...the server sent a new ticket" sh -c "! cmp -s '$S' '$T_DIR/s1.used'"
sget o3 -tls1_3 -sess_in "$T_DIR/s1.used"
t_cond "a ticket used once does not resume again: a full handshake" "$(how o3):$(status o3)" = New:200
rget o3b
t_cond "the new ticket resumes" "$(how o3b)" = Reused
rget o3c
t_cond "...and its successor" "$(how o3c)" = Reused

# A session of app1 is app1's: what app1 may not read, it may not read resumed either.
GETP=/manifests/app2 rget o4
t_cond "a resumed app1 session asking for app2's manifest: resumed" "$(how o4)" = Reused
t_cond "...and refused" "$(status o4)" = 404

# --- TLS 1.2: no ticket is issued, nothing resumes ----------------------------------------
sget o5 -tls1_2 -sess_out "$T_DIR/s12.pem"
t_cond "TLS 1.2: a full handshake" "$(how o5)" = New
t_cond "...answered 200" "$(status o5)" = 200
t_nogrep "...no session ticket" "TLS session ticket lifetime hint" o5
if [ -s "$T_DIR/s12.pem" ]; then
	sget o6 -tls1_2 -sess_in "$T_DIR/s12.pem"
	t_cond "...its session id does not resume: a full handshake, answered 200" \
		"$(how o6):$(status o6)" = New:200
else
	t_pass "...no session for the client to keep"
fi

# --- revocation holds for resumed sessions ---------------------------------------------
t_ok "revoke app1's certificate" wallet revoke app1 --cert "$C/tls.crt"
rget o7
t_cond "the revoked certificate's session still resumes" "$(how o7)" = Reused
t_cond "...but its request is refused 403" "$(status o7)" = 403
t_ok "unrevoke it" wallet unrevoke app1 --cert "$C/tls.crt"
rget o8
t_cond "...then the resumed session is served again" "$(how o8):$(status o8)" = Reused:200

# --- a reload ends every session made before it ------------------------------------------
nreload() { grep -c '"TLS reloaded"' "$LOG"; }
nreload_is() { [ "$(nreload)" = "$1" ]; }
kill -HUP "$SERVE_PID"
t_ok "SIGHUP: the TLS files reloaded" wait_until 20 nreload_is 1
sget o9 -tls1_3 -sess_in "$S" -sess_out "$T_DIR/s2.pem"
t_cond "a session from before the reload does not resume" "$(how o9)" = New
t_cond "...a full handshake, answered 200" "$(status o9)" = 200
sget o10 -tls1_3 -sess_in "$T_DIR/s2.pem" -sess_out "$T_DIR/s2n.pem"
t_cond "a session made after the reload resumes" "$(how o10)" = Reused
t_ok "...with a new ticket" test -s "$T_DIR/s2n.pem"
kill -HUP "$SERVE_PID"
t_ok "a second reload" wait_until 20 nreload_is 2
sget o11 -tls1_3 -sess_in "$T_DIR/s2n.pem"
t_cond "...ends that session too" "$(how o11)" = New

# --- a client certificate that expires: its session is not resumed after -------------------
# openssl ca sets the exact end: a certificate for app1 that expires a few seconds from now.
openssl_ca_conf "$T_DIR/oca" "basicConstraints = CA:FALSE" "keyUsage = critical, digitalSignature" \
	"extendedKeyUsage = clientAuth" || t_bail "openssl ca configuration"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out short.key 2>/dev/null
openssl req -new -key short.key -subj "/CN=app1" -out short.csr 2>/dev/null
end=$(($(date +%s) + 12))
t_ok "a certificate for app1 that ends in 12 s (room for a loaded machine)" openssl ca -batch -config "$T_DIR/oca.cnf" \
	-cert "$CA/ca.crt" -keyfile "$CA/ca.key" -in short.csr -out short.crt -notext -extensions ext \
	-startdate "$(date -u -d @$(($(date +%s) - 60)) +%Y%m%d%H%M%SZ)" \
	-enddate "$(date -u -d @"$end" +%Y%m%d%H%M%SZ)"
CERT=$T_DIR/short.crt KEY=$T_DIR/short.key sget o12 -tls1_3 -sess_out "$T_DIR/s3.pem"
t_cond "...a full handshake with it while it is valid, answered 200" "$(how o12):$(status o12)" = New:200
sget_resumes() {
	CERT=$T_DIR/short.crt KEY=$T_DIR/short.key sget o13 -tls1_3 -sess_in "$T_DIR/s3.pem" \
		-sess_out "$T_DIR/s3n.pem"
	[ "$(how o13)" = Reused ] && [ -s "$T_DIR/s3n.pem" ] && mv -f "$T_DIR/s3n.pem" "$T_DIR/s3.pem"
}
t_ok "...its session resumes while it is valid" sget_resumes
past_end() { [ "$(date +%s)" -gt "$end" ]; }
t_ok "(the certificate's end has passed)" wait_until 30 past_end
CERT=$T_DIR/short.crt KEY=$T_DIR/short.key sget o14 -tls1_3 -sess_in "$T_DIR/s3.pem"
t_cond "after its end, its session does not resume" "$(how o14)" != Reused
t_cond "...and nothing is served to it" "$(status o14)" = ""
t_grep "...the full handshake refused the expired certificate" "certificate expired" o14

# --- wallet-entry --watch resumes its polls ------------------------------------------------
r0=$(metric resumed)
n0=$(serve_metric wallet_tls_sessions)
SIDE=$(mktemp -d /dev/shm/cwtest-side.XXXXXX)
at_exit "rm -rf $SIDE"
wallet-entry --url "https://127.0.0.1:$SERVE_PORT" --watch 1 \
	--fetch "one=file:$SIDE/one" >"$T_DIR/entry.out" 2>&1 &
EPID=$!
at_exit "kill -9 $EPID"
t_ok "wallet-entry --watch 1: five polls resumed" wait_until 60 metric_at_least resumed $((r0 + 5))
n1=$(serve_metric wallet_tls_sessions)
t_cond "...holding one session in the server, not one per poll" "$n1" -le $((n0 + 1))
kill -TERM "$EPID"
wait "$EPID"
t_cond "...it stops on TERM" "$?" = 0

# --- --tls-session-lifetime: a session resumes for so long after its verification ----------
stop_serve() { kill -TERM "$SERVE_PID" && wait "$SERVE_PID"; }
t_ok "stop the server" stop_serve
serve_start life --tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" \
	--tls-ca "$CA/ca.crt" --tls-session-lifetime 4
t_cond "a server with --tls-session-lifetime 4" "$?" = 0
sget o20 -tls1_3 -sess_out "$T_DIR/s4.pem"
born=$(date +%s)
t_cond "...a full handshake" "$(how o20):$(status o20)" = New:200
t_grep "...the ticket says 4 s" "TLS session ticket lifetime hint: 4" o20
sget o21 -tls1_3 -sess_in "$T_DIR/s4.pem" -sess_out "$T_DIR/s4r.pem"
t_cond "...its session resumes at once" "$(how o21)" = Reused
# Renewed tickets do not extend the session: resume with each new ticket until 4 s have
# passed since the handshake (the last ticket then is fresh), then once more.
cur=$T_DIR/s4r.pem renewals=0
while [ "$(date +%s)" -le $((born + 4)) ]; do
	sget o22 -tls1_3 -sess_in "$cur" -sess_out "$T_DIR/s4n.pem"
	if [ "$(how o22)" = Reused ] && [ -s "$T_DIR/s4n.pem" ]; then
		mv "$T_DIR/s4n.pem" "$T_DIR/s4r.pem"
		renewals=$((renewals + 1))
	fi
done
t_cond "...it resumed with renewed tickets meanwhile" "$renewals" -gt 0
sget o23 -tls1_3 -sess_in "$cur"
t_cond "...then, 5 s after its handshake, even the newest ticket gets a full handshake" \
	"$(how o23):$(status o23)" = New:200
t_ok "stop the server" stop_serve

serve_start off --tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" \
	--tls-ca "$CA/ca.crt" --tls-session-lifetime 0
t_cond "a server with --tls-session-lifetime 0" "$?" = 0
sget o25 -tls1_3 -sess_out "$T_DIR/s0.pem"
t_cond "...a full handshake" "$(how o25):$(status o25)" = New:200
t_nogrep "...and no ticket is sent (none could resume)" "New Session Ticket arrived" o25
if [ -s "$T_DIR/s0.pem" ]; then
	sget o24 -tls1_3 -sess_in "$T_DIR/s0.pem"
	t_cond "...its session never resumes" "$(how o24):$(status o24)" = New:200
else
	t_pass "...its session never resumes (none was given to keep)"
fi
t_exit "--tls-session-lifetime 86401: refused (exit 2)" 2 wallet serve --tls-session-lifetime 86401
t_exit "--tls-session-lifetime -1: refused (exit 2)" 2 wallet serve --tls-session-lifetime -1
