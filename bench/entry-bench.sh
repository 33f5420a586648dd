#!/bin/bash
# wallet-entry vs the prototype's entrypoint: the time from start to exec'ing `true`
# with 1 and with 10 secrets of 1 KiB, from the same `wallet serve` on 127.0.0.1.
#   prototype: per secret, `curl --cacert --cert --key URL | gpg --decrypt` into a file on
#              /dev/shm, with the client key already imported into a GNUPGHOME whose agent
#              keeps running between runs (the prototype's best case), then `true`
#   wallet-entry --gpg-key: what a container does, with the default engine for a key file
#              (rnp, in process): reads the key, verifies both signatures, decrypts
#   wallet-entry --gpg-key --openpgp gnupg: the same through gpgme: imports the key into a
#              fresh throwaway GNUPGHOME (a new gpg-agent) on every run, two gpg runs per secret
#   wallet-entry --gnupghome: the same GNUPGHOME as the prototype (warm agent; gnupg engine)
# Median of RUNS runs (default 31) and the ratio. Usage: O=build bench/entry-bench.sh [RUNS]
. "$(dirname "$0")/bench-lib.sh"
RUNS=${1:-${RUNS:-31}}
E=$BL_BIN/wallet-entry W=$BL_BIN/wallet KG=$BL_BIN/wallet-keygen
for b in "$E" "$W" "$KG"; do [ -x "$b" ] || bl_die "$b not built (make O=$O build)"; done
command -v curl >/dev/null && command -v gpg >/dev/null || bl_die "curl and gpg needed"
export GNUPGHOME=$BL_DIR/nohome
K=$BL_DIR/keys D=$BL_DIR/data H=$BL_DIR/proto-gnupg SHM=$(mktemp -d /dev/shm/cwbench.XXXXXX)
trap '_bl_cleanup; gpgconf --homedir "$H" --kill gpg-agent 2>/dev/null; gpgconf --homedir "$D/gnupg" --kill gpg-agent 2>/dev/null; rm -rf "$SHM"' EXIT
"$KG" init --out "$K" >/dev/null && "$W" --data "$D" init >/dev/null &&
	"$W" --data "$D" importkey app1 <"$K/clients/app1/gpg.pub.asc" >/dev/null || bl_die "setup failed"
for i in $(seq 1 10); do
	head -c 1024 /dev/urandom | "$W" --data "$D" store "s$i" --to app1 >/dev/null || bl_die "store failed"
done
FPR=$(sed -n 's/.*"signing_key":"\([0-9A-F]*\)".*/\1/p' "$D/wallet.json")
P=$(bl_pick_port)
bl_spawn "$BL_DIR/serve.log" "$W" --data "$D" serve --listen "127.0.0.1:$P" \
	--tls-cert "$K/wallet/server.crt" --tls-key "$K/wallet/server.key" --tls-ca "$K/ca/ca.crt"
bl_wait_port "$P" "$BL_PID" || bl_die "wallet serve did not start"
C=$K/clients/app1
mkdir -m 0700 "$H"
gpg --homedir "$H" --batch --quiet --import "$C/gpg.sec.asc" 2>/dev/null || bl_die "gpg import failed"
"$W" --data "$D" signing-key >"$BL_DIR/wallet.asc" 2>/dev/null ||
	curl -sS --cacert "$C/ca.crt" --cert "$C/tls.crt" --key "$C/tls.key" \
		"https://127.0.0.1:$P/v1/signing-key" >"$BL_DIR/wallet.asc"
gpg --homedir "$H" --batch --quiet --import "$BL_DIR/wallet.asc" 2>/dev/null
export WALLET_URL=https://127.0.0.1:$P WALLET_CA=$C/ca.crt WALLET_CERT=$C/tls.crt \
	WALLET_KEY=$C/tls.key WALLET_SIGNER=$FPR WALLET_WAIT=0

proto() { # N: the prototype's loop
	local i
	for i in $(seq 1 "$1"); do
		curl -sS --cacert "$C/ca.crt" --cert "$C/tls.crt" --key "$C/tls.key" \
			"https://127.0.0.1:$P/v1/objects/s$i" |
			gpg --homedir "$H" --batch --quiet --decrypt >"$SHM/s$i" 2>/dev/null || return 1
	done
	rm -f "$SHM"/s*
	true
}
entry_args() { local i; for i in $(seq 1 "$1"); do printf -- '--fetch\ns%s\n' "$i"; done; }
entry_key() { mapfile -t a < <(entry_args "$1"); "$E" --gpg-key "$C/gpg.sec.asc" "${a[@]}" -- true; }
entry_gnupg() {
	mapfile -t a < <(entry_args "$1")
	"$E" --openpgp gnupg --gpg-key "$C/gpg.sec.asc" "${a[@]}" -- true
}
entry_home() { mapfile -t a < <(entry_args "$1"); "$E" --gnupghome "$H" "${a[@]}" -- true; }

# time_run KIND N: one run; appends its wall time and its CPU time (user + system of the run
# and every process it waited for: curl, gpg; not the long-lived gpg-agent) in ms.
# `times` runs in this shell (not in a pipe), so that it sees this shell's children.
cpu_us() {
	awk 'NR == 2 { split($1, a, /[ms]/); split($2, b, /[ms]/);
		printf "%d", (a[1] * 60 + a[2] + b[1] * 60 + b[2]) * 1000000 }' "$1"
}
time_run() {
	local t0 t1 c0 c1
	times >"$BL_DIR/times0"
	t0=$(date +%s%N)
	"$1" "$2" >/dev/null 2>&1 || bl_die "run failed: $*"
	t1=$(date +%s%N)
	times >"$BL_DIR/times1"
	c0=$(cpu_us "$BL_DIR/times0")
	c1=$(cpu_us "$BL_DIR/times1")
	echo $(((t1 - t0) / 1000)) >>"$BL_DIR/$1-$2.txt"
	echo $((c1 - c0)) >>"$BL_DIR/$1-$2.cpu"
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'; }

# Runs are interleaved (one of each kind per round), so that a change in the machine's load
# during the benchmark weighs on every kind alike.
declare -A MED CPU
KINDS="proto entry_key entry_gnupg entry_home"
for n in 1 10; do
	for what in $KINDS; do
		"$what" "$n" >/dev/null 2>&1 || bl_die "$what $n failed" # warm-up, and a check
		: >"$BL_DIR/$what-$n.txt"
		: >"$BL_DIR/$what-$n.cpu"
	done
done
for r in $(seq 1 "$RUNS"); do
	for n in 1 10; do
		for what in $KINDS; do time_run "$what" "$n"; done
	done
done
for n in 1 10; do
	for what in $KINDS; do
		MED[$what-$n]=$(median <"$BL_DIR/$what-$n.txt")
		CPU[$what-$n]=$(median <"$BL_DIR/$what-$n.cpu")
	done
done
bl_log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
printf '%-44s %12s %12s\n' "median of $RUNS runs, ms" "1 secret" "10 secrets"
printf '%-44s %12s %12s\n' "prototype (curl | gpg --decrypt per secret)" "${MED[proto-1]}" "${MED[proto-10]}"
printf '%-44s %12s %12s\n' "wallet-entry --gpg-key (rnp, in process)" "${MED[entry_key-1]}" "${MED[entry_key-10]}"
printf '%-44s %12s %12s\n' "wallet-entry --gpg-key --openpgp gnupg" "${MED[entry_gnupg-1]}" "${MED[entry_gnupg-10]}"
printf '%-44s %12s %12s\n' "wallet-entry --gnupghome (warm agent)" "${MED[entry_home-1]}" "${MED[entry_home-10]}"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo
printf '%-44s %12s %12s\n' "median CPU time (incl. curl/gpg), ms" "1 secret" "10 secrets"
for what in $KINDS; do printf '%-44s %12s %12s\n' "$what" "${CPU[$what-1]}" "${CPU[$what-10]}"; done
printf '%-44s %12s %12s\n' "CPU ratio, prototype / --gpg-key" "$(ratio "${CPU[proto-1]}" "${CPU[entry_key-1]}")x" "$(ratio "${CPU[proto-10]}" "${CPU[entry_key-10]}")x"
echo
printf '%-44s %12s %12s\n' "speed-up, --gpg-key vs prototype" "$(ratio "${MED[proto-1]}" "${MED[entry_key-1]}")x" "$(ratio "${MED[proto-10]}" "${MED[entry_key-10]}")x"
printf '%-44s %12s %12s\n' "speed-up, --openpgp gnupg vs prototype" "$(ratio "${MED[proto-1]}" "${MED[entry_gnupg-1]}")x" "$(ratio "${MED[proto-10]}" "${MED[entry_gnupg-10]}")x"
printf '%-44s %12s %12s\n' "speed-up, --gnupghome vs prototype" "$(ratio "${MED[proto-1]}" "${MED[entry_home-1]}")x" "$(ratio "${MED[proto-10]}" "${MED[entry_home-10]}")x"
