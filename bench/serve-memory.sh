#!/bin/bash
# Resident memory of `wallet serve` on the writer's data directory (which signs every client's
# manifest at start and keeps them fresh) with 10 and with BENCH_OBJECTS stored objects:
# VmRSS and VmHWM (/proc/PID/status) once it listens, i.e. after the first refresh, and after a
# client has listed every object (GET /v1/objects); and how long a SIGTERM sent during the
# first refresh takes to stop it. Figures in docs/BENCHMARKS.md.
#
# Loopback only; every process it starts is stopped at exit (by PID).
# Usage: O=build-x bench/serve-memory.sh
# Environment: BENCH_OBJECTS (default 100000), BENCH_WAIT (seconds allowed for the first
#   refresh, default 900), BL_KEEP=1.
. "$(dirname "$0")/bench-lib.sh"

NOBJ=${BENCH_OBJECTS:-100000}
WAIT=${BENCH_WAIT:-900}
W=$BL_BIN/wallet
KG=$BL_BIN/wallet-keygen
for b in "$W" "$KG"; do [ -x "$b" ] || bl_die "$b not built (make O=$O build)"; done
export GNUPGHOME=$BL_DIR/gnupg
mkdir -m 700 "$GNUPGHOME"
trap '_bl_cleanup; gpgconf --homedir "$D/gnupg" --kill gpg-agent 2>/dev/null' EXIT

# serve_listening: starts wallet serve and waits (BENCH_WAIT at most) until it listens; sets
# SPID and the seconds it took in T_LISTEN.
serve_listening() {
	local t0 i
	P=$(bl_pick_port)
	t0=$(date +%s.%N)
	bl_spawn "$BL_DIR/serve.log" "$W" --data "$D" serve --listen "127.0.0.1:$P" \
		--tls-cert "$K/wallet/server.crt" --tls-key "$K/wallet/server.key" \
		--tls-ca "$K/ca/ca.crt" --audit-log "$BL_DIR/audit.log"
	SPID=$BL_PID
	for ((i = 0; i < WAIT * 10; i++)); do
		grep -q '"listening"' "$BL_DIR/serve.log" && break
		kill -0 "$SPID" 2>/dev/null || bl_die "wallet serve exited: $(tail -n 2 "$BL_DIR/serve.log")"
		sleep 0.1
	done
	grep -q '"listening"' "$BL_DIR/serve.log" || bl_die "wallet serve did not listen within $WAIT s"
	T_LISTEN=$(echo "$(date +%s.%N) - $t0" | bc)
}
vm() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SPID/status"; }
report() { # report LABEL
	sleep 2 # the refresher's first tick
	printf '%-16s listening after %6.1f s   VmRSS %7d KiB   VmHWM %7d KiB\n' "$1" "$T_LISTEN" \
		"$(vm VmRSS)" "$(vm VmHWM)"
}
# stop_timed: SIGTERM, then the seconds until the process is gone (600 at most) and its exit
# status (not in a subshell: it waits for SPID).
stop_timed() {
	local t0 i
	t0=$(date +%s.%N)
	kill -TERM "$SPID"
	for ((i = 0; i < 6000; i++)); do
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$SPID"
	echo "exit status $?, $(echo "$(date +%s.%N) - $t0" | bc) s after SIGTERM"
}

bl_log "load average before: $(bl_load)"
bl_wallet_setup "$W" "$KG" 10
serve_listening
report "10 objects"
stop_timed >/dev/null
grep -q '"stopped"' "$BL_DIR/serve.log" || bl_die "wallet serve did not stop cleanly"
t0=$(date +%s)
bl_bulk_objects "$D" s1 1 $((NOBJ - 10)) || bl_die "could not create the bulk objects"
bl_log "created $((NOBJ - 10)) more objects by copying in $(($(date +%s) - t0)) s"
sync
serve_listening
report "$NOBJ objects"
echo "  manifest of app1: $(stat -c %s "$D/manifests/app1") bytes"
# A client lists every object it reads (GET /v1/objects), then the server is idle again.
C=$K/clients/app1
t0=$(date +%s.%N)
n=$(curl -sf --cacert "$K/ca/ca.crt" --cert "$C/tls.crt" --key "$C/tls.key" \
	"https://127.0.0.1:$P/v1/objects" | grep -o '"name"' | wc -l)
printf '  GET /v1/objects: %d objects listed in %.2f s\n' "$n" "$(echo "$(date +%s.%N) - $t0" | bc)"
printf '%-16s VmRSS %7d KiB   VmHWM %7d KiB\n' "after a listing" "$(vm VmRSS)" "$(vm VmHWM)"
stop_timed >/dev/null
# A stop during the first refresh: SIGTERM a second after the start.
P=$(bl_pick_port)
bl_spawn "$BL_DIR/serve2.log" "$W" --data "$D" serve --listen "127.0.0.1:$P" \
	--tls-cert "$K/wallet/server.crt" --tls-key "$K/wallet/server.key" \
	--tls-ca "$K/ca/ca.crt" --audit-log "$BL_DIR/audit.log"
SPID=$BL_PID
sleep 1
printf 'SIGTERM 1 s after the start (%s objects): ' "$NOBJ"
stop_timed
tail -n 1 "$BL_DIR/serve2.log"
bl_log "load average after: $(bl_load)"
