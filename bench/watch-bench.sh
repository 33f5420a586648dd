#!/bin/bash
# Propagation (docs/BENCHMARKS.md, "Watchers"): WATCHERS simulated watchers (cw-watchers, the
# polling pattern of wallet-entry --watch: a conditional GET of the client's signed manifest
# every INTERVAL seconds, a new connection per poll, TLS session resumption when the server
# allows it) against one `wallet serve`. Measures
#   - the server's CPU while the watchers poll and nothing changes (% of one core), and
#   - for ROTATIONS new versions: the time from `wallet store` returning to each watcher
#     receiving the new manifest, p50 / p99 / max over all watchers and rotations.
# Targets: every watcher within INTERVAL + 1 s; 1,000 watchers at 10 s under 10 % of a core.
# Usage: O=build bench/watch-bench.sh   (WATCHERS, INTERVAL, ROTATIONS, IDLE_S to change)
. "$(dirname "$0")/bench-lib.sh"
WATCHERS=${WATCHERS:-1000} INTERVAL=${INTERVAL:-10} ROTATIONS=${ROTATIONS:-5}
IDLE_S=${IDLE_S:-$((3 * INTERVAL))}
W=$BL_BIN/wallet KG=$BL_BIN/wallet-keygen CW=$BL_BIN/cw-watchers
for b in "$W" "$KG" "$CW"; do [ -x "$b" ] || bl_die "$b not built (make O=$O build)"; done

export GNUPGHOME=$BL_DIR/nohome
D=$BL_DIR/data
trap '_bl_cleanup; gpgconf --homedir "$D/gnupg" --kill gpg-agent 2>/dev/null' EXIT
bl_wallet_setup "$W" "$KG" 10
"$W" --data "$D" refresh --ttl 86400 >/dev/null || bl_die "setup failed"
bl_wallet_serve "$W"
C=$K/clients/app1
EV=$BL_DIR/events
: >"$EV"
bl_spawn "$BL_DIR/watchers.json" "$CW" -n "$WATCHERS" -i "$INTERVAL" --events "$EV" \
	--cert "$C/tls.crt" --key "$C/tls.key" --cacert "$C/ca.crt" "https://127.0.0.1:$P/manifests/app1"
WPID=$BL_PID
polls() { grep -c '"path":"/manifests/app1"' "$BL_DIR/audit.log"; }
# hs KIND: wallet serve's count of full or resumed TLS handshakes (/metrics)
hs() { curl -s "http://127.0.0.1:$HP/metrics" | sed -n "s/^wallet_tls_handshakes_total{kind=\"$1\"} //p"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# steady state: every watcher has polled once (its first answer is a 200 with the manifest)
deadline=$(($(date +%s) + 3 * INTERVAL + 30))
while [ "$(polls)" -lt "$WATCHERS" ]; do
	kill -0 "$WPID" 2>/dev/null || bl_die "cw-watchers ended: $(cat "$BL_DIR/watchers.json")"
	[ "$(date +%s)" -lt "$deadline" ] || bl_die "the watchers did not all poll within $((3 * INTERVAL + 30)) s"
	sleep 0.2
done

# idle: IDLE_S seconds in which nothing changes
HZ=$(getconf CLK_TCK)
p0=$(polls) s0=$(ticks "$SPID") c0=$(ticks "$WPID") t0=$(date +%s%N) f0=$(hs full) r0=$(hs resumed)
sleep "$IDLE_S" # the measured window itself, not a wait for a condition
p1=$(polls) s1=$(ticks "$SPID") c1=$(ticks "$WPID") t1=$(date +%s%N) f1=$(hs full) r1=$(hs resumed)
wall_ms=$(((t1 - t0) / 1000000))
server_pct=$(awk -v t=$((s1 - s0)) -v hz="$HZ" -v w="$wall_ms" 'BEGIN {printf "%.2f", t / hz * 1000 / w * 100}')
per_poll_ms=$(awk -v t=$((s1 - s0)) -v hz="$HZ" -v n=$((p1 - p0)) 'BEGIN {printf "%.3f", n ? t / hz * 1000 / n : 0}')
watchers_pct=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v w="$wall_ms" 'BEGIN {printf "%.2f", t / hz * 1000 / w * 100}')
rate=$(awk -v n=$((p1 - p0)) -v w="$wall_ms" 'BEGIN {printf "%.1f", n / w * 1000}')
not304=$(tail -n +$((p0 + 1)) "$BL_DIR/audit.log" | grep '"path":"/manifests/app1"' | grep -vc '"status":304' || true)

# rotations: store a new version, wait until every watcher has seen it
: >"$BL_DIR/delays"
for r in $(seq 1 "$ROTATIONS"); do
	before=$(wc -l <"$EV")
	head -c 1024 /dev/urandom | "$W" --data "$D" store s1 --to app1 >/dev/null || bl_die "store failed"
	ts=$(date +%s%N)
	deadline=$(($(date +%s) + 3 * INTERVAL + 30))
	while [ $(($(wc -l <"$EV") - before)) -lt "$WATCHERS" ]; do
		kill -0 "$WPID" 2>/dev/null || bl_die "cw-watchers ended"
		[ "$(date +%s)" -lt "$deadline" ] || bl_die "rotation $r: only $(($(wc -l <"$EV") - before)) watchers saw it"
		sleep 0.2
	done
	tail -n +$((before + 1)) "$EV" | awk -v ts="$ts" '{printf "%.1f\n", ($2 - ts) / 1e6}' >>"$BL_DIR/delays"
done
bl_stop "$WPID"
pct() { sort -n "$BL_DIR/delays" | awk -v p="$1" '{a[NR]=$1} END {i=int(p*NR+0.999999); if (i<1) i=1; if (i>NR) i=NR; printf "%.0f", a[i]}'; }
bl_log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
bl_log "cw-watchers: $(cat "$BL_DIR/watchers.json")"
printf '%-52s %s\n' "watchers x interval" "$WATCHERS x ${INTERVAL} s"
printf '%-52s %s\n' "polls/s while idle (audit log)" "$rate"
printf '%-52s %s\n' "idle polls not answered 304" "$not304"
printf '%-52s %s\n' "handshakes while idle: full / resumed" "$((f1 - f0)) / $((r1 - r0))"
printf '%-52s %s\n' "server CPU while idle, % of one core" "$server_pct"
printf '%-52s %s\n' "server CPU per poll, ms" "$per_poll_ms"
printf '%-52s %s\n' "the watchers' own CPU, % of one core" "$watchers_pct"
printf '%-52s %s\n' "propagation p50 / p99 / max, ms ($ROTATIONS rotations)" \
	"$(pct 0.5) / $(pct 0.99) / $(pct 1)"
