#!/bin/bash
# Server benchmark (docs/DESIGN.md, performance targets): `wallet serve` against nginx configured like
# the prototype (ssl_verify_client on, same certificates, the same sealed 1 KiB object), and a
# plain civetweb mutual-TLS server as the baseline of what civetweb itself costs. Every server
# is driven by the same load generator (cw-loadgen) in two modes, kept-alive connections and a
# new full handshake per request, at several concurrency levels. Then: the handshake-crypto
# ceiling of the machine, fetch latency with 10 vs 100,000 stored objects, and the resident
# memory of wallet serve idle and with 64 concurrent clients.
#
# Loopback only; a few minutes; every process it starts is stopped at exit (by PID).
# Usage: O=build-x bench/server-bench.sh        (make O=build-x bench builds and runs it)
# Environment: BENCH_SECONDS (per run, default 5), BENCH_ROUNDS (default 3), BENCH_LEVELS
#   (default "1 8 32 64"), BENCH_CALLGRIND (default 1: instructions per handshake, profiles),
#   BENCH_OBJECTS (default 100000), BENCH_SERVERS (default "nginx civetweb wallet", those
#   available), BENCH_OUT (raw JSON lines, default $O/bench/server-bench.jsonl), BL_KEEP=1,
#   BENCH_PIN (default 0; 1: the servers on CPU 0 and the load generator on the others, for
#   the side-by-side table, so that a saturated server's rate is its own CPU's).
. "$(dirname "$0")/bench-lib.sh"

SECS=${BENCH_SECONDS:-5}
LEVELS=${BENCH_LEVELS:-"1 8 32 64"}
NOBJ=${BENCH_OBJECTS:-100000}
NCPU=$(nproc)
OUT=${BENCH_OUT:-$BL_BUILD/bench/server-bench.jsonl}
LG=$BL_BIN/cw-loadgen
WALLET=$BL_BIN/wallet
KEYGEN=$BL_BIN/wallet-keygen
CIVET=$BL_BIN/cw-bench-civetweb
K=$BL_DIR/keys
OBJPATH=/v1/objects/obj1k

[ -x "$LG" ] || bl_die "$LG missing: make O=$O build"
command -v nginx >/dev/null || bl_die "nginx missing: scripts/deps.sh bench"
mkdir -p "$(dirname "$OUT")" "$K"
: >"$OUT"
export GNUPGHOME=$BL_DIR/gnupg
mkdir -m 700 "$GNUPGHOME"

servers=()
for s in ${BENCH_SERVERS:-nginx civetweb wallet}; do
	case $s in
	nginx) servers+=(nginx) ;;
	civetweb) [ -x "$CIVET" ] && servers+=(civetweb) ;;
	wallet)
		if [ -x "$WALLET" ] && "$WALLET" serve --help >/dev/null 2>&1; then
			servers+=(wallet)
		else
			bl_log "wallet serve is not built yet: benchmarking without it"
		fi
		;;
	*) bl_die "unknown server '$s' in BENCH_SERVERS" ;;
	esac
done
has() { [[ " ${servers[*]} " == *" $1 "* ]]; }

bl_log "machine: $NCPU cores, $(uname -r), $(openssl version), nginx $(nginx -v 2>&1 | sed 's/.*\///')"
bl_log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- key material -------------------------------------------------------------------------
# wallet-keygen when it is built, otherwise the openssl CLI (same algorithms: ECDSA P-256).
keys_from_keygen() {
	{
		"$KEYGEN" ca --out "$K/kg-ca" --cn "bench CA" &&
			"$KEYGEN" server --ca "$K/kg-ca" --out "$K/kg-server" --cn localhost \
				--san DNS:localhost,IP:127.0.0.1 &&
			"$KEYGEN" client --ca "$K/kg-ca" --out "$K/kg-app1" --cn app1
	} >"$BL_DIR/keygen.log" 2>&1 || return 1
	cp "$K/kg-ca/ca.crt" "$K/ca.crt" &&
		cp "$K/kg-server/server.crt" "$K/kg-server/server.key" "$K/" &&
		cp "$K/kg-app1/tls.crt" "$K/app1.crt" && cp "$K/kg-app1/tls.key" "$K/app1.key"
}
if [ -x "$KEYGEN" ] && keys_from_keygen; then
	bl_log "key material: wallet-keygen"
else
	[ -x "$KEYGEN" ] && bl_log "wallet-keygen init failed ($(tail -n 1 "$BL_DIR/keygen.log")): using openssl"
	bl_certs_openssl "$K"
	bl_log "key material: openssl CLI (P-256)"
fi
cat "$K/server.crt" "$K/server.key" >"$K/server.pem"
chmod 600 "$K/server.pem"

# app1's OpenPGP key (ed25519 + cv25519), for wallet importkey and sealing.
gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key app1 future-default \
	default never >/dev/null 2>&1 || bl_die "gpg could not make app1's key"
gpg --batch --armor --export app1 >"$K/app1.pub.asc"
head -c 1024 /dev/urandom >"$BL_DIR/obj1k.plain"

# --- the object: sealed by the wallet when it is there ------------------------------------
DATA=$BL_DIR/data
wallet_prepare() {
	"$WALLET" --data "$DATA" init &&
		"$WALLET" --data "$DATA" importkey app1 <"$K/app1.pub.asc" &&
		"$WALLET" --data "$DATA" store obj1k --to app1 <"$BL_DIR/obj1k.plain" &&
		[ -f "$DATA/objects/obj1k/latest/object.gpg" ]
} >"$BL_DIR/wallet-admin.log" 2>&1
SEALED=$BL_DIR/obj1k.sealed
if has wallet; then
	if wallet_prepare; then
		cp "$DATA/objects/obj1k/latest/object.gpg" "$SEALED"
	else
		bl_log "wallet init/importkey/store failed: $(tail -n 2 "$BL_DIR/wallet-admin.log")"
		servers=("${servers[@]/wallet/}")
	fi
fi
if [ ! -f "$SEALED" ]; then
	gpg --batch --trust-model always --encrypt -r app1 -o "$SEALED" "$BL_DIR/obj1k.plain" ||
		bl_die "gpg --encrypt failed"
fi
bl_log "object: 1024 bytes of content, $(stat -c %s "$SEALED") sealed bytes at $OBJPATH"
WWW=$BL_DIR/www
mkdir -p "$WWW/v1/objects"
cp "$SEALED" "$WWW/v1/objects/obj1k"

# --- servers ------------------------------------------------------------------------------
declare -A PORT PID
start_nginx() {
	PORT[nginx]=$(bl_pick_port)
	bl_nginx_start "$BL_DIR/nginx" "${PORT[nginx]}" "$NCPU" "$K" "$WWW"
	PID[nginx]=$BL_NGINX_PID
}
start_civetweb() {
	PORT[civetweb]=$(bl_pick_port)
	bl_spawn "$BL_DIR/civetweb.log" "$CIVET" --listen "127.0.0.1:${PORT[civetweb]}" \
		--cert "$K/server.pem" --ca "$K/ca.crt" --root "$WWW" \
		--access-log "$BL_DIR/civetweb-access.log"
	PID[civetweb]=$BL_PID
	bl_wait_port "${PORT[civetweb]}" "$BL_PID" ||
		bl_die "civetweb baseline did not start: $(tail -n 3 "$BL_DIR/civetweb.log")"
}
# BENCH_WALLET_ARGS: extra flags for wallet serve (e.g. "--threads 64"); default: none.
start_wallet() {
	PORT[wallet]=$(bl_pick_port)
	# shellcheck disable=SC2086
	bl_spawn "$BL_DIR/wallet-serve.log" "$WALLET" --data "$DATA" serve \
		--listen "127.0.0.1:${PORT[wallet]}" --tls-cert "$K/server.crt" \
		--tls-key "$K/server.key" --tls-ca "$K/ca.crt" \
		--audit-log "$BL_DIR/wallet-audit.log" ${BENCH_WALLET_ARGS:-}
	PID[wallet]=$BL_PID
	bl_wait_port "${PORT[wallet]}" "$BL_PID" && return 0
	bl_log "wallet serve did not start: $(tail -n 2 "$BL_DIR/wallet-serve.log")"
	return 1
}
stop_server() {
	bl_stop "${PID[$1]}"
	unset "PID[$1]"
}
started=()
for s in "${servers[@]}"; do
	[ -n "$s" ] && "start_$s" && started+=("$s")
done
servers=("${started[@]}")

# BENCH_PIN=1: each server, its threads and its children (nginx's workers) on CPU 0, the load
# generator on the other CPUs.
LGPIN=()
if [ "${BENCH_PIN:-0}" = 1 ]; then
	[ "$NCPU" -ge 2 ] || bl_die "BENCH_PIN=1 needs 2 CPUs or more"
	command -v taskset >/dev/null || bl_die "BENCH_PIN=1 needs taskset (util-linux)"
	for s in "${servers[@]}"; do
		for p in "${PID[$s]}" $(pgrep -P "${PID[$s]}"); do
			taskset -a -p -c 0 "$p" >/dev/null || bl_die "taskset could not pin $s ($p)"
		done
	done
	LGPIN=(taskset -c "1-$((NCPU - 1))")
	bl_log "servers pinned to CPU 0, the load generator to CPUs 1-$((NCPU - 1))"
fi

# RSS in KiB of a process and its children (nginx: master + workers).
rss_kb() {
	local p t=0 r
	for p in "$1" $(pgrep -P "$1"); do
		r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		t=$((t + ${r:-0}))
	done
	echo "$t"
}
declare -A RSS_IDLE RSS_LOAD
for s in "${servers[@]}"; do RSS_IDLE[$s]=$(rss_kb "${PID[$s]}"); done

# CPU time (user + system, clock ticks) of a process and its children (nginx's workers).
cpu_ticks() {
	local p t=0
	for p in "$1" $(pgrep -P "$1"); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
TICK=$(getconf CLK_TCK)

# lg SERVER MODE CONNS SECONDS [PATH]: one cw-loadgen run; its JSON goes to $OUT and to $J.
# With SAMPLE=1, samples the server's RSS every 100 ms while it runs; the peak goes to $PEAK_KB.
lg() {
	local s=$1 mode=$2 c=$3 d=$4 path=${5:-$OBJPATH} lp peak=0 r c0 c1 g0 g1
	c0=$(cpu_ticks "${PID[$s]}")
	children_ms
	g0=$CHILD_MS
	"${LGPIN[@]}" "$LG" --cert "$K/app1.crt" --key "$K/app1.key" --cacert "$K/ca.crt" \
		--servername localhost -m "$mode" -c "$c" -d "$d" "https://127.0.0.1:${PORT[$s]}$path" \
		>"$BL_DIR/lg.json" 2>&1 &
	lp=$!
	while [ "${SAMPLE:-0}" = 1 ] && kill -0 "$lp" 2>/dev/null; do
		r=$(rss_kb "${PID[$s]}")
		[ "$r" -gt "$peak" ] && peak=$r
		sleep 0.1
	done
	wait "$lp"
	children_ms
	g1=$CHILD_MS
	c1=$(cpu_ticks "${PID[$s]}")
	PEAK_KB=$peak
	J=$(head -n 1 "$BL_DIR/lg.json")
	# Server CPU per successful request, microseconds: robust to a busy machine where req/s
	# is not (the machine is shared with the load generator, and maybe with other work).
	SCPU=$(awk -v t=$((c1 - c0)) -v hz="$TICK" -v ok="$(f ok)" \
		'BEGIN { if (ok > 0) printf "%.0f", t / hz * 1e6 / ok; else print "-" }')
	# The load generator's own CPU per request, the same way (not while RSS sampling runs
	# processes of its own): on a shared machine it is the part of each request's cost that
	# is the same for every server, and that dilutes their rate ratio.
	GCPU=-
	[ "${SAMPLE:-0}" = 1 ] || GCPU=$(awk -v a="$g0" -v b="$g1" -v ok="$(f ok)" \
		'BEGIN { if (ok > 0) printf "%.0f", (b - a) * 1e3 / ok; else print "-" }')
	printf '{"server":"%s","server_cpu_us_per_req":"%s","loadgen_cpu_us_per_req":"%s",%s\n' \
		"$s" "$SCPU" "$GCPU" "${J#\{}" >>"$OUT"
}
# CHILD_MS: user + system CPU milliseconds of this shell's waited-for children so far, from
# bash's times, run in this shell (a subshell would count its own children only).
children_ms() {
	local u y m sec
	times >"$BL_DIR/times"
	{ read -r _ && read -r u y; } <"$BL_DIR/times"
	CHILD_MS=0
	for m in "$u" "$y"; do # e.g. 1m2.345s: 62345 ms
		m=${m%s}
		sec=${m#*m}
		CHILD_MS=$((CHILD_MS + 10#${m%%m*} * 60000 + 10#${sec/./}))
	done
}
f() { bl_json "$1" <<<"$J"; }

# Warm-up: one short run per server, not recorded in the table.
for s in "${servers[@]}"; do lg "$s" keepalive 4 1; done

# --- the side-by-side table ---------------------------------------------------------------
# ROUNDS rounds; in each, every server takes its turn at every point, so that a drift of the
# machine's load weighs on all of them. The table shows medians over the rounds.
ROUNDS=${BENCH_ROUNDS:-3}
declare -A RPS P50 P99 ERR CPUS GCPUS
for mode in keepalive handshake; do
	for c in $LEVELS; do
		for s in "${servers[@]}"; do
			: >"$BL_DIR/pt.$s.$mode.$c.rps"
			: >"$BL_DIR/pt.$s.$mode.$c.cpu"
			: >"$BL_DIR/pt.$s.$mode.$c.lg"
		done
	done
done
for round in $(seq 1 "$ROUNDS"); do
	bl_log "round $round of $ROUNDS (load $(bl_load))"
	for mode in keepalive handshake; do
		for c in $LEVELS; do
			for s in "${servers[@]}"; do
				SAMPLE=0
				[ "$round" = 1 ] && [ "$mode" = keepalive ] && [ "$c" = 64 ] && SAMPLE=1
				SAMPLE=$SAMPLE lg "$s" "$mode" "$c" "$SECS"
				k=$s/$mode/$c
				[ "$SAMPLE" = 1 ] && RSS_LOAD[$s]=$PEAK_KB
				echo "$(f rps)" >>"$BL_DIR/pt.$s.$mode.$c.rps"
				[ "$SCPU" != - ] && echo "$SCPU" >>"$BL_DIR/pt.$s.$mode.$c.cpu"
				[ "$GCPU" != - ] && echo "$GCPU" >>"$BL_DIR/pt.$s.$mode.$c.lg"
				ERR[$k]=$((${ERR[$k]:-0} + $(f errors)))
				P50[$k]=$(f p50_ms)
				P99[$k]=$(f p99_ms)
				[ "$(f errors)" != 0 ] && bl_log "$s $mode c=$c: $(f errors) errors, first: $(f first_error)"
			done
		done
	done
done
echo
pinned=""
[ "${#LGPIN[@]}" -gt 0 ] && pinned=", servers on CPU 0 and the load generator on CPUs 1-$((NCPU - 1))"
echo "GET $OBJPATH ($(stat -c %s "$SEALED") bytes), ${SECS}s per run, medians of $ROUNDS rounds, $NCPU cores, load generator on the same machine$pinned (load $(bl_load) at the end)"
hdr=$(printf '%-9s %5s' mode conns)
for s in "${servers[@]}"; do hdr+=$(printf ' | %-8s %9s %7s %7s %6s %6s' "$s" "req/s" "p50 ms" "p99 ms" "cpu us" "lg us"); done
has wallet && hdr+=' | wallet/nginx'
has civetweb && hdr+=' | civetweb/nginx'
echo "$hdr"
TSV=$BL_BUILD/bench/server.tsv
printf 'mode\tconns\tserver\trps\tcpu_us\n' >"$TSV"
for mode in keepalive handshake; do
	for c in $LEVELS; do
		line=$(printf '%-9s %5s' "$mode" "$c")
		for s in "${servers[@]}"; do
			k=$s/$mode/$c
			RPS[$k]=$(bl_median <"$BL_DIR/pt.$s.$mode.$c.rps")
			CPUS[$k]=$(bl_median <"$BL_DIR/pt.$s.$mode.$c.cpu")
			GCPUS[$k]=$(bl_median <"$BL_DIR/pt.$s.$mode.$c.lg")
			mark=' '
			[ "${ERR[$k]:-1}" != 0 ] && mark='!'
			line+=$(printf ' | %-8s %8s%s %7s %7s %6s %6s' '' "${RPS[$k]}" "$mark" "${P50[$k]}" \
				"${P99[$k]}" "${CPUS[$k]}" "${GCPUS[$k]}")
			printf '%s\t%s\t%s\t%s\t%s\n' "$mode" "$c" "$s" "${RPS[$k]}" "${CPUS[$k]}" >>"$TSV"
		done
		for s in wallet civetweb; do
			has "$s" || continue
			line+=$(awk -v a="${RPS[$s/$mode/$c]}" -v b="${RPS[nginx/$mode/$c]}" \
				'BEGIN { if (b > 0) printf " | %12.2f", a / b; else printf " | %12s", "-" }')
		done
		echo "$line"
	done
done
echo "(req/s, cpu us and lg us: medians over the rounds; p50/p99: the last round; cpu us = server"
echo " CPU time per successful request, user + system, microseconds; lg us = the load generator's"
echo " own, which shares the machine's CPUs with the server: where both saturate them, a rate"
echo " ratio is about (lg + cpu of one) / (lg + cpu of the other), nearer 1 than the CPU ratio;"
echo " '!' = some run had errors: see the messages on stderr and $OUT)"
LGPIN=() # BENCH_PIN is for the table above only

# --- instructions per handshake (callgrind): independent of the machine's load --------------
# Each server alone under callgrind (nginx with one worker, followed into it), 20 handshakes
# to warm up, then the count of BENCH_CG_HANDSHAKES (default 200) new handshakes, divided by
# their number. The annotated profiles (inclusive, top entries) go to $O/bench/profile-*.txt.
cg_server() { # SERVER: prints instructions per handshake
	local s=$1 port n=${BENCH_CG_HANDSHAKES:-200} vp f sum=0 x
	port=$(bl_pick_port)
	rm -f "$BL_DIR"/cgs.*
	case $s in
	nginx)
		mkdir -p "$BL_DIR/nginx-cg"
		sed -e "s|@PREFIX@|$BL_DIR/nginx-cg|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|1|g" \
			-e "s|@CERT@|$K/server.crt|g" -e "s|@KEY@|$K/server.key|g" -e "s|@CA@|$K/ca.crt|g" \
			-e "s|@ROOT@|$WWW|g" "$BL_ROOT/bench/nginx-prototype.conf" >"$BL_DIR/nginx-cg/nginx.conf"
		mkdir -p "$BL_DIR/nginx-cg/logs" "$BL_DIR/nginx-cg/tmp"
		bl_spawn "$BL_DIR/cg-nginx.log" valgrind --tool=callgrind --trace-children=yes \
			--callgrind-out-file="$BL_DIR/cgs.%p" nginx -p "$BL_DIR/nginx-cg" -c "$BL_DIR/nginx-cg/nginx.conf"
		;;
	wallet)
		# shellcheck disable=SC2086
		bl_spawn "$BL_DIR/cg-wallet.log" valgrind --tool=callgrind --callgrind-out-file="$BL_DIR/cgs.%p" \
			"$WALLET" --data "$DATA" serve --listen "127.0.0.1:$port" --tls-cert "$K/server.crt" \
			--tls-key "$K/server.key" --tls-ca "$K/ca.crt" --audit-log "$BL_DIR/wallet-audit-cg.log" \
			--request-timeout-ms 60000 ${BENCH_WALLET_ARGS:-}
		;;
	esac
	vp=$BL_PID
	for x in $(seq 1 400); do bl_port_open "$port" && break; sleep 0.1; done
	"$LG" --cert "$K/app1.crt" --key "$K/app1.key" --cacert "$K/ca.crt" --servername localhost \
		-m handshake -n 20 -t 60000 "https://127.0.0.1:$port$OBJPATH" >/dev/null 2>&1
	# only our own processes (the server, and nginx's worker): other callgrind runs on the
	# machine are left alone
	local pids="$vp $(pgrep -P "$vp" | tr '\n' ' ')"
	for x in $pids; do callgrind_control -z "$x" >/dev/null 2>&1; done
	"$LG" --cert "$K/app1.crt" --key "$K/app1.key" --cacert "$K/ca.crt" --servername localhost \
		-m handshake -n "$n" -t 60000 "https://127.0.0.1:$port$OBJPATH" >"$BL_DIR/cg-lg.json" 2>&1
	for x in $pids; do callgrind_control -d "$x" >/dev/null 2>&1; done
	sleep 1
	bl_stop "$vp"
	for f in "$BL_DIR"/cgs.*.[0-9]*; do
		[ -f "$f" ] || continue
		x=$(sed -n 's/^summary: //p' "$f")
		sum=$((sum + ${x:-0}))
	done
	f=$(ls -S "$BL_DIR"/cgs.*.[0-9]* 2>/dev/null | head -n 1)
	[ -n "$f" ] && callgrind_annotate --inclusive=yes "$f" 2>/dev/null | sed -n '1,60p' \
		>"$BL_BUILD/bench/profile-$s.txt"
	awk -v t="$sum" -v n="$n" 'BEGIN {printf "%.2f", t / n / 1e6}'
}
if [ "${BENCH_CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null; then
	echo
	echo "instructions per new mutual-TLS handshake (callgrind, ${BENCH_CG_HANDSHAKES:-200} handshakes, load-independent):"
	for s in "${servers[@]}"; do
		[ "$s" = civetweb ] && continue
		ir=$(cg_server "$s")
		printf '  %-8s %6s M instructions per handshake (profile: %s)\n' "$s" "$ir" "$BL_BUILD/bench/profile-$s.txt"
		printf 'callgrind\t-\t%s\t%s\t-\n' "$s" "$ir" >>"$TSV"
	done
fi

# --- handshake-crypto ceiling -------------------------------------------------------------
# Server side of one TLS 1.3 handshake with a P-256 certificate, a P-256 client certificate
# and X25519: 1 ECDSA sign (CertificateVerify), 2 ECDSA verify (client certificate's CA
# signature, client's CertificateVerify), 2 X25519 (key generation, shared secret). The client
# does the same amount, on the same cores here.
echo
speed=$(openssl speed -seconds 3 ecdsap256 ecdhx25519 2>/dev/null)
sign=$(awk '/nistp256/ {print $(NF-1)}' <<<"$speed")
verify=$(awk '/nistp256/ {print $NF}' <<<"$speed")
x25519=$(awk '/X25519/ {print $NF}' <<<"$speed")
echo "openssl speed -seconds 3 ecdsap256 ecdhx25519 (one core): sign ${sign}/s, verify ${verify}/s, X25519 ${x25519}/s"
awk -v s="$sign" -v v="$verify" -v x="$x25519" -v n="$NCPU" 'BEGIN {
	core = 1 / (1 / s + 2 / v + 2 / x)
	printf "handshake-crypto ceiling: %.0f server handshakes/s per core, %.0f on %d cores;\n", core, core * n, n
	printf "  with the client on the same cores (as here): %.0f handshakes/s\n", core * n / 2
}'
for s in "${servers[@]}"; do
	best=0
	for c in $LEVELS; do
		r=${RPS[$s/handshake/$c]%.*}
		[ "${r:-0}" -gt "$best" ] && best=$r
	done
	awk -v s="$s" -v b="$best" -v sg="$sign" -v v="$verify" -v x="$x25519" -v n="$NCPU" 'BEGIN {
		ceil = n / 2 / (1 / sg + 2 / v + 2 / x)
		printf "  %-8s best handshake-mode rate %6d/s = %.2f of the shared-machine ceiling\n", s, b, b / ceil
	}'
done

# --- fetch latency: 10 vs 100,000 stored objects (wallet) ---------------------------------
# Objects are made by copying obj1k's published version (bl_bulk_objects in bench-lib.sh)
# into the FORMAT.md layout, not by `wallet store` (far longer).
bulk_objects() { bl_bulk_objects "$DATA" obj1k "$1" "$2"; }
if has wallet; then
	echo
	stop_server wallet
	bulk_objects 1 9 || bl_die "could not create the bulk objects"
	start_wallet
	lg wallet keepalive 1 1 >/dev/null
	lg wallet keepalive 1 "$SECS"
	l10="$(f p50_ms) $(f p99_ms) $(f rps) $(f errors)"
	lg wallet keepalive 1 "$SECS" /v1/objects/b000005
	c10="$(f p50_ms) $(f p99_ms) $(f rps) $(f errors)"
	stop_server wallet
	t0=$(date +%s)
	bulk_objects 10 $((NOBJ - 1)) || bl_die "could not create the bulk objects"
	bl_log "created $((NOBJ - 10)) more objects by copying in $(($(date +%s) - t0)) s"
	sync
	start_wallet
	lg wallet keepalive 1 1 >/dev/null
	lg wallet keepalive 1 "$SECS"
	lN="$(f p50_ms) $(f p99_ms) $(f rps) $(f errors)"
	lg wallet keepalive 1 "$SECS" "/v1/objects/b$(printf %06d $((NOBJ / 2)))"
	cN="$(f p50_ms) $(f p99_ms) $(f rps) $(f errors)"
	echo "fetch latency, keep-alive, 1 connection, ${SECS}s (p50 ms, p99 ms, req/s, errors):"
	echo "  10 objects:      obj1k: $l10 | a copy: $c10"
	echo "  $NOBJ objects:  obj1k: $lN | a copy: $cN"
	awk -v a="${l10%% *}" -v b="${lN%% *}" 'BEGIN { if (a > 0) printf "  p50 ratio (%s / 10 objects): %.2f\n", "'"$NOBJ"'", b / a }'
fi

# --- resident memory ----------------------------------------------------------------------
echo
echo "resident memory (VmRSS; nginx: master + $NCPU workers), idle after start and peak during keepalive with 64 connections:"
for s in "${servers[@]}"; do
	printf '  %-8s idle %6d KiB   64 clients %6s KiB\n' "$s" "${RSS_IDLE[$s]}" "${RSS_LOAD[$s]:--}"
done
if has wallet && [ -n "${PID[wallet]:-}" ]; then
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/${PID[wallet]}/status")
	echo "  wallet serve (restarted with $NOBJ objects) VmHWM after the latency runs: $hwm KiB"
fi
bl_log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
bl_log "raw results: $OUT"
