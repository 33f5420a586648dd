#!/bin/bash
# Scale-out (docs/DESIGN.md, "Scale-out"): replicas of `wallet serve` run from a read-only copy
# of the data directory that holds no secret key, while one writer publishes. A replica on a
# read-only bind mount of the writer's directory serves each new version at once, and
# wallet-entry's full verification accepts what a key-less read-only replica serves.
. "$(dirname "$0")/../lib.sh"
W=$CW_BIN/wallet KG=$CW_BIN/wallet-keygen E=$CW_BIN/wallet-entry
[ "$(id -u)" -eq 0 ] || t_bail "read-only bind mounts need root (the tests run as root)"
export GNUPGHOME=$T_DIR/nohome
K=$T_DIR/keys D=$T_DIR/writer
"$KG" init --out "$K" --clients app1 >/dev/null || t_bail "wallet-keygen init failed"
"$W" --data "$D" init >/dev/null && "$W" --data "$D" importkey app1 <"$K/clients/app1/gpg.pub.asc" >/dev/null ||
	t_bail "wallet setup failed"
at_exit "t_gpg_stop $D/gnupg"
s1="one-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')" s2="two-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
printf '%s' "$s1" | "$W" --data "$D" store db_pass --to app1 >/dev/null || t_bail "store failed"

# replica 1: a read-only bind mount of the writer's directory
R1=$T_DIR/r1
mkdir -p "$R1" && mount --bind "$D" "$R1" && mount -o remount,ro,bind "$R1" || t_bail "bind mount failed"
at_exit "umount -l $R1"
t_exit "replica 1 is read-only" 1 touch "$R1/x"
# replica 2: a copy without the wallet's secret key, also mounted read-only
C2=$T_DIR/copy R2=$T_DIR/r2
cp -a "$D" "$C2" && rm -rf "$C2/gnupg/private-keys-v1.d" "$C2"/gnupg/S.*
mkdir -p "$R2" && mount --bind "$C2" "$R2" && mount -o remount,ro,bind "$R2" || t_bail "bind mount failed"
at_exit "umount -l $R2"
t_cond "replica 2 holds no secret key" ! -e "$R2/gnupg/private-keys-v1.d"

TLS=(--tls-cert "$K/wallet/server.crt" --tls-key "$K/wallet/server.key" --tls-ca "$K/ca/ca.crt")
serve() { # serve DATA PORT
	"$W" --data "$1" serve --listen "127.0.0.1:$2" "${TLS[@]}" --audit-log "$T_DIR/audit-$2.log" \
		2>>"$T_DIR/serve.log" &
	at_exit "kill $!; wait $!"
	wait_until 30 port_open "$2"
}
P1=$(pick_port); serve "$R1" "$P1"
P2=$(pick_port); serve "$R2" "$P2"
C=$K/clients/app1
CURL=(curl -s --cacert "$C/ca.crt" --cert "$C/tls.crt" --key "$C/tls.key")
t_ok "replica 1 serves db_pass" "${CURL[@]}" -f -o "$T_DIR/o1" -D "$T_DIR/h1" "https://localhost:$P1/v1/objects/db_pass"
t_grep "... version 1" "X-Wallet-Version: 1" "$T_DIR/h1"
printf '%s' "$s2" | "$W" --data "$D" store db_pass --to app1 >/dev/null
t_ok "after a store on the writer, replica 1 serves the new version at once" \
	"${CURL[@]}" -f -o /dev/null -D "$T_DIR/h2" "https://localhost:$P1/v1/objects/db_pass"
t_grep "... version 2" "X-Wallet-Version: 2" "$T_DIR/h2"
t_ok "replica 2 (no secret key) serves its signing key" "${CURL[@]}" -f -o "$T_DIR/key" "https://localhost:$P2/v1/signing-key"
t_grep "... armored" "BEGIN PGP PUBLIC KEY BLOCK" "$T_DIR/key"

FPR=$("$W" --data "$D" signing-key --fingerprint)
export WALLET_CA=$C/ca.crt WALLET_CERT=$C/tls.crt WALLET_KEY=$C/tls.key WALLET_GPG_KEY=$C/gpg.sec.asc \
	WALLET_SIGNER=$FPR WALLET_WAIT=0
t_ok "wallet-entry accepts version 1 from replica 2 (full verification)" \
	env WALLET_URL="https://localhost:$P2" "$E" --fetch db_pass -- sh -c '[ "$(cat "$DB_PASS_FILE")" = "$1" ]' sh "$s1"
t_ok "wallet-entry gets version 2 from replica 1, failing over from a dead URL" \
	env WALLET_URL="https://localhost:$(pick_port),https://localhost:$P1" "$E" --fetch db_pass@2 -- \
	sh -c '[ "$(cat "$DB_PASS_FILE")" = "$1" ]' sh "$s2"
t_exit "replica 2 does not have version 2: a minimum of 2 is refused there" 1 \
	env WALLET_URL="https://localhost:$P2" "$E" --fetch db_pass@2 -- true
if grep -qF -e "$s1" -e "$s2" "$T_DIR"/audit-*.log "$T_DIR/serve.log"; then t_fail "no secret in the replicas' logs"; else
	t_pass "no secret in the replicas' logs"; fi
