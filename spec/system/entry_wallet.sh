#!/bin/bash
# wallet-entry and libwalletclient against the real thing: keys from wallet-keygen init,
# objects stored with `wallet store`, served by `wallet serve` (with the signed manifests that
# store and serve keep, docs/FORMAT.md "Manifests").
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash" # fx_agents_gone only
at_exit "wait_until 10 fx_agents_gone"
E=$CW_BIN/wallet-entry W=$CW_BIN/wallet KG=$CW_BIN/wallet-keygen
for b in "$E" "$W" "$KG"; do [ -x "$b" ] || t_bail "$(basename "$b") not built"; done
export GNUPGHOME=$T_DIR/nohome
D=$T_DIR/data K=$T_DIR/keys
SHM=$(mktemp -d /dev/shm/cwentryw.XXXXXX)
at_exit "rm -rf $SHM"
"$KG" init --out "$K" --clients app1,app2 >/dev/null &&
	"$W" --data "$D" init >/dev/null &&
	"$W" --data "$D" importkey app1 <"$K/clients/app1/gpg.pub.asc" >/dev/null &&
	"$W" --data "$D" importkey app2 <"$K/clients/app2/gpg.pub.asc" >/dev/null ||
	{ echo "Bail out! wallet setup failed"; exit 1; }
at_exit "t_gpg_stop $D/gnupg"
SECRET="real-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
printf '%s' "$SECRET" >"$SHM/db"
head -c 5000 /dev/urandom >"$SHM/bin"
store() { "$W" --data "$D" store "$1" --to "$2" <"$3" >/dev/null; }
store db_pass app1 "$SHM/db" && store db_pass app1 "$SHM/db" && store tls.key app1 "$SHM/bin" &&
	store app1/a app1 "$SHM/db" && store app1/b app1 "$SHM/bin" && store only2 app2 "$SHM/db" ||
	{ echo "Bail out! wallet store failed"; exit 1; }
FPR=$(sed -n 's/.*"signing_key":"\([0-9A-F]*\)".*/\1/p' "$D/wallet.json")
P=$(pick_port)
serve() {
	"$W" --data "$D" serve --listen "127.0.0.1:$P" --tls-cert "$K/wallet/server.crt" \
		--tls-key "$K/wallet/server.key" --tls-ca "$K/ca/ca.crt" >>"$T_DIR/serve.log" 2>&1 &
	SPID=$!
	at_exit "kill $SPID; wait $SPID"
}
C=$K/clients/app1
export WALLET_URL=https://127.0.0.1:$P WALLET_CA=$C/ca.crt WALLET_CERT=$C/tls.crt \
	WALLET_KEY=$C/tls.key WALLET_GPG_KEY=$C/gpg.sec.asc WALLET_SIGNER=$FPR WALLET_WAIT=0

# started before the wallet: waits for it
"$E" --wait 60 --fetch db_pass -- sh -c '[ "$(cat "$DB_PASS_FILE")" = "$1" ]' sh "$SECRET" \
	>"$T_DIR/wait.log" 2>&1 &
epid=$!
at_exit "kill $epid"
t_ok "wallet not up yet: wallet-entry retries" wait_until 30 grep -q 'attempt 1:' "$T_DIR/wait.log"
serve
wait "$epid"
rc=$?
if [ "$rc" = 0 ]; then t_pass "... and succeeds once wallet serve is up"; else
	t_fail "... and succeeds once wallet serve is up" "exit $rc" "$(tail -n 3 "$T_DIR/wait.log")" \
		"$(tail -n 3 "$T_DIR/serve.log")"; fi
if wait_until 20 port_open "$P"; then t_pass "wallet serve listens"; else
	t_fail "wallet serve listens" "$(tail -n 5 "$T_DIR/serve.log")"; fi

t_ok "text secret through fd: (latest version)" \
	"$E" --verbose --fetch db_pass -- sh -c '[ "$(cat "$DB_PASS_FILE")" = "$1" ]' sh "$SECRET"
t_grep "... version 2 verified" "db_pass: version 2 verified" "$T_DIR/last.out"
t_nogrep "... and the secret is not in the output" "$SECRET" "$T_DIR/last.out"
t_ok "binary secret through file: on tmpfs" "$E" --fetch "tls.key=file:$SHM/k" -- cmp "$SHM/k" "$SHM/bin"
t_ok "text secret through env:" "$E" --fetch 'db_pass=env:P' -- sh -c '[ "$P" = "$1" ]' sh "$SECRET"
t_ok "group app1/" "$E" --fetch app1/ -- sh -c 'cmp "$APP1_A_FILE" "$1" && cmp "$APP1_B_FILE" "$2"' sh "$SHM/db" "$SHM/bin"
t_ok "minimum version 2: accepted" "$E" --fetch db_pass@2 -- true
t_exit "minimum version 3 when 2 is the latest: refused" 1 "$E" --fetch db_pass@3 -- true
t_grep "... as a rollback" "older than the required minimum" "$T_DIR/last.out"
t_exit "an object of another client: not found, PROGRAM not run" 1 "$E" --fetch only2 -- touch "$T_DIR/ran"
t_grep "... reported as not found" "only2: not found" "$T_DIR/last.out"
t_cond "... PROGRAM did not run" ! -e "$T_DIR/ran"
t_exit "two failures: one line each, then the summary" 1 "$E" --fetch nope --fetch only2 --fetch db_pass -- true
t_cond "... exactly two failure lines" "$(grep -c -e '^wallet-entry: nope: ' -e '^wallet-entry: only2: ' "$T_DIR/last.out")" = 2
t_exit "a wrong pinned fingerprint: refused" 1 env WALLET_SIGNER=0123456789ABCDEF0123456789ABCDEF01234567 "$E" --fetch db_pass -- true
t_grep "... the served key is not the pinned one" "pinned fingerprint" "$T_DIR/last.out"
C2=$K/clients/app2
t_exit "app2 asking for app1's object: refused (not a recipient)" 1 \
	env WALLET_CERT="$C2/tls.crt" WALLET_KEY="$C2/tls.key" WALLET_GPG_KEY="$C2/gpg.sec.asc" \
	"$E" --fetch db_pass -- true
t_ok "app2 gets its own object" env WALLET_CERT="$C2/tls.crt" WALLET_KEY="$C2/tls.key" \
	WALLET_GPG_KEY="$C2/gpg.sec.asc" "$E" --fetch only2 -- sh -c '[ "$(cat "$ONLY2_FILE")" = "$1" ]' sh "$SECRET"
# a client whose TLS identity is app1 but whose GPG key is app2's cannot decrypt
t_exit "the wrong GPG key cannot decrypt: refused" 1 env WALLET_GPG_KEY="$C2/gpg.sec.asc" "$E" --fetch db_pass -- true
t_grep "... as a key or decryption failure" "decryption" "$T_DIR/last.out"
# a version stored while wallet serve runs: store re-signs app1's manifest, which serve hands
# out from the data directory, so the client sees it at once
store db_pass app1 "$SHM/db" || t_fail "a third version of db_pass stored"
t_ok "a version stored while wallet serve runs: fetched at once" \
	"$E" --verbose --fetch db_pass@3 -- sh -c '[ "$(cat "$DB_PASS_FILE")" = "$1" ]' sh "$SECRET"
t_grep "... version 3 verified" "db_pass: version 3 verified" "$T_DIR/last.out"
"$W" --data "$D" revoke app1 >/dev/null 2>&1
t_exit "a revoked client: refused" 1 "$E" --fetch db_pass -- true
t_grep "... access denied" "access denied" "$T_DIR/last.out"
exit 0
