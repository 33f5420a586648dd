#!/bin/bash
# What the manifest step costs (docs/BENCHMARKS.md, "The manifest step"): wallet-entry of this
# tree (manifest first, then one request per object) against wallet-entry of the release
# before manifests (BASE_REF, default 1.1.0's last commit: the signature and version in HTTP
# headers of /v1/objects/NAME), both against the same `wallet serve` of this tree, which
# answers both protocols. For 1 and 10 secrets of 1 KiB: median wall time to exec `true`,
# the server's CPU time per run (its utime + stime), and the requests per run (audit log).
# Usage: O=build bench/manifest-bench.sh [RUNS]   (BASE_REF=REV to compare with another one)
. "$(dirname "$0")/bench-lib.sh"
RUNS=${1:-${RUNS:-31}}
BASE_REF=${BASE_REF:-2ad83b8}
E=$BL_BIN/wallet-entry W=$BL_BIN/wallet KG=$BL_BIN/wallet-keygen
for b in "$E" "$W" "$KG"; do [ -x "$b" ] || bl_die "$b not built (make O=$O build)"; done

# the earlier wallet-entry, built from the repository's history into the bench directory
git -C "$BL_ROOT" cat-file -e "$BASE_REF^{commit}" 2>/dev/null || bl_die "no commit $BASE_REF here"
mkdir -p "$BL_DIR/base-src"
git -C "$BL_ROOT" archive "$BASE_REF" | tar -x -C "$BL_DIR/base-src" || bl_die "git archive failed"
make -s -C "$BL_DIR/base-src" -j"$(nproc)" O="$BL_DIR/base-build" build >"$BL_DIR/base-build.log" 2>&1 ||
	bl_die "building $BASE_REF failed (see $BL_DIR/base-build.log)"
EB=$BL_DIR/base-build/bin/wallet-entry

export GNUPGHOME=$BL_DIR/nohome
D=$BL_DIR/data
trap '_bl_cleanup; gpgconf --homedir "$D/gnupg" --kill gpg-agent 2>/dev/null' EXIT
bl_wallet_setup "$W" "$KG" 10
bl_wallet_serve "$W"
C=$K/clients/app1
export WALLET_URL=https://127.0.0.1:$P WALLET_CA=$C/ca.crt WALLET_CERT=$C/tls.crt \
	WALLET_KEY=$C/tls.key WALLET_GPG_KEY=$C/gpg.sec.asc WALLET_WAIT=0 \
	WALLET_SIGNER=$("$W" --data "$D" signing-key --fingerprint)

args() { local i; for i in $(seq 1 "$1"); do printf -- '--fetch\ns%s\n' "$i"; done; }
base() { mapfile -t a < <(args "$1"); "$EB" "${a[@]}" -- true; }
manifest() { mapfile -t a < <(args "$1"); "$E" "${a[@]}" -- true; }
server_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }

# one run: its wall time (us) and the server's CPU ticks during it
time_run() {
	local t0 t1 s0 s1
	s0=$(server_ticks)
	t0=$(date +%s%N)
	"$1" "$2" >/dev/null 2>&1 || bl_die "run failed: $*"
	t1=$(date +%s%N)
	s1=$(server_ticks)
	echo $(((t1 - t0) / 1000)) >>"$BL_DIR/$1-$2.txt"
	echo $((s1 - s0)) >>"$BL_DIR/$1-$2.ticks"
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'; }
requests() { # KIND N: requests one run makes, from the audit log
	local before
	before=$(wc -l <"$BL_DIR/audit.log")
	"$1" "$2" >/dev/null 2>&1 || bl_die "run failed: $*"
	echo $(($(wc -l <"$BL_DIR/audit.log") - before))
}

declare -A MED CPU REQ
KINDS="base manifest"
for n in 1 10; do
	for what in $KINDS; do
		REQ[$what-$n]=$(requests "$what" "$n") # also the warm-up, and a check
		: >"$BL_DIR/$what-$n.txt"
		: >"$BL_DIR/$what-$n.ticks"
	done
done
# interleaved, so that a change of the machine's load weighs on both alike
for r in $(seq 1 "$RUNS"); do
	for n in 1 10; do for what in $KINDS; do time_run "$what" "$n"; done; done
done
HZ=$(getconf CLK_TCK)
for n in 1 10; do
	for what in $KINDS; do
		MED[$what-$n]=$(median <"$BL_DIR/$what-$n.txt")
		CPU[$what-$n]=$(awk -v hz="$HZ" '{s += $1} END {printf "%.2f", s * 1000 / hz / NR}' \
			"$BL_DIR/$what-$n.ticks")
	done
done
bl_log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs; base $BASE_REF"
printf '%-46s %12s %12s\n' "$RUNS runs each" "1 secret" "10 secrets"
printf '%-46s %12s %12s\n' "requests per run, before manifests" "${REQ[base-1]}" "${REQ[base-10]}"
printf '%-46s %12s %12s\n' "requests per run, with the manifest" "${REQ[manifest-1]}" "${REQ[manifest-10]}"
printf '%-46s %12s %12s\n' "median wall ms, before manifests" "${MED[base-1]}" "${MED[base-10]}"
printf '%-46s %12s %12s\n' "median wall ms, with the manifest" "${MED[manifest-1]}" "${MED[manifest-10]}"
printf '%-46s %12s %12s\n' "server CPU ms per run, before manifests" "${CPU[base-1]}" "${CPU[base-10]}"
printf '%-46s %12s %12s\n' "server CPU ms per run, with the manifest" "${CPU[manifest-1]}" "${CPU[manifest-10]}"
