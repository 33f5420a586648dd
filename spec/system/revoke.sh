#!/bin/bash
# wallet revoke / unrevoke / removekey with real peers: two certificates of one client (curl
# and openssl s_client present them), revocation of one certificate and of the whole client,
# seen by a running server from the next request on; removal of a client (refused while
# objects are sealed to it, --force, killed at each step); hand-edited records; the gpg CLI
# checks the wallet's keyring.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

umask 077 # records edited by hand below keep the data directory's modes
KEYS=$T_DIR/keys
DATA=$T_DIR/data
export WALLET_DATA=$DATA
serve_keys "$KEYS" || t_bail "key material"
serve_data "$DATA" "$KEYS" || t_bail "data directory"
at_exit "t_gpg_stop '$DATA/gnupg'"
A1=$KEYS/clients/app1 A2=$KEYS/clients/app2 A3=$KEYS/clients/app3
# app1's second certificate, from the same CA
B1=$T_DIR/app1b
if ! wallet-keygen client --ca "$KEYS/ca" --out "$B1" --cn app1 >/dev/null 2>&1; then
	mkdir -p "$B1"
	_ssl_leaf "$KEYS/ca" "$B1/tls" app1 clientAuth "" && mv "$B1/tls.crt.tmp" "$B1/tls.crt"
fi
fpr_of_cert() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
FA=$(fpr_of_cert "$A1/tls.crt") FB=$(fpr_of_cert "$B1/tls.crt")
t_cond "app1 has two different certificates" -n "$FB" -a "$FA" != "$FB"
t_ok "both chain to the CA" openssl verify -CAfile "$KEYS/ca/ca.crt" -purpose sslclient \
	"$A1/tls.crt" "$B1/tls.crt"

echo one | wallet store db_pass --to app1 >/dev/null
echo two | wallet store api/key --to app1,app2 >/dev/null
echo three | wallet store for3 --to app3 >/dev/null
AUDIT=$T_DIR/audit.log
TLS=(--tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" --tls-ca "$KEYS/ca/ca.crt")
serve_start main "${TLS[@]}" --audit-log "$AUDIT" || t_bail "wallet serve does not start"
SERVE_LOG=$T_DIR/serve-main.log

# code CLIENTDIR PATH: the HTTP status of one request
code() { cfetch "$1" "$2" -o /dev/null -w '%{http_code}'; }
ck() { t_ok "checkintegrity passes $1" wallet checkintegrity; }

t_cond "app1, first certificate: 200" "$(code "$A1" /v1/objects/db_pass)" = 200
t_cond "app1, second certificate: 200" "$(code "$B1" /v1/objects/db_pass)" = 200

# --- usage ---------------------------------------------------------------------------------
for c in revoke unrevoke removekey; do
	wallet help "$c" >"$T_DIR/h1" 2>&1
	wallet "$c" --help >"$T_DIR/h2" 2>&1
	t_cond "help $c == $c --help" -s "$T_DIR/h1" -a "$(cat "$T_DIR/h1")" = "$(cat "$T_DIR/h2")"
	one_line_err "$c without CLIENT: exit 2" 2 wallet "$c"
	one_line_err "$c with a bad option: exit 2" 2 wallet "$c" app1 --frob
done
one_line_err "--cert without a value: exit 2" 2 wallet revoke app1 --cert
one_line_err "an invalid client name: exit 2" 2 wallet unrevoke ../x

# --- one certificate -----------------------------------------------------------------------
# A connection kept alive from before the revocation: refused from its next request on.
mkfifo "$T_DIR/ka.in"
openssl s_client -quiet -connect "127.0.0.1:$SERVE_PORT" -cert "$B1/tls.crt" -key "$B1/tls.key" \
	-CAfile "$KEYS/ca/ca.crt" <"$T_DIR/ka.in" >"$T_DIR/ka.out" 2>/dev/null &
KA=$!
at_exit "kill $KA"
exec 3>"$T_DIR/ka.in"
req() { printf 'GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n' "$1" >&3; }
# the status of the Nth response (a body need not end in a newline: no anchor)
status_n() { grep -ao 'HTTP/1.1 [0-9]*' "$T_DIR/ka.out" | sed -n "$1p" | cut -d' ' -f2; }
responses() { [ -n "$(status_n "$1")" ]; }
req /v1/objects
wait_until 20 responses 1
t_cond "kept-alive connection with the second certificate: 200" \
	"$(status_n 1)" = 200

cp "$DATA/clients/app1.json" "$T_DIR/app1.before"
one_line_err "revoke --cert with app2's certificate: refused" 1 wallet revoke app1 --cert "$A2/tls.crt"
t_grep "... saying whose it is" "is a certificate of 'app2', not of 'app1'" "$T_DIR/o.err"
one_line_err "unrevoke --cert with app2's certificate: refused" 1 wallet unrevoke app1 --cert "$A2/tls.crt"
one_line_err "revoke --cert with a key instead of a certificate" 1 wallet revoke app1 --cert "$B1/tls.key"
t_grep "... not a PEM certificate" "not a PEM certificate" "$T_DIR/o.err"
one_line_err "revoke --cert with a missing file" 1 wallet revoke app1 --cert "$T_DIR/none.crt"
openssl x509 -in "$B1/tls.crt" -outform DER -out "$T_DIR/b.der"
one_line_err "revoke --cert with a DER file" 1 wallet revoke app1 --cert "$T_DIR/b.der"
one_line_err "revoke --cert for an unknown client" 1 wallet revoke nobody --cert "$B1/tls.crt"
t_ok "the refusals left app1's record as it was" cmp "$DATA/clients/app1.json" "$T_DIR/app1.before"

t_ok "revoke app1 --cert (the second certificate)" wallet revoke app1 --cert "$B1/tls.crt"
t_grep "... names it by its SHA-256 fingerprint" "revoked certificate $FB of app1" "$T_DIR/last.out"
t_cond "the second certificate: 403 at once" "$(code "$B1" /v1/objects/db_pass)" = 403
t_cond "... for the listing" "$(code "$B1" /v1/objects)" = 403
t_cond "... for the manifest" "$(code "$B1" /manifests/app1)" = 403
t_cond "... for the signing key" "$(code "$B1" /v1/signing-key)" = 403
t_cond "the first certificate: still 200" "$(code "$A1" /v1/objects/db_pass)" = 200
t_cond "... and its manifest too" "$(code "$A1" /manifests/app1)" = 200
req /v1/objects
wait_until 20 responses 2
t_cond "the kept-alive connection: 403 from its next request on" \
	"$(status_n 2)" = 403
exec 3>&-
t_grep "the record lists the certificate" "\"revoked_certs\":[{\"sha256\":\"$FB\"" "$DATA/clients/app1.json"
wallet keys --json >"$T_DIR/keys.json"
t_grep "keys --json lists it" "\"sha256\":\"$FB\"" "$T_DIR/keys.json"
wallet keys >"$T_DIR/keys.txt"
t_grep "keys counts it" "1 revoked certificate" "$T_DIR/keys.txt"
t_ok "revoking it again is no error" wallet revoke app1 --cert "$B1/tls.crt"
t_grep "... and says so" "was revoked already" "$T_DIR/last.out"
ck "with a revoked certificate"
t_grep "... and counts it" "OK client app1" "$T_DIR/last.out"
if command -v jq >/dev/null; then
	t_cond "audit: the 403 names the reason" \
		"$(jq -r "select(.cert_sha256 == \"$FB\" and .status == 403) | .reason" "$AUDIT" | sort -u)" \
		"=" "revoked certificate"
else
	t_grep "audit: the 403 names the reason" '"reason":"revoked certificate"' "$AUDIT"
fi

t_ok "unrevoke app1 --cert" wallet unrevoke app1 --cert "$B1/tls.crt"
t_grep "... says what it did" "unrevoked certificate $FB of app1" "$T_DIR/last.out"
t_cond "the second certificate: 200 again" "$(code "$B1" /v1/objects/db_pass)" = 200
t_ok "unrevoking it again is no error" wallet unrevoke app1 --cert "$B1/tls.crt"
t_grep "... and says so" "is not revoked" "$T_DIR/last.out"
ck "after unrevoke --cert"

# --- the whole client ----------------------------------------------------------------------
wallet revoke app1 --cert "$B1/tls.crt" >/dev/null
t_ok "revoke app1" wallet revoke app1
t_cond "first certificate: 403" "$(code "$A1" /v1/objects/db_pass)" = 403
t_cond "second certificate: 403" "$(code "$B1" /v1/objects/db_pass)" = 403
t_cond "app1's manifest is gone" ! -e "$DATA/manifests/app1"
ck "with a revoked client"
t_ok "unrevoke app1" wallet unrevoke app1
t_grep "... says the certificate stays revoked" "1 of its certificates stay revoked" "$T_DIR/last.out"
t_cond "first certificate: 200 again" "$(code "$A1" /v1/objects/db_pass)" = 200
t_cond "second certificate: still 403" "$(code "$B1" /v1/objects/db_pass)" = 403
t_cond "app1's manifest is signed again at once" -s "$DATA/manifests/app1"
t_cond "... and served" "$(code "$A1" /manifests/app1)" = 200
ck "after unrevoke"
t_grep "... with app1's manifest" "OK manifest app1 (2 objects" "$T_DIR/last.out"
t_ok "unrevoking a client that is not revoked is no error" wallet unrevoke app1
t_grep "... and says so" "app1 is not revoked" "$T_DIR/last.out"
one_line_err "unrevoke of an unknown client: exit 1" 1 wallet unrevoke nobody
t_grep "... saying so" "unknown client 'nobody'" "$T_DIR/o.err"
wallet unrevoke app1 --cert "$B1/tls.crt" >/dev/null
t_cond "second certificate: 200 after its own unrevoke" "$(code "$B1" /v1/objects/db_pass)" = 200
# importkey --replace keeps the revocations
wallet revoke app1 --cert "$B1/tls.crt" >/dev/null
wallet importkey --replace app1 <"$A1/gpg.pub.asc" >/dev/null
t_grep "importkey --replace keeps a revoked certificate" "\"sha256\":\"$FB\"" "$DATA/clients/app1.json"
wallet unrevoke app1 --cert "$B1/tls.crt" >/dev/null

# --- records: old and hand-edited ----------------------------------------------------------
# a record as written before revoked_certs existed is read as one without any
APP2_FPR=$(sed 's/.*"fingerprint":"\([0-9A-F]*\)".*/\1/' "$DATA/clients/app2.json")
printf '{"client":"app2","fingerprint":"%s","imported":"2026-01-01T00:00:00Z","revoked":false,"revoked_at":null}' \
	"$APP2_FPR" >"$DATA/clients/app2.json.tmp" && mv "$DATA/clients/app2.json.tmp" "$DATA/clients/app2.json"
t_cond "a record without revoked_certs: served" "$(code "$A2" /v1/objects/api/key)" = 200
ck "with a record without revoked_certs"
cp "$DATA/clients/app2.json" "$T_DIR/app2.good"
sed "s/}\$/,\"revoked_certs\":[{\"sha256\":\"${FB^^}\",\"revoked_at\":null}]}/" "$T_DIR/app2.good" \
	>"$DATA/clients/app2.json.tmp" && mv "$DATA/clients/app2.json.tmp" "$DATA/clients/app2.json"
t_exit "checkintegrity: a hand-edited bad fingerprint -> exit 1" 1 wallet checkintegrity
t_grep "... naming the file and the field" \
	"ERROR client app2: clients/app2.json: revoked_certs[0].sha256 is not a certificate fingerprint" \
	"$T_DIR/last.out"
t_cond "the server refuses app2 then (403)" "$(code "$A2" /v1/objects/api/key)" = 403
t_cond "... and tells why in its log, once" \
	"$(grep -c 'unreadable client record.*clients/app2.json: revoked_certs\[0\].sha256' "$SERVE_LOG")" = 1
code "$A2" /v1/objects/api/key >/dev/null
t_cond "... once per version of the file" \
	"$(grep -c 'unreadable client record' "$SERVE_LOG")" = 1
t_cond "app1 is served meanwhile" "$(code "$A1" /v1/objects/db_pass)" = 200
t_exit "wallet serve does not start on it" 1 wallet serve --listen "127.0.0.1:$(pick_port)" "${TLS[@]}"
t_grep "... and says why" "clients/app2.json: revoked_certs[0].sha256" "$T_DIR/last.out"
# one bad record does not let the other clients' manifests expire
mv "$DATA/manifests/app1" "$T_DIR/app1.manifest"
one_line_err "wallet refresh with it: exit 1" 1 wallet refresh
t_grep "... naming it" "clients/app2.json: revoked_certs[0].sha256" "$T_DIR/o.err"
t_cond "... and app1's manifest is signed all the same" -s "$DATA/manifests/app1"
t_cond "... app2's is left as it was" -s "$DATA/manifests/app2"
for bad in 's/}$/,"revoked_certs":{}}/' 's/}$/,"revoked_certs":[{"revoked_at":"x"}]}/' \
	's/"revoked":false/"revoked":"yes"/' \
	"s/}\$/,\"revoked_certs\":[{\"sha256\":\"$FB\"},{\"sha256\":\"$FB\"}]}/"; do
	sed "$bad" "$T_DIR/app2.good" >"$DATA/clients/app2.json"
	t_exit "checkintegrity refuses $(printf '%.60s' "$bad")" 1 wallet checkintegrity
done
cp "$T_DIR/app2.good" "$DATA/clients/app2.json"
t_cond "app2 is served again once the record is mended" "$(code "$A2" /v1/objects/api/key)" = 200

# --- removekey ----------------------------------------------------------------------------
in_keyring() { gpg --homedir "$DATA/gnupg" --batch --list-keys "$1" >/dev/null 2>&1; }
not_in_keyring() { ! in_keyring "$1"; }
one_line_err "removekey of an unknown client: exit 1" 1 wallet removekey nobody
one_line_err "removekey app2 while api/key is sealed to it: refused" 1 wallet removekey app2
t_grep "... naming what is sealed to it" "still sealed to app2: api/key v1 (store them again without it, or --force)" "$T_DIR/o.err"
t_cond "... and app2 still works" "$(code "$A2" /v1/objects/api/key)" = 200
t_ok "... its key still in the keyring" in_keyring "$APP2_FPR"
echo two | wallet store api/key --to app1 >/dev/null
t_ok "removekey app2 once api/key is stored again without it" wallet removekey app2
t_grep "... says what went" "removed app2: its record, its manifest and its key $APP2_FPR" "$T_DIR/last.out"
t_cond "app2: 403 at once" "$(code "$A2" /v1/objects)" = 403
t_cond "... its record is gone" ! -e "$DATA/clients/app2.json"
t_cond "... its manifest too" ! -e "$DATA/manifests/app2"
t_ok "... and its key (gpg --list-keys)" not_in_keyring "$APP2_FPR"
t_ok "... app1's key is still there" in_keyring "$(sed 's/.*"fingerprint":"\([0-9A-F]*\)".*/\1/' "$DATA/clients/app1.json")"
ck "after removekey"
t_grep "... warning about the older version still sealed to app2" \
	"WARN object api/key v1: recipient app2 is no registered client" "$T_DIR/last.out"
if command -v jq >/dev/null; then
	t_cond "audit: the 403 of a removed client" \
		"$(jq -r 'select(.client == "app2" and .status == 403) | .reason' "$AUDIT" | tail -1)" = "unknown client"
fi
t_ok "app2 can be imported again" wallet importkey app2 <"$A2/gpg.pub.asc"
t_cond "... and is served again" "$(code "$A2" /v1/objects)" = 200

one_line_err "removekey app3 while for3 is sealed to it: refused" 1 wallet removekey app3
t_ok "removekey --force app3" wallet removekey --force app3
t_grep "... saying app3 can no longer fetch what is sealed to it" \
	"still sealed to app3, which can no longer fetch them: for3 v1" "$T_DIR/last.out"
t_cond "app3: 403" "$(code "$A3" /v1/objects/for3)" = 403
t_cond "... for3 stays as it is" -s "$DATA/objects/for3/v1/object.gpg"
ck "after removekey --force"
t_grep "... warning about for3" "WARN object for3 v1: recipient app3 is no registered client" "$T_DIR/last.out"

# a key two clients share stays while one of them remains
wallet importkey app4 <"$A1/gpg.pub.asc" >/dev/null
t_ok "removekey of a client whose key app1 has too" wallet removekey app4
t_grep "... keeps the key" "stays: app1 has it too" "$T_DIR/last.out"
t_cond "... and app1 still works" "$(code "$A1" /v1/objects/db_pass)" = 200
ck "after removing a client with a shared key"

# --- removekey killed at each step ------------------------------------------------------------
# strace kills it (SIGKILL) on entering the Nth call of one system call, for every N that it
# reaches: before and after the rename of the record, the unlink of the manifest, the start of
# gpg (key deletion), the unlink of the renamed record and every fsync. Each time,
# checkintegrity passes, and running it again finishes the removal.
if command -v strace >/dev/null; then
	kills=0 bad_ck=0 bad_finish=0
	A3_FPR=$(gpg --with-colons --import-options show-only --import "$A3/gpg.pub.asc" 2>/dev/null |
		awk -F: '/^fpr/{print $10; exit}')
	for sc in renameat,rename,renameat2 unlinkat,unlink fsync,fdatasync clone,clone3,fork,vfork; do
		n=1
		while [ "$n" -le 12 ]; do
			wallet importkey app5 <"$A3/gpg.pub.asc" >/dev/null 2>&1
			(strace -qq -o /dev/null -e "inject=$sc:signal=KILL:when=$n" \
				wallet removekey app5 >/dev/null 2>&1)
			rc=$?
			[ "$rc" -eq 0 ] && break # it got through: no Nth call of these
			kills=$((kills + 1))
			wallet checkintegrity >"$T_DIR/ck" 2>&1 || { bad_ck=$((bad_ck + 1)); cp "$T_DIR/ck" "$T_DIR/ck.bad"; }
			if [ -e "$DATA/clients/app5.json" ] || [ -e "$DATA/clients/.app5.removing" ]; then
				wallet removekey app5 >/dev/null 2>&1 || bad_finish=$((bad_finish + 1))
			fi
			if [ -e "$DATA/clients/.app5.removing" ] || [ -e "$DATA/manifests/app5" ] ||
				in_keyring "$A3_FPR"; then
				bad_finish=$((bad_finish + 1))
			fi
			n=$((n + 1))
		done
	done
	echo "# removekey killed at $kills points"
	t_cond "removekey was killed at many points ($kills)" "$kills" -ge 8
	t_cond "checkintegrity passed after every kill ($bad_ck failures)" "$bad_ck" -eq 0
	[ -f "$T_DIR/ck.bad" ] && grep ERROR "$T_DIR/ck.bad" | head -5 | sed 's/^/# /'
	t_cond "running it again finished every removal ($bad_finish failures)" "$bad_finish" -eq 0
else
	t_fail "strace is installed (scripts/deps.sh)"
fi
# one left half-way, as a kill leaves it: checkintegrity warns, removekey finishes it
wallet importkey app5 <"$A3/gpg.pub.asc" >/dev/null
mv "$DATA/clients/app5.json" "$DATA/clients/.app5.removing"
ck "with a removal that did not finish"
t_grep "... warning about it" "WARN client app5: its removal did not finish" "$T_DIR/last.out"
t_ok "removekey finishes it" wallet removekey app5
t_grep "... and says so" "finished removing app5" "$T_DIR/last.out"
t_cond "... leaving nothing of it" ! -e "$DATA/clients/.app5.removing"
ck "at the end"
t_nogrep "... without a warning about a removal" "removal did not finish" "$T_DIR/last.out"

# --- a replica serving an export refuses a revoked certificate too --------------------------
wallet revoke app1 --cert "$B1/tls.crt" >/dev/null
t_ok "export" wallet export "$T_DIR/exp"
t_grep "the export carries the revoked certificate" "\"sha256\":\"$FB\"" "$T_DIR/exp/clients/app1.json"
serve_start replica --data "$T_DIR/exp" "${TLS[@]}" || t_bail "the replica does not start"
t_cond "replica: the revoked certificate gets 403" "$(code "$B1" /v1/objects/db_pass)" = 403
t_cond "replica: app1's other certificate gets 200" "$(code "$A1" /v1/objects/db_pass)" = 200
t_cond "replica: app2 (imported again) gets 200" "$(code "$A2" /v1/objects)" = 200
t_cond "replica: app3 (removed) gets 403" "$(code "$A3" /v1/objects)" = 403
wallet unrevoke app1 --cert "$B1/tls.crt" >/dev/null
wallet export "$T_DIR/exp" >/dev/null
t_cond "replica: once unrevoked and exported again, 200" "$(code "$B1" /v1/objects/db_pass)" = 200
