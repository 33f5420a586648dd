#!/bin/bash
# No valgrind errors (invalid reads/writes, uninitialised use, definite leaks) in the three
# programs on their main paths: keygen, the admin CLI, the server under real requests, and
# wallet-entry (in --supervise mode, so that valgrind sees it exit instead of exec).
. "$(dirname "$0")/../lib.sh"
command -v valgrind >/dev/null || { t_fail "valgrind is installed (make deps)"; exit 1; }
[ "${SAN:-0}" = 1 ] && t_skip_all "sanitizer build: valgrind does not run ASan binaries"
W=$CW_BIN/wallet KG=$CW_BIN/wallet-keygen E=$CW_BIN/wallet-entry
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
	--show-leak-kinds=definite --track-fds=no)
export GNUPGHOME=$T_DIR/nohome
K=$T_DIR/keys D=$T_DIR/data
vg() { # vg DESC CMD...: CMD under valgrind exits 0 and valgrind reported nothing
	local d=$1; shift
	"${VG[@]}" --log-file="$T_DIR/vg.%p" "$@" >"$T_DIR/last.out" 2>&1
	local rc=$?
	if [ "$rc" -eq 0 ] && ! grep -qs . "$T_DIR"/vg.*; then t_pass "valgrind clean: $d"; else
		t_fail "valgrind clean: $d" "exit $rc" "$(cat "$T_DIR"/vg.* 2>/dev/null | head -30)"; fi
	rm -f "$T_DIR"/vg.*
}

vg "wallet-keygen ca" "$KG" ca --out "$K/ca"
vg "wallet-keygen server" "$KG" server --ca "$K/ca" --out "$K/wallet" --cn localhost
vg "wallet-keygen client" "$KG" client --ca "$K/ca" --out "$K/app1" --cn app1
vg "wallet-keygen gpg" "$KG" gpg --out "$K/app1" --name app1
vg "wallet-keygen renew" "$KG" renew --ca "$K/ca" --cert "$K/wallet/server.crt"
openssl req -new -key "$K/app1/tls.key" -subj /CN=app1 -out "$T_DIR/app1.csr" 2>/dev/null
vg "wallet-keygen sign" "$KG" sign --ca "$K/ca" --csr "$T_DIR/app1.csr" --out "$K/app1/csr.crt"
vg "wallet init" "$W" --data "$D" init
vg "wallet importkey" sh -c "exec ${VG[*]} --log-file=$T_DIR/vg.%p '$W' --data '$D' importkey app1 < '$K/app1/app1.pub.asc'"
SECRET="vg-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
printf '%s' "$SECRET" >"$T_DIR/s"
vg "wallet store" sh -c "exec ${VG[*]} --log-file=$T_DIR/vg.%p '$W' --data '$D' store db_pass --to app1 < '$T_DIR/s'"
vg "wallet list --json" "$W" --data "$D" list --json
vg "wallet checkintegrity" "$W" --data "$D" checkintegrity
vg "wallet checkintegrity with TLS files" "$W" --data "$D" checkintegrity \
	--tls-cert "$K/wallet/server.crt" --tls-ca "$K/ca/ca.crt"
vg "wallet rotate-signing-key" "$W" --data "$D" rotate-signing-key
vg "wallet signing-key --list" "$W" --data "$D" signing-key --list
vg "wallet signing-key --signed-by" "$W" --data "$D" signing-key --signed-by "$("$W" --data "$D" signing-key --fingerprint)"
vg "wallet store: bad name (error path)" sh -c "! ${VG[*]} --log-file=$T_DIR/vg.%p '$W' --data '$D' store ../x --to app1 < '$T_DIR/s'"

P=$(pick_port)
"${VG[@]}" --log-file="$T_DIR/serve.vg" "$W" --data "$D" serve --listen "127.0.0.1:$P" \
	--tls-cert "$K/wallet/server.crt" --tls-key "$K/wallet/server.key" --tls-ca "$K/ca/ca.crt" \
	--audit-log "$T_DIR/audit.log" >"$T_DIR/serve.out" 2>&1 &
spid=$!
at_exit "kill -9 $spid"
t_ok "wallet serve under valgrind comes up" wait_until 120 port_open "$P"
FPR=$("$W" --data "$D" signing-key --fingerprint)
export WALLET_URL=https://localhost:$P WALLET_CA=$K/app1/ca.crt WALLET_CERT=$K/app1/tls.crt \
	WALLET_KEY=$K/app1/tls.key WALLET_GPG_KEY=$K/app1/app1.sec.asc WALLET_SIGNER=$FPR WALLET_WAIT=60
vg "wallet-entry --supervise fetch + run (rnp engine)" "$E" --supervise --fetch db_pass -- sh -c '[ "$(cat "$DB_PASS_FILE")" = "$1" ]' sh "$SECRET"
vg "wallet-entry --supervise fetch + run (gnupg engine)" "$E" --openpgp gnupg --supervise --fetch db_pass -- sh -c '[ "$(cat "$DB_PASS_FILE")" = "$1" ]' sh "$SECRET"
vg "wallet-entry: unknown object (error path)" sh -c "! ${VG[*]} --log-file=$T_DIR/vg.%p '$E' --supervise --fetch nope -- true"
printf 'p={{ secret "db_pass" }}{{ "{{" }}' >"$T_DIR/t.tmpl"
printf '\n{{ secret "db_pass" "key" }}' >"$T_DIR/bad.tmpl"
vg "wallet-entry --supervise --template" "$E" --supervise --template "$T_DIR/t.tmpl=env:T" -- sh -c '[ "$T" = "p=$1{{" ]' sh "$SECRET"
vg "wallet-entry --template: a KEY on a text secret (error path)" sh -c "! ${VG[*]} --log-file=$T_DIR/vg.%p '$E' --supervise --template '$T_DIR/bad.tmpl=fd:X' -- true"
# the spec file, --optional, env-json, --print, and refusals (wallet-entry's second day)
printf '{"user": "u", "password": "%s", "port": 1}' "$SECRET" >"$T_DIR/j"
"$W" --data "$D" store db.json --to app1 <"$T_DIR/j" >/dev/null || t_fail "wallet store db.json"
printf '{"fetch": ["db_pass", "db.json=env-json:J_"], "optional": "nope", "supervise": true,
  "command": ["sh", "-c", "[ \\"$J_PASSWORD\\" = \\"$(cat \\"$DB_PASS_FILE\\")\\" ]"]}' >"$T_DIR/spec.json"
vg "wallet-entry --spec: --optional (missing) and env-json" "$E" --spec "$T_DIR/spec.json"
vg "wallet-entry --print into a pipe" sh -c "${VG[*]} --log-file=$T_DIR/vg.%p '$E' --print db_pass | cmp -s - '$T_DIR/s'"
vg "wallet-entry: two deliveries to one variable (usage error path)" \
	sh -c "! ${VG[*]} --log-file=$T_DIR/vg.%p '$E' --fetch a=env:X --fetch b=env:X -- true"
printf '{"fetch": "db_pass", "fetch": "x"}' >"$T_DIR/bad.json"
vg "wallet-entry: a refused spec file (usage error path)" \
	sh -c "! ${VG[*]} --log-file=$T_DIR/vg.%p '$E' --spec '$T_DIR/bad.json' -- true"
vg "wallet-entry: a template's DEST where a --fetch delivers (usage error path)" \
	sh -c "! ${VG[*]} --log-file=$T_DIR/vg.%p '$E' --fetch db_pass=env:T --template '$T_DIR/t.tmpl=env:T' -- true"
# wallet-entry --watch: polls (304s), a rotation (a new version stored meanwhile: PROGRAM
# restarted with it), then PROGRAM's own exit ends the watch
SECRET2="vg2-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
printf '%s' "$SECRET2" >"$T_DIR/s2"
"${VG[@]}" --log-file="$T_DIR/vg.%p" "$E" --watch 1 --supervise --fetch db_pass -- \
	sh -c 'touch "$2"; [ "$(cat "$DB_PASS_FILE")" = "$1" ] && exit 0; while :; do sleep 0.1; done' \
	sh "$SECRET2" "$T_DIR/started" >"$T_DIR/watch.out" 2>&1 &
wpid=$!
at_exit "kill -9 $wpid"
wait_until 120 test -e "$T_DIR/started" || t_fail "wallet-entry --watch under valgrind starts PROGRAM"
"$W" --data "$D" store db_pass --to app1 <"$T_DIR/s2" >/dev/null
wait_until 120 sh -c "! kill -0 $wpid 2>/dev/null" || t_fail "the watch ends after the rotation"
wait "$wpid"
rc=$?
if [ "$rc" -eq 0 ] && ! grep -qs . "$T_DIR"/vg.*; then
	t_pass "valgrind clean: wallet-entry --watch (polls, a rotation, PROGRAM's exit)"
else
	t_fail "valgrind clean: wallet-entry --watch (polls, a rotation, PROGRAM's exit)" "exit $rc" \
		"$(cat "$T_DIR"/vg.* "$T_DIR/watch.out" 2>/dev/null | head -30)"
fi
rm -f "$T_DIR"/vg.*
C=(--cacert "$K/app1/ca.crt" --cert "$K/app1/tls.crt" --key "$K/app1/tls.key")
etag=$(curl -s "${C[@]}" -D - -o /dev/null "https://localhost:$P/manifests/app1" | tr -d '\r' |
	awk -F': ' 'tolower($1) == "etag" { print $2 }')
t_cond "wallet serve under valgrind: a conditional request gets its 304" \
	"$(curl -s "${C[@]}" -H "If-None-Match: $etag" -o /dev/null -w '%{http_code}' "https://localhost:$P/manifests/app1")" = 304
curl -s "${C[@]}" -H 'If-None-Match: "x", junk' -o /dev/null "https://localhost:$P/manifests/app1"
curl -s "${C[@]}" -o /dev/null "https://localhost:$P/v1/objects/..%2f..%2fetc%2fpasswd"
curl -s "${C[@]}" -o /dev/null -X POST "https://localhost:$P/v1/objects/db_pass"
curl -s "${C[@]}" -o /dev/null "https://localhost:$P/v1/objects"
curl -s --cacert "$K/app1/ca.crt" -o /dev/null "https://localhost:$P/healthz"
# SIGHUP: a reload (the same files), a request on the reloaded context, a refused reload
kill -HUP "$spid"
t_ok "wallet serve under valgrind: SIGHUP reloads the TLS files" \
	wait_until 60 grep -q '"TLS reloaded"' "$T_DIR/serve.out"
curl -s "${C[@]}" -o /dev/null "https://localhost:$P/v1/objects"
cp "$K/wallet/server.key" "$T_DIR/server.key.orig"
cp "$K/app1/tls.key" "$K/wallet/server.key"
kill -HUP "$spid"
t_ok "wallet serve under valgrind: a key that does not match is refused" \
	wait_until 60 grep -q '"TLS reload refused' "$T_DIR/serve.out"
cp "$T_DIR/server.key.orig" "$K/wallet/server.key"
curl -s "${C[@]}" -o /dev/null "https://localhost:$P/v1/objects"
# one certificate revoked and unrevoked, the server seeing it, the commands under valgrind too
vg "wallet revoke --cert" "$W" --data "$D" revoke app1 --cert "$K/app1/tls.crt"
t_cond "wallet serve under valgrind: the revoked certificate gets 403" \
	"$(curl -s "${C[@]}" -o /dev/null -w '%{http_code}' "https://localhost:$P/v1/objects")" = 403
vg "wallet unrevoke --cert" "$W" --data "$D" unrevoke app1 --cert "$K/app1/tls.crt"
vg "wallet unrevoke (signs the manifest again)" "$W" --data "$D" unrevoke app1
"$W" --data "$D" rotate-signing-key >/dev/null # the server reads the new key at its next request
curl -s "${C[@]}" -o "$T_DIR/key.asc" "https://localhost:$P/v1/signing-key"
t_ok "wallet serve under valgrind: the rotated key served" cmp -s "$T_DIR/key.asc" "$D/signing-key.asc"
kill -TERM "$spid"
wait "$spid"
rc=$?
t_cond "wallet serve under valgrind: exit 0 after SIGTERM (got $rc)" "$rc" -eq 0
if grep -qs . "$T_DIR/serve.vg"; then t_fail "valgrind clean: wallet serve" "$(head -30 "$T_DIR/serve.vg")"; else
	t_pass "valgrind clean: wallet serve (requests good and bad, SIGHUP, SIGTERM)"; fi
vg "wallet removekey --force" "$W" --data "$D" removekey --force app1
