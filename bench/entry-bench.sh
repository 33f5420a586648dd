#!/bin/bash
# wallet-entry against the prototype's entrypoint (bench/prototype-entry.sh), both fetching
# 1 KiB secrets from the same `wallet serve` on 127.0.0.1 (audit log to a file), from start to
# the exec of PROGRAM (`true`), for 1 and 10 secrets. Kinds, one run of each per round so that
# a change of the machine's load weighs on all alike:
#   proto        the prototype: fresh GNUPGHOME, key import, `curl | gpg -d` per secret, the
#                agent stopped (its CPU is not counted: it leaves the process tree)
#   entry        wallet-entry --gpg-key, the default (rnp) engine: pinned key, manifest, both
#                signatures and the name/version binding checked
#   entry_sk     the same with the wallet's key from a file (--signer-key): one request less
#   entry_gnupg  --openpgp gnupg: a throwaway GNUPGHOME and agent per run
#   before       wallet-entry of BEFORE_REF (default: the tree before this benchmark's
#                changes), built from the repository's history; BEFORE_REF=none skips it
# Medians of RUNS runs of wall time and of CPU time (user + system of the run and every
# process it waited for, from the shell's `times`), then the load-independent figures:
# instructions of a 1-secret run (callgrind, children followed), of --help, relocations and
# shared libraries at start. Results: $O/bench/entry.tsv, entry-static.tsv (bench/plot.sh).
# Usage: O=build bench/entry-bench.sh [RUNS]
. "$(dirname "$0")/bench-lib.sh"
RUNS=${1:-${RUNS:-31}}
BEFORE_REF=${BEFORE_REF:-9c0606d}
E=$BL_BIN/wallet-entry W=$BL_BIN/wallet KG=$BL_BIN/wallet-keygen
PROTO=$BL_ROOT/bench/prototype-entry.sh
for b in "$E" "$W" "$KG"; do [ -x "$b" ] || bl_die "$b not built (make O=$O build)"; done
command -v curl >/dev/null && command -v gpg >/dev/null || bl_die "curl and gpg needed"
OUT=$BL_BUILD/bench
mkdir -p "$OUT"
bl_log "load at start: $(bl_load)"

EB=""
if [ "$BEFORE_REF" != none ]; then
	git -C "$BL_ROOT" cat-file -e "$BEFORE_REF^{commit}" 2>/dev/null || bl_die "no commit $BEFORE_REF"
	mkdir -p "$BL_DIR/before-src"
	git -C "$BL_ROOT" archive "$BEFORE_REF" | tar -x -C "$BL_DIR/before-src" || bl_die "git archive failed"
	bl_log "building wallet-entry of $BEFORE_REF"
	make -s -C "$BL_DIR/before-src" -j"$(nproc)" O="$BL_DIR/before-build" \
		"$BL_DIR/before-build/bin/wallet-entry" >"$BL_DIR/before-build.log" 2>&1 ||
		bl_die "building $BEFORE_REF failed (see $BL_DIR/before-build.log)"
	EB=$BL_DIR/before-build/bin/wallet-entry
fi

export GNUPGHOME=$BL_DIR/nohome
K=$BL_DIR/keys D=$BL_DIR/data SHM=$(mktemp -d /dev/shm/cwbench.XXXXXX)
trap '_bl_cleanup; gpgconf --homedir "$D/gnupg" --kill gpg-agent 2>/dev/null; rm -rf "$SHM"' EXIT
"$KG" init --out "$K" >/dev/null && "$W" --data "$D" init >/dev/null &&
	"$W" --data "$D" importkey app1 <"$K/clients/app1/gpg.pub.asc" >/dev/null || bl_die "setup failed"
for i in $(seq 1 10); do
	head -c 1024 /dev/urandom | "$W" --data "$D" store "s$i" --to app1 >/dev/null || bl_die "store failed"
done
"$W" --data "$D" signing-key >"$BL_DIR/wallet.asc" || bl_die "signing-key failed"
P=$(bl_pick_port)
bl_spawn "$BL_DIR/serve.log" "$W" --data "$D" serve --listen "127.0.0.1:$P" \
	--tls-cert "$K/wallet/server.crt" --tls-key "$K/wallet/server.key" --tls-ca "$K/ca/ca.crt" \
	--audit-log "$BL_DIR/audit.log" --request-timeout-ms 60000 # callgrind's runs are 50x slower
bl_wait_port "$P" "$BL_PID" || bl_die "wallet serve did not start"
C=$K/clients/app1
export WALLET_URL=https://127.0.0.1:$P WALLET_CA=$C/ca.crt WALLET_CERT=$C/tls.crt \
	WALLET_KEY=$C/tls.key WALLET_GPG_KEY=$C/gpg.sec.asc WALLET_WAIT=0 \
	WALLET_SIGNER=$("$W" --data "$D" signing-key --fingerprint) PROTO_SIGNER_PUB=$BL_DIR/wallet.asc

# the argument lists, made once (a command substitution in the timed region would add a fork)
declare -A NAMES FETCHES
for n in 1 10; do
	NAMES[$n]=$(for i in $(seq 1 "$n"); do printf 's%s ' "$i"; done)
	FETCHES[$n]=$(for i in $(seq 1 "$n"); do printf -- '--fetch s%s ' "$i"; done)
done
# shellcheck disable=SC2086 # the lists are meant to split into words
proto() { sh "$PROTO" "$WALLET_URL/v1/objects" "$C/ca.crt" "$C/tls.crt" "$C/tls.key" "$C/gpg.sec.asc" ${NAMES[$1]} -- true; }
# shellcheck disable=SC2086
entry() { "$E" ${FETCHES[$1]} -- true; }
# shellcheck disable=SC2086
entry_sk() { "$E" --signer-key "$BL_DIR/wallet.asc" ${FETCHES[$1]} -- true; }
# shellcheck disable=SC2086
entry_gnupg() { "$E" --openpgp gnupg ${FETCHES[$1]} -- true; }
# shellcheck disable=SC2086
before() { "$EB" ${FETCHES[$1]} -- true; }
KINDS="proto entry entry_sk entry_gnupg"
[ -n "$EB" ] && KINDS="$KINDS before"

# time_run KIND N: one run; appends its wall and CPU time (ms). `times` runs in this shell
# (not in a pipe), so that it sees this shell's children.
cpu_ms() {
	awk 'NR == 2 { split($1, a, /[ms]/); split($2, b, /[ms]/);
		printf "%.3f", (a[1] * 60 + a[2] + b[1] * 60 + b[2]) * 1000 }' "$1"
}
# The clock is bash's own EPOCHREALTIME (microseconds): `$(date +%s%N)` forked a subshell and
# ran date inside the timed span, about 1.5 ms of every figure (the shell's fork and exec of
# the command remain: see /bin/true below).
time_run() {
	local t0 t1
	times >"$BL_DIR/times0"
	t0=$EPOCHREALTIME
	"$1" "$2" >/dev/null 2>"$BL_DIR/run.err" || bl_die "run failed: $*: $(tail -n 3 "$BL_DIR/run.err")"
	t1=$EPOCHREALTIME
	times >"$BL_DIR/times1"
	awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN {printf "%.3f\n", (b - a) * 1e3}' >>"$BL_DIR/$1-$2.wall"
	awk -v a="$(cpu_ms "$BL_DIR/times0")" -v b="$(cpu_ms "$BL_DIR/times1")" \
		'BEGIN {printf "%.3f\n", b - a}' >>"$BL_DIR/$1-$2.cpu"
}

for n in 1 10; do
	for k in $KINDS; do
		"$k" "$n" >/dev/null 2>&1 || bl_die "$k $n failed" # warm-up, and a check
		: >"$BL_DIR/$k-$n.wall"
		: >"$BL_DIR/$k-$n.cpu"
	done
done
for r in $(seq 1 "$RUNS"); do
	for n in 1 10; do
		for k in $KINDS; do time_run "$k" "$n"; done
	done
done
LOAD_END=$(bl_load)
bl_log "load at the end: $LOAD_END"

printf 'kind\tsecrets\twall_ms\tcpu_ms\n' >"$OUT/entry.tsv"
for n in 1 10; do
	for k in $KINDS; do
		printf '%s\t%s\t%s\t%s\n' "$k" "$n" "$(bl_median <"$BL_DIR/$k-$n.wall")" \
			"$(bl_median <"$BL_DIR/$k-$n.cpu")" >>"$OUT/entry.tsv"
	done
done
val() { awk -F'\t' -v k="$1" -v n="$2" -v c="$3" '$1 == k && $2 == n {print $c}' "$OUT/entry.tsv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "-"}'; }
printf '\nmedian of %s runs, ms (load %s at the end)   1 secret: wall   cpu | 10 secrets: wall   cpu\n' "$RUNS" "$LOAD_END"
for k in $KINDS; do
	printf '%-44s %9s %6s | %15s %6s\n' "$k" "$(val "$k" 1 3)" "$(val "$k" 1 4)" "$(val "$k" 10 3)" "$(val "$k" 10 4)"
done
printf '%-44s %9s %6s | %15s %6s\n' "prototype / wallet-entry" "$(ratio "$(val proto 1 3)" "$(val entry 1 3)")" \
	"$(ratio "$(val proto 1 4)" "$(val entry 1 4)")" "$(ratio "$(val proto 10 3)" "$(val entry 10 3)")" \
	"$(ratio "$(val proto 10 4)" "$(val entry 10 4)")"
[ -n "$EB" ] && printf '%-44s %9s %6s | %15s %6s\n' "before / wallet-entry" \
	"$(ratio "$(val before 1 3)" "$(val entry 1 3)")" "$(ratio "$(val before 1 4)" "$(val entry 1 4)")" \
	"$(ratio "$(val before 10 3)" "$(val entry 10 3)")" "$(ratio "$(val before 10 4)" "$(val entry 10 4)")"

# --- load-independent figures ---
help_wall() {
	local i t0 t1
	for i in $(seq 1 "$RUNS"); do
		t0=$EPOCHREALTIME
		"$1" --help >/dev/null
		t1=$EPOCHREALTIME
		awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN {printf "%.3f\n", (b - a) * 1e3}'
	done | bl_median
}
relocs() { LD_DEBUG=statistics "$1" --help 2>&1 >/dev/null | awk '/number of relocations:/ {print $NF; exit}'; }
libs() { ldd "$1" | grep -c '=>'; }
static_row() { # LABEL BINARY
	local sup=(--supervise)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(help_wall "$2")" "$(relocs "$2")" "$(libs "$2")" \
		"$(bl_callgrind_ir "$BL_DIR/cg-help.log" "$2" --help)" \
		"$(bl_callgrind_ir "$BL_DIR/cg-run.log" "$2" "${sup[@]}" --fetch s1 -- true)"
}
printf 'binary\thelp_wall_ms\trelocations\tshared_libs\thelp_instructions\tfetch1_instructions\n' >"$OUT/entry-static.tsv"
static_row now "$E" >>"$OUT/entry-static.tsv"
[ -n "$EB" ] && static_row before "$EB" >>"$OUT/entry-static.tsv"
PROTO_IR=$(bl_callgrind_ir "$BL_DIR/cg-proto.log" sh "$PROTO" "$WALLET_URL/v1/objects" "$C/ca.crt" \
	"$C/tls.crt" "$C/tls.key" "$C/gpg.sec.asc" s1 -- true)
printf 'prototype\t-\t-\t-\t-\t%s\n' "$PROTO_IR" >>"$OUT/entry-static.tsv"
echo
printf '%-10s %14s %12s %12s %18s %22s\n' binary "--help ms" relocations "shared libs" "--help instr." "1 secret, instr."
awk -F'\t' 'NR > 1 {printf "%-10s %14s %12s %12s %18s %22s\n", $1, $2, $3, $4, $5, $6}' "$OUT/entry-static.tsv"
echo "(--help ms: timed from this shell like the runs above; /bin/true timed the same way: $(help_wall /bin/true) ms)"
echo "(instructions: callgrind, every process of the run; wallet-entry runs --supervise there, since"
echo " a process's count is lost when it execs; the prototype's shell loses its own the same way)"
