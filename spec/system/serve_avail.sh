#!/bin/bash
# wallet serve stays up and keeps serving (docs/DESIGN.md, property 9, availability) under a
# handshake flood and under slow clients (slowloris), with real peers: bash /dev/tcp, openssl
# s_client, curl. Malformed requests are covered by serve_api.sh and serve_tls.sh.
#
# The documented limit (README, "Security notes"): each connection holds a worker thread until
# the request or keep-alive timeout, so while --threads slow clients are connected the others
# wait. The slow-client tests therefore assert that the server drops them within those
# timeouts and serves again afterwards (a client that arrived meanwhile included), not that a
# client is served while every worker is held.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

KEYS=$T_DIR/keys
DATA=$T_DIR/data
export WALLET_DATA=$DATA
serve_keys "$KEYS" || t_bail "key material"
serve_data "$DATA" "$KEYS" || t_bail "data directory"
A1=$KEYS/clients/app1
printf 'avail-%s%s\n' "$RANDOM" "$RANDOM" >"$T_DIR/db_pass"
wallet store db_pass --to app1 <"$T_DIR/db_pass" >/dev/null || t_bail "store"
TLS=(--tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" --tls-ca "$KEYS/ca/ca.crt")

# get_db MAXTIME: the HTTP status of one GET /v1/objects/db_pass by app1 (000: no answer);
# the body goes to $T_DIR/db.body.
get_db() {
	cfetch "$A1" /v1/objects/db_pass --max-time "$1" -o "$T_DIR/db.body" -w '%{http_code}'
}
served() { [ "$(get_db 10)" = 200 ] && [ -s "$T_DIR/db.body" ]; }
hs_failures() { serve_metric wallet_tls_handshake_failures_total; }
nfds() { ls "/proc/$SERVE_PID/fd" | wc -l; }
fds_at_most() { [ "$(nfds)" -le "$1" ]; }
count_lines() { if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi; }
lines_at_least() { [ "$(count_lines "$1")" -ge "$2" ]; }
# established TCP connections whose local port is the TLS listener (server side)
estab() { ss -Htn state established "( sport = :$SERVE_PORT )" | wc -l; }
none_alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }

# ================================================================================================
# 1. Handshake flood, default threads and timeouts (16 workers, request timeout 10 s).
flood_t0=$(date +%s)
serve_start flood "${TLS[@]}" --audit-log "$T_DIR/audit-flood.log"
t_cond "flood server started" "$?" = 0
PID0=$SERVE_PID
t_ok "before the flood: app1 gets db_pass" served
hs0=$(hs_failures)
fd0=$(nfds)
echo "# before the flood: $hs0 handshake failures, $fd0 open descriptors"

HALF_ROUNDS=6 HALF_CONNS=200 # abandoned handshakes: 200 connections at once, 6 times
NOCERT_LOOPS=3 NOCERT_EACH=100 # full TLS handshakes without a client certificate
STOP=$T_DIR/flood.stop
# Abandoned handshakes: HALF_CONNS connections open at once, each sending the first bytes of
# a ClientHello (even ones) or nothing (odd ones). They stay open until one of app1's fetches
# (curl, below) has connected too, and are then all closed. A line per round: the number of
# connections, and whether app1's fetch connected while they were open. (While they are open
# they hold every worker: the other clients, app1 included, wait until they are closed.) The
# rounds are spread over the other flood (a round per 40 refused handshakes, the first once
# app1 fetches), HALF_ROUNDS in all: the client side keeps each closed connection in TIME_WAIT,
# and the machine's ephemeral ports are shared.
curl_connected() { ss -Htnp state established "( dport = :$SERVE_PORT )" | grep -q '"curl"'; }
(
	trap '' PIPE
	hello='\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03'
	# not before app1's fetches have begun (below): every round must see one of them
	wait_until 120 test -e "$T_DIR/fetching" || exit 0
	for r in $(seq "$HALF_ROUNDS"); do
		wait_until 60 lines_at_least "$T_DIR/nocert.results" $((r * 40)) || break
		[ -e "$STOP" ] && break
		fds=()
		for i in $(seq "$HALF_CONNS"); do
			exec {fd}<>"/dev/tcp/127.0.0.1/$SERVE_PORT" || continue
			fds+=("$fd")
			[ $((i % 2)) = 0 ] && printf "$hello" >&"$fd"
		done 2>/dev/null
		if wait_until 60 curl_connected; then with=with-app1; else with=alone; fi
		for fd in "${fds[@]}"; do exec {fd}>&-; done
		echo "${#fds[@]} $with" >>"$T_DIR/half.rounds"
	done
) &
HALF_PID=$!
at_exit "kill $HALF_PID"
# Full TLS 1.2 handshakes without a client certificate: the server must refuse each with an
# alert. One line per attempt: "refused" (alert read, no session) or what happened otherwise.
NOCERT_PIDS=()
for l in $(seq "$NOCERT_LOOPS"); do
	(
		for i in $(seq 200); do
			[ -e "$STOP" ] && break
			timeout 30 openssl s_client -connect "127.0.0.1:$SERVE_PORT" -tls1_2 \
				-CAfile "$KEYS/ca/ca.crt" </dev/null >"$T_DIR/nocert.$l" 2>&1
			if grep -q 'alert handshake failure' "$T_DIR/nocert.$l" &&
				! grep -q '^HTTP/' "$T_DIR/nocert.$l"; then
				echo refused
			else
				echo "other: $(tr '\n' ' ' <"$T_DIR/nocert.$l" | head -c 300)"
			fi >>"$T_DIR/nocert.results"
		done
	) &
	NOCERT_PIDS+=($!)
	at_exit "kill $!"
done
flood_enough() {
	[ "$(count_lines "$T_DIR/half.rounds")" -ge "$HALF_ROUNDS" ] &&
		[ "$(count_lines "$T_DIR/nocert.results")" -ge $((NOCERT_LOOPS * NOCERT_EACH)) ]
}
# The flood has reached the server: refused handshakes are counted.
flood_counted() { [ "$(hs_failures)" -ge $((hs0 + 20)) ]; }
t_ok "the flood reaches the server (handshake failures counted)" wait_until 60 flood_counted

# While the flood runs: app1 fetches db_pass again and again, each within 10 s (the request
# timeout), until the flood has made its share; at most 90 s.
deadline=$(($(date +%s) + 90))
legit=0 bad=0
touch "$T_DIR/fetching"
while ! flood_enough && [ "$(date +%s)" -lt "$deadline" ]; do
	code=$(get_db 10)
	legit=$((legit + 1))
	if [ "$code" != 200 ] || [ ! -s "$T_DIR/db.body" ]; then
		bad=$((bad + 1))
		echo "# fetch $legit during the flood: HTTP $code"
	fi
done
running=no
none_alive "$HALF_PID" "${NOCERT_PIDS[@]}" || running=yes
touch "$STOP"
wait "$HALF_PID" "${NOCERT_PIDS[@]}"
half=$(awk '{n += $1} END {print n + 0}' "$T_DIR/half.rounds")
nocert=$(count_lines "$T_DIR/nocert.results")
echo "# flood: $half abandoned handshakes ($(count_lines "$T_DIR/half.rounds") rounds of up to $HALF_CONNS at once), $nocert refused-certificate handshakes, $legit fetches by app1"
cat "$T_DIR/half.rounds" | sed "s/^/# round: /"
t_cond "the flood made its share within 90 s" "$(flood_enough && echo yes)" = yes
t_cond "every round of $HALF_CONNS abandoned handshakes was open at once, with app1 connecting among them" \
	"$(grep -cvx "$HALF_CONNS with-app1" "$T_DIR/half.rounds")" = 0
t_cond "the flood was still running after app1's fetches" "$running" = yes
t_cond "app1 fetched during the flood ($legit times)" "$legit" -ge 3
t_cond "every fetch during the flood: 200 within 10 s ($bad failed)" "$bad" = 0
t_cond "every handshake without a client certificate was refused with an alert" \
	"$(grep -cv '^refused$' "$T_DIR/nocert.results")" = 0
hs1=$(hs_failures)
echo "# handshake failures: $hs0 before, $hs1 after"
t_cond "/metrics counted every refused handshake ($hs0 -> $hs1, $nocert refused)" \
	"${hs1:-0}" -ge $((hs0 + nocert))
t_cond "after the flood: same server process, alive" "$(kill -0 "$PID0" 2>/dev/null && echo yes)" = yes
t_ok "after the flood: app1 gets db_pass" served
t_ok "after the flood: /healthz on the TLS port" cfetch "$A1" /healthz -f --max-time 10
# every flood connection is closed again: no descriptor leak
t_ok "after the flood: the server's open descriptors are back to $fd0 (no leak)" \
	wait_until 30 fds_at_most "$fd0"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
t_cond "flood server: SIGTERM, exit 0" "$?" = 0
# civetweb says something about most failed connections; the server logs at most 20 of those
# lines at once, then one a second, and says how many it did not (https.c, log_admit).
secs=$(($(date +%s) - flood_t0 + 1))
civ=$(grep -c '"event":"civetweb"' "$T_DIR/serve-flood.log")
echo "# flood server: $civ civetweb lines in $secs s, $((hs1 - hs0)) failed handshakes"
t_cond "the flood's failures outnumber what the log may hold (else the next check proves nothing)" \
	"$((hs1 - hs0 > 2 * (20 + secs) + 1))" = 1
t_cond "the log holds at most 20 civetweb lines at once, then one a second, and the counts ($civ)" \
	"$((civ <= 2 * (20 + secs) + 1))" = 1
t_grep "... and says how many it did not log" "more messages not logged" "$T_DIR/serve-flood.log"

# ================================================================================================
# 2. Slow clients: 4 workers, request and keep-alive timeouts of 1.5 s; 10 slow clients.
THREADS=4
serve_start slow "${TLS[@]}" --audit-log "$T_DIR/audit-slow.log" --threads "$THREADS" \
	--request-timeout-ms 1500 --keep-alive-timeout-ms 1500
t_cond "slow-client server started (--threads $THREADS)" "$?" = 0
PID1=$SERVE_PID
t_ok "before the slow clients: app1 gets db_pass" served

# slow_bytes TEXT MARK: writes TEXT a byte a second, then header lines the same way, never
# ending the request. Dies of SIGPIPE once the server has closed the connection; after 60 bytes
# (the server never closed it) it stops and creates MARK.
slow_bytes() {
	local s=$1 i=0 n=0
	while [ "$n" -lt 60 ]; do
		printf '%s' "${s:i:1}"
		n=$((n + 1)) i=$((i + 1))
		[ "$i" = "${#s}" ] && s='X-Slow: 1'$'\r\n' i=0
		sleep 1 # the client's pace, not a wait
	done
	touch "$2"
}
N_TLS=5 N_TCP=5
SLOW_PIDS=()
# a) TLS done with app1's certificate, then a request whose headers never end
for i in $(seq "$N_TLS"); do
	mkfifo "$T_DIR/slow$i"
	slow_bytes $'GET /v1/objects/db_pass HTTP/1.1\r\nHost: wallet\r\n' "$T_DIR/slow$i.kept" >"$T_DIR/slow$i" &
	at_exit "kill $!"
	SLOW_PIDS+=($!)
	openssl s_client -quiet -connect "127.0.0.1:$SERVE_PORT" -CAfile "$KEYS/ca/ca.crt" \
		-cert "$A1/tls.crt" -key "$A1/tls.key" <"$T_DIR/slow$i" >"$T_DIR/slow$i.out" 2>&1 &
	at_exit "kill $!"
	SLOW_PIDS+=($!)
done
# b) plain TCP, a byte a second of a TLS handshake that never completes: the header of a
# 508-byte record holding a ClientHello (no NUL byte: bash strings cannot hold one)
for i in $(seq "$N_TCP"); do
	(
		exec 3<>"/dev/tcp/127.0.0.1/$SERVE_PORT" || exit
		slow_bytes $'\x16\x03\x01\x01\xfc\x01\x01\x01\xf8\x03\x03' "$T_DIR/tcp$i.kept" >&3
	) &
	at_exit "kill $!"
	SLOW_PIDS+=($!)
done
seen_estab() { [ "$(estab)" -ge "$1" ]; }
t_ok "slow clients connected (more than --threads: at least $((THREADS + 1)) connections at once)" \
	wait_until 20 seen_estab $((THREADS + 1))
# A client that arrives while the slow ones hold the workers: it waits, then is served.
cfetch "$A1" /v1/objects/db_pass --max-time 60 -o "$T_DIR/late.body" \
	-w '%{http_code} %{time_total}' >"$T_DIR/late.code" 2>&1 &
LATE_PID=$!
at_exit "kill $LATE_PID"
# its connection is up while at least --threads slow ones are still connected
late_among_slow() { curl_connected && [ "$(estab)" -gt "$THREADS" ]; }
t_ok "a client connects while $THREADS or more slow clients are connected" wait_until 20 late_among_slow

# (a) the server drops them all: every slow client's process ends (a slow writer would go on
# for 60 s; s_client ends only when the server closes), and no connection is left open.
t_ok "the server drops all $((N_TLS + N_TCP)) slow clients within 45 s" \
	wait_until 45 none_alive "${SLOW_PIDS[@]}"
no_estab() { [ "$(estab)" = 0 ]; }
t_ok "no connection left on the TLS port" wait_until 20 no_estab
for i in $(seq "$N_TLS"); do
	t_grep "slow TLS client $i: dropped after its request timed out (400)" "HTTP/1.1 400 Bad Request" "$T_DIR/slow$i.out"
done
# (b) and (c): the client that arrived meanwhile, and new ones, are served by the same process
wait "$LATE_PID"
echo "# the client that arrived among the slow ones: HTTP status, seconds: $(cat "$T_DIR/late.code")"
t_cond "the client that arrived among the slow ones is served" \
	"$(cut -d' ' -f1 "$T_DIR/late.code")" = 200
t_ok "after the slow clients: app1 gets db_pass" served
t_cond "after the slow clients: same server process, alive (PID $PID1)" \
	"$(kill -0 "$PID1" 2>/dev/null && [ "$SERVE_PID" = "$PID1" ] && echo yes)" = yes
kept=$(ls "$T_DIR" | grep -c '\.kept$')
t_cond "no slow client outlived its 60 bytes ($kept did)" "$kept" = 0

# Keep-alive: a client that made a request and then sits idle on the connection is closed after
# the keep-alive timeout.
mkfifo "$T_DIR/ka"
(
	printf 'GET /healthz HTTP/1.1\r\nHost: wallet\r\n\r\n'
	exec sleep 60 # an idle client keeps its end open
) >"$T_DIR/ka" &
KAW=$!
at_exit "kill $KAW"
openssl s_client -quiet -connect "127.0.0.1:$SERVE_PORT" -CAfile "$KEYS/ca/ca.crt" \
	-cert "$A1/tls.crt" -key "$A1/tls.key" <"$T_DIR/ka" >"$T_DIR/ka.out" 2>&1 &
KAC=$!
at_exit "kill $KAC"
t_ok "kept-alive idle client: answered" wait_until 20 grep -q 'HTTP/1.1 200' "$T_DIR/ka.out"
t_ok "kept-alive idle client: closed by the server within 20 s" wait_until 20 none_alive "$KAC"
kill "$KAW"
wait "$KAW" "$KAC"
t_ok "after the idle client: app1 gets db_pass" served

# ================================================================================================
# 3. Clean exit
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
t_cond "slow-client server: SIGTERM, exit 0" "$?" = 0
exit 0
