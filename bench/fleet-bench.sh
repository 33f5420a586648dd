#!/bin/bash
# A rolling deploy in miniature: N containers' entrypoints (default 200) started at the same
# instant on this machine, each fetching one 1 KiB secret and exec'ing a program that notes
# the time (cw-fleet --stamp). Measured: from the start to the last exec (all_exec_ms), the
# median exec, and the CPU time of all of them (their waited-for processes included; the
# prototype's gpg-agents leave the tree and are not counted). Fleets, in turns:
#   proto     bench/prototype-entry.sh against nginx configured like the prototype
#             (bench/nginx-prototype.conf, one worker per core, access log to a file)
#   entry     wallet-entry against one `wallet serve` (audit log to a file)
#   replicas  wallet-entry against 3 replicas (`wallet serve` of a `wallet export`), each
#             fleet member with the three URLs in its own order (--url rotated by its index)
# Every fleet runs ROUNDS times (default 3), the kinds interleaved; medians are shown.
# Results: $O/bench/fleet.tsv (bench/plot.sh). Usage: O=build bench/fleet-bench.sh [N [ROUNDS]]
. "$(dirname "$0")/bench-lib.sh"
N=${1:-${BENCH_FLEET_N:-200}}
ROUNDS=${2:-${BENCH_FLEET_ROUNDS:-3}}
E=$BL_BIN/wallet-entry W=$BL_BIN/wallet KG=$BL_BIN/wallet-keygen FLEET=$BL_BIN/cw-fleet
PROTO=$BL_ROOT/bench/prototype-entry.sh
for b in "$E" "$W" "$KG" "$FLEET"; do [ -x "$b" ] || bl_die "$b not built (make O=$O build)"; done
command -v curl >/dev/null && command -v gpg >/dev/null || bl_die "curl and gpg needed"
OUT=$BL_BUILD/bench
mkdir -p "$OUT"
bl_log "$N processes per fleet, $ROUNDS rounds, $(nproc) CPUs, load at start $(bl_load)"

export GNUPGHOME=$BL_DIR/nohome
K=$BL_DIR/keys D=$BL_DIR/data X=$BL_DIR/export C=$BL_DIR/keys/clients/app1
trap '_bl_cleanup; gpgconf --homedir "$D/gnupg" --kill gpg-agent 2>/dev/null' EXIT
"$KG" init --out "$K" >/dev/null && "$W" --data "$D" init >/dev/null &&
	"$W" --data "$D" importkey app1 <"$C/gpg.pub.asc" >/dev/null &&
	head -c 1024 /dev/urandom | "$W" --data "$D" store s1 --to app1 >/dev/null &&
	"$W" --data "$D" signing-key >"$BL_DIR/wallet.asc" &&
	"$W" --data "$D" export "$X" >/dev/null || bl_die "wallet setup failed"

# the servers: one wallet serve, 3 replicas of the export, nginx with the sealed object
# serve DATA LOG: starts wallet serve on a free port, into SERVE_PORT (not in a command
# substitution: bl_spawn must record the PID in this shell, which stops it at exit)
serve() {
	SERVE_PORT=$(bl_pick_port)
	bl_spawn "$2" "$W" --data "$1" serve --listen "127.0.0.1:$SERVE_PORT" \
		--tls-cert "$K/wallet/server.crt" --tls-key "$K/wallet/server.key" \
		--tls-ca "$K/ca/ca.crt" --audit-log "$2.audit"
	bl_wait_port "$SERVE_PORT" "$BL_PID" || bl_die "wallet serve ($1) did not start: $(tail -n 2 "$2")"
}
serve "$D" "$BL_DIR/serve.log" && WP=$SERVE_PORT
serve "$X" "$BL_DIR/replica1.log" && R1=$SERVE_PORT
serve "$X" "$BL_DIR/replica2.log" && R2=$SERVE_PORT
serve "$X" "$BL_DIR/replica3.log" && R3=$SERVE_PORT
WWW=$BL_DIR/www
mkdir -p "$WWW/v1/objects" "$BL_DIR/nginx-certs"
cp "$D/objects/s1/latest/object.gpg" "$WWW/v1/objects/s1"
cp "$K/wallet/server.crt" "$K/wallet/server.key" "$K/ca/ca.crt" "$BL_DIR/nginx-certs/"
NP=$(bl_pick_port)
bl_nginx_start "$BL_DIR/nginx" "$NP" "$(nproc)" "$BL_DIR/nginx-certs" "$WWW"

export WALLET_CA=$C/ca.crt WALLET_CERT=$C/tls.crt WALLET_KEY=$C/tls.key \
	WALLET_GPG_KEY=$C/gpg.sec.asc WALLET_SIGNER=$("$W" --data "$D" signing-key --fingerprint) \
	WALLET_WAIT=60 PROTO_SIGNER_PUB=$BL_DIR/wallet.asc
STAMPS=$BL_DIR/stamps
fleet_proto() {
	"$FLEET" -n "$N" -o "$STAMPS" -- sh "$PROTO" "https://127.0.0.1:$NP/v1/objects" "$C/ca.crt" \
		"$C/tls.crt" "$C/tls.key" "$C/gpg.sec.asc" s1 -- "$FLEET" --stamp "$STAMPS"
}
fleet_entry() {
	WALLET_URL=https://127.0.0.1:$WP "$FLEET" -n "$N" -o "$STAMPS" -- \
		"$E" --fetch s1 -- "$FLEET" --stamp "$STAMPS"
}
fleet_replicas() {
	"$FLEET" -n "$N" -o "$STAMPS" \
		--rotate "WALLET_URL=https://127.0.0.1:$R1,https://127.0.0.1:$R2,https://127.0.0.1:$R3" -- \
		"$E" --fetch s1 -- "$FLEET" --stamp "$STAMPS"
}
# a single member of each first: a check, and everything in the page cache
for k in proto entry replicas; do
	N_SAVED=$N N=1
	"fleet_$k" >/dev/null 2>"$BL_DIR/check.err" || bl_die "$k: one process failed: $(tail -n 3 "$BL_DIR/check.err")"
	N=$N_SAVED
	rm -f "$STAMPS"
done

KINDS="proto entry replicas"
for k in $KINDS; do : >"$BL_DIR/$k.jsonl"; done
for r in $(seq 1 "$ROUNDS"); do
	for k in $KINDS; do
		rm -f "$STAMPS"
		j=$("fleet_$k" 2>>"$BL_DIR/$k.err")
		echo "$j" >>"$BL_DIR/$k.jsonl"
		bl_log "round $r $k: $j (load $(bl_load))"
		sleep 2 # the prototype's agents exit and the servers settle between fleets
	done
done
LOAD_END=$(bl_load)
printf 'kind\tn\tok_min\tall_exec_ms\tp50_exec_ms\tcpu_ms\n' >"$OUT/fleet.tsv"
for k in $KINDS; do
	med() { while read -r l; do bl_json "$1" <<<"$l"; done <"$BL_DIR/$k.jsonl" | bl_median; }
	okmin=$(while read -r l; do bl_json ok <<<"$l"; done <"$BL_DIR/$k.jsonl" | sort -n | head -n 1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$N" "$okmin" "$(med all_exec_ms)" "$(med p50_exec_ms)" \
		"$(med cpu_ms)" >>"$OUT/fleet.tsv"
done
echo
echo "$N entrypoints started at once, each fetching one 1 KiB secret; medians of $ROUNDS rounds (load $LOAD_END at the end)"
printf '%-10s %8s %16s %14s %14s\n' fleet "ok (min)" "all exec'd, ms" "median, ms" "CPU, ms"
awk -F'\t' 'NR > 1 {printf "%-10s %8s %16s %14s %14s\n", $1, $3 "/" $2, $4, $5, $6}' "$OUT/fleet.tsv"
val() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k {print $c}' "$OUT/fleet.tsv"; }
awk -v a="$(val proto 4)" -v b="$(val entry 4)" -v c="$(val replicas 4)" 'BEGIN {
	if (b > 0) printf "prototype / wallet-entry (one wallet serve): %.2fx;", a / b
	if (c > 0) printf " against 3 replicas: %.2fx\n", a / c }'
