#!/bin/bash
# wallet-entry against a malicious wallet: every forged, swapped, stale or tampered answer is
# refused with a reason, and PROGRAM never runs. The client trusts its signed manifest first;
# fx_serve_obj makes the manifest vouch for (list the sha256 of) whatever it serves, so the
# attacks on an object below model "even a manifest listing the wrong bytes cannot make the
# client accept them": the object's own checks must still refuse them, for the same reason.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash"
fx_setup
E=$CW_BIN/wallet-entry
[ -x "$E" ] || { echo "Bail out! $E not built"; exit 1; }

printf 'db-secret-%s' "$RANDOM$RANDOM" >"$FX/db"
printf 'api-secret' >"$FX/api"
S=$FX/sealed
fx_seal db_pass 3 "$FX/db" && fx_seal db_pass 2 "$FX/db" && fx_seal api_key 3 "$FX/api" ||
	{ echo "Bail out! sealing failed"; exit 1; }
mv "$S/db_pass@3.gpg" "$S/good.gpg" && mv "$S/db_pass@3.sig" "$S/good.sig"
fx_seal db_pass 3 "$FX/db" "$XHOME" "$XFPR" && mv "$S/db_pass@3.gpg" "$S/imp.gpg" && mv "$S/db_pass@3.sig" "$S/imp.sig"
# inner signature by the impostor, detached signature by the wallet key
cp "$S/imp.gpg" "$S/mixed.gpg" && G --homedir "$WHOME" -u "$WFPR" --detach-sign -o "$S/mixed.sig" "$S/mixed.gpg"
# tampered: one byte of the sealed bytes flipped, the wallet's signature kept
cp "$S/good.gpg" "$S/tamp.gpg" && cp "$S/good.sig" "$S/tamp.sig"
printf '\x55' | dd of="$S/tamp.gpg" bs=1 seek=100 conv=notrunc status=none

O=v1/objects
fx_serve_obj $O/good "$S/good" 3 # the only honest answer: used as a control
mkdir -p "$FX/www/$O"
P=$(pick_port)
fx_server "$P" || { echo "Bail out! test wallet did not start"; exit 1; }
fx_entry_env
export WALLET_OPENPGP=${WALLET_OPENPGP:-rnp} # entry_attacks_gnupg.sh runs this suite with gnupg
export WALLET_URL=https://127.0.0.1:$P

# refused NAME DESC WHY...: serves the prepared answer under NAME, expects refusal with every
# WHY in it, one line for it, nothing but wallet-entry's own lines (no library diagnostics),
# PROGRAM not run
refused() {
	local name=$1 desc=$2 why rc
	shift 2
	rm -f "$T_DIR/ran"
	"$E" --fetch "$name" -- touch "$T_DIR/ran" >"$T_DIR/err" 2>&1
	rc=$?
	for why in "$@"; do grep -qF -- "$why" "$T_DIR/err" || rc="$rc, no '$why'"; done
	if [ "$rc" = 1 ] && [ ! -e "$T_DIR/ran" ] &&
		[ "$(grep -c "^wallet-entry: ${name%@*}: " "$T_DIR/err")" -eq 1 ] &&
		! grep -qv '^wallet-entry: ' "$T_DIR/err"; then
		t_pass "$desc"
	else
		t_fail "$desc" "exit $rc, ran: $([ -e "$T_DIR/ran" ] && echo yes || echo no)" "$(cat "$T_DIR/err")"
	fi
}

# control: the honest object is accepted (mv back to the name the notation carries)
fx_serve_obj $O/db_pass "$S/good" 3
t_ok "control: the honest object is accepted" "$E" --fetch db_pass -- true

# (the manifest lists the sha256 of each answer below: its detached signature is not
# consulted, the decryption and the inner signature catch them)
fx_serve_obj $O/db_pass "$S/tamp" 3
refused db_pass "tampered sealed bytes: refused" "decryption"
fx_serve_obj $O/db_pass "$S/imp" 3
refused db_pass "object sealed and signed by another key: refused" "bad or missing signature" "inner signature"
fx_serve_obj $O/db_pass "$S/mixed" 3
refused db_pass "inner signature by another key (detached one by the wallet): refused" "inner signature"
fx_serve_obj $O/db_pass "$S/api_key@3" 3
refused db_pass "validly signed api_key served as db_pass (substitution): refused" "asked for db_pass, the wallet signed api_key"
fx_serve_obj $O/db_pass "$S/db_pass@2" 2
refused db_pass@3 "version 2 when at least 3 is asked (rollback): refused" "below the minimum"
fx_serve_obj $O/db_pass "$S/db_pass@2" 3
refused db_pass "signed version 2 listed by the manifest as version 3: refused" "signed version 2 differs"
# signed by the wallet with the right notations, both signatures good, but not encrypted
G --homedir "$WHOME" -u "$WFPR" --sig-notation "name@containerwallet=db_pass" \
	--sig-notation "version@containerwallet=3" --sign -o "$S/clear.gpg" "$FX/db" &&
	G --homedir "$WHOME" -u "$WFPR" --detach-sign -o "$S/clear.sig" "$S/clear.gpg" ||
	{ echo "Bail out! signing failed"; exit 1; }
fx_serve_obj $O/db_pass "$S/clear" 3
refused db_pass "a signed but unencrypted object: refused" "decryption"
# two name notations, both hashed and signed by the wallet
G --homedir "$WHOME" --trust-model always -u "$WFPR" -r "$CFPR" \
	--sig-notation "name@containerwallet=db_pass" --sig-notation "name@containerwallet=api_key" \
	--sig-notation "version@containerwallet=3" --sign --encrypt -o "$S/dup.gpg" "$FX/db" &&
	G --homedir "$WHOME" -u "$WFPR" --detach-sign -o "$S/dup.sig" "$S/dup.gpg" ||
	{ echo "Bail out! sealing failed"; exit 1; }
fx_serve_obj $O/db_pass "$S/dup" 3
refused db_pass "two signed name notations: refused" "lacks a single name and version notation"
# The detached signature (object.sig) is not consulted for the version the manifest lists: its
# sha256 binds the bytes as firmly (docs/FORMAT.md, "Sealed object"). The attacks on it (another
# object's signature; a good signature followed by a message encrypted to the client, or such a
# message alone, which must never reach the client's key) apply to an explicitly requested
# version only (wallet_fetch_version), which wallet-entry never asks for.
cat "$S/good.sig" "$S/db_pass@2.gpg" >"$S/sigplus.sig"
fx_serve_obj $O/db_pass "$S/good" 3 "$S/sigplus"
t_ok "a wrong object.sig beside the bytes the manifest lists: not consulted, accepted" \
	"$E" --fetch db_pass -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$FX/db"
# signed by a wallet whose clock runs ten minutes ahead: accepted, as gpg does
G --homedir "$WHOME" --faked-system-time "$(($(date +%s) + 600))!" --trust-model always \
	-u "$WFPR" -r "$CFPR" --sig-notation "name@containerwallet=db_pass" \
	--sig-notation "version@containerwallet=3" --sign --encrypt -o "$S/future.gpg" "$FX/db" &&
	G --homedir "$WHOME" --faked-system-time "$(($(date +%s) + 600))!" -u "$WFPR" \
		--detach-sign -o "$S/future.sig" "$S/future.gpg" || { echo "Bail out! signing failed"; exit 1; }
fx_serve_obj $O/db_pass "$S/future" 3
t_ok "signatures made ten minutes in the future (wallet clock ahead): accepted" \
	"$E" --fetch db_pass -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$FX/db"

# the manifest: the served bytes must be the ones it lists, and only a fresh manifest signed by
# the pinned key for this client counts
fx_serve_obj $O/db_pass "$S/tamp" 3
fx_manifest --entry db_pass 3 "$S/good.gpg"
refused db_pass "bytes other than the manifest's (tampered in transit): refused" "does not match the manifest"
head -c -1 "$S/good.gpg" >"$S/short.gpg" && cp "$S/good.sig" "$S/short.sig"
fx_serve_obj $O/db_pass "$S/short" 3
fx_manifest --entry db_pass 3 "$S/good.gpg"
refused db_pass "bytes cut short of the manifest's size: refused" "does not match the manifest"
fx_serve_obj $O/db_pass "$S/good" 3
fx_http_status manifests/app1 404 'Not Found'
refused db_pass "no manifest (404): refused" "not found" "manifest"
fx_manifest --key "$XHOME" "$XFPR"
refused db_pass "a manifest signed by another key: refused" "bad or missing signature" "manifest"
fx_manifest --client app2 --notation manifest@containerwallet=app2
refused db_pass "a manifest for another client (app2's, signed by the wallet): refused" "manifest for another client"
fx_manifest --client app2
refused db_pass "a manifest whose content names another client: refused" "manifest for another client"
fx_manifest --notation manifest@containerwallet=app2
refused db_pass "a manifest whose notation names another client: refused" "manifest for another client"
fx_manifest --no-notation
refused db_pass "a manifest without its notation: refused" "manifest" "notation"
fx_manifest --notation name@containerwallet=app1
refused db_pass "a manifest with an object's notation instead: refused" "manifest" "notation"
fx_manifest --expired
refused db_pass "a manifest expired an hour ago (stale server): refused" "manifest expired"
now=$(date +%s)
fx_manifest --signed $((now - 3600)) --expires $((now - 10))
t_ok "a manifest expired 10 s ago (within the 30 s allowance): accepted" "$E" --fetch db_pass -- true
fx_manifest --ahead 600
t_ok "a manifest signed ten minutes in the future (wallet clock ahead): accepted" "$E" --fetch db_pass -- true
fx_manifest --format 2
refused db_pass "a manifest of an unknown format: refused" "malformed manifest"
fx_manifest --drop db_pass
refused db_pass "an object the manifest does not list: refused" "not found" "manifest"
fx_manifest --entry ghost 1 "$S/good.gpg"
t_ok "an extra entry in the manifest does not hinder the others: accepted" "$E" --fetch db_pass -- true
fx_serve_obj $O/db_pass "$S/good" 3

# the signing key: a wallet that serves another key than the pinned one
fx_signing_key "$FX/impostor.asc"
refused db_pass "signing-key answer with another fingerprint: refused" "does not have the pinned fingerprint"
cat "$FX/impostor.asc" "$FX/wallet.asc" >"$FX/both.asc"
fx_signing_key "$FX/both.asc"
refused db_pass "signing-key answer with an extra key: refused" "does not have the pinned fingerprint"
fx_signing_key "$FX/wallet.asc"
WALLET_SIGNER=$XFPR refused db_pass "pinning another fingerprint than the wallet's: refused" "pinned fingerprint"
fx_http_status signing-key.asc 404 'Not Found' && fx_http_status v1/signing-key 404 'Not Found'
t_ok "the pinned key from a file (--signer-key) works without /signing-key.asc" \
	env WALLET_SIGNER_KEY="$FX/wallet.asc" "$E" --fetch db_pass -- true
fx_signing_key "$FX/wallet.asc"
WALLET_SIGNER_KEY=$FX/impostor.asc refused db_pass "--signer-key with another key: refused" "pinned fingerprint"

# the client's key file: it must hold exactly one secret key, usable and without a passphrase
G --homedir "$XHOME" --armor --export-secret-keys "$XFPR" >"$FX/impostor-sec.asc"
cat "$FX/client-gpg.asc" "$FX/impostor-sec.asc" >"$FX/two-sec.asc"
WALLET_GPG_KEY=$FX/two-sec.asc refused db_pass "a key file with two secret keys: refused" "more than one secret key"
G --homedir "$CHOME" --armor --export-secret-subkeys "$CFPR" >"$FX/subkeys-only.asc"
t_ok "a key file with an offline primary (gpg --export-secret-subkeys): accepted" \
	env WALLET_GPG_KEY="$FX/subkeys-only.asc" "$E" --fetch db_pass -- true
G --homedir "$CHOME" --armor --export "$CFPR" >"$FX/client-pub.asc"
WALLET_GPG_KEY=$FX/client-pub.asc refused db_pass "a key file with a public key only: refused" "no secret key"
printf 'not a key\n' >"$FX/junk.asc"
WALLET_GPG_KEY=$FX/junk.asc refused db_pass "a key file that holds no key: refused" "no secret key in the file"
PHOME=$FX/gpg-protected
mkdir -m 0700 "$PHOME"
gpg --batch --quiet --homedir "$PHOME" --pinentry-mode loopback --passphrase 'pw-1234' \
	--quick-gen-key protected ed25519 default never &&
	PFPR=$(G --homedir "$PHOME" --with-colons --list-keys protected | awk -F: '/^fpr/ {print $10; exit}') &&
	gpg --batch --quiet --homedir "$PHOME" --pinentry-mode loopback --passphrase 'pw-1234' \
		--armor --export-secret-keys "$PFPR" >"$FX/protected.asc" ||
	{ echo "Bail out! protected key setup failed"; exit 1; }
at_exit "t_gpg_stop $PHOME"
if [ "$WALLET_OPENPGP" = rnp ]; then
	WALLET_GPG_KEY=$FX/protected.asc refused db_pass "a passphrase-protected key file: refused" "passphrase-protected"
else # gpg imports it, then cannot use it without the passphrase (and it is no recipient)
	WALLET_GPG_KEY=$FX/protected.asc refused db_pass "a passphrase-protected key file: refused" "decryption"
fi

# a server whose certificate the CA did not issue, and a host name it does not carry
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=rogue \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$FX/rogue.key" -out "$FX/rogue.crt" 2>/dev/null
R=$(pick_port)
(cd "$FX/www" && exec openssl s_server -quiet -HTTP -accept "127.0.0.1:$R" -cert "$FX/rogue.crt" \
	-key "$FX/rogue.key" </dev/null >/dev/null 2>&1) &
at_exit "kill $!"
wait_until 10 port_open "$R"
WALLET_URL=https://127.0.0.1:$R refused db_pass "server certificate from another CA: refused" "TLS failure"
# a certificate from the right CA, but for another host name
d=$FX/pki
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other -keyout "$d/o.key" \
	-out "$d/o.csr" 2>/dev/null
printf 'subjectAltName=DNS:other.example\n' >"$d/o.ext"
openssl x509 -req -in "$d/o.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 1 \
	-extfile "$d/o.ext" -out "$d/o.crt" 2>/dev/null
H=$(pick_port)
(cd "$FX/www" && exec openssl s_server -quiet -HTTP -accept "127.0.0.1:$H" -cert "$d/o.crt" \
	-key "$d/o.key" </dev/null >/dev/null 2>&1) &
at_exit "kill $!"
wait_until 10 port_open "$H"
WALLET_URL=https://127.0.0.1:$H refused db_pass "server certificate for another host name: refused" "TLS failure"
# and a client without a certificate the wallet accepts gets nothing
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=app1 \
	-keyout "$FX/self.key" -out "$FX/self.crt" 2>/dev/null
WALLET_CERT=$FX/self.crt WALLET_KEY=$FX/self.key refused db_pass "client certificate not from the CA: refused" "TLS failure"

# a wallet key whose primary only certifies and a subkey signs: accepted (the pinned primary's
# own signing subkey), through both the combined import and an existing GNUPGHOME
SHOME=$FX/gpg-subkey
mkdir -m 0700 "$SHOME"
G --homedir "$SHOME" --quick-gen-key subwallet ed25519 cert never &&
	SFPR=$(G --homedir "$SHOME" --with-colons --list-keys subwallet | awk -F: '/^fpr/ {print $10; exit}') &&
	G --homedir "$SHOME" --quick-add-key "$SFPR" ed25519 sign never &&
	SSUB=$(G --homedir "$SHOME" --with-colons --list-keys subwallet | awk -F: '/^fpr/ {n++; if (n == 2) print $10}') &&
	G --homedir "$SHOME" --import "$FX/client.pub" &&
	G --homedir "$SHOME" --armor --export "$SFPR" >"$FX/subwallet.asc" ||
	{ echo "Bail out! subkey wallet setup failed"; exit 1; }
at_exit "t_gpg_stop $SHOME"
fx_seal db_pass 3 "$FX/db" "$SHOME" "$SSUB!" && mv "$S/db_pass@3.gpg" "$S/sub.gpg" && mv "$S/db_pass@3.sig" "$S/sub.sig"
# (that wallet signs the manifest with the same subkey)
FX_MF_HOME=$SHOME FX_MF_FPR="$SSUB!" FX_MF_SIGNING_KEY=$SFPR
fx_serve_obj $O/db_pass "$S/sub" 3
fx_signing_key "$FX/subwallet.asc"
t_ok "signed by a signing subkey of the pinned key: accepted" \
	env WALLET_SIGNER="$SFPR" "$E" --fetch db_pass -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$FX/db"
refused db_pass "the same object with the wallet's fingerprint pinned: refused" "pinned fingerprint"
unset FX_MF_HOME FX_MF_FPR FX_MF_SIGNING_KEY
fx_serve_obj $O/db_pass "$S/good" 3
fx_signing_key "$FX/wallet.asc"
exit 0
