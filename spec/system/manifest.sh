#!/bin/bash
# Signed, expiring per-client manifests on the writer's side (docs/FORMAT.md, "Manifests"):
# what each command leaves in them, checked with the gpg CLI; wallet refresh and its --ttl;
# the name and version in the detached signature; checkintegrity over objects moved under
# another name and over manifests; wallet serve keeping them fresh by itself.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"
export GNUPGHOME=$T_DIR/nohome
KEYS=$T_DIR/keys D=$T_DIR/data
serve_keys "$KEYS" || t_bail "key material"
serve_data "$D" "$KEYS" || t_bail "data directory"
export WALLET_DATA=$D
at_exit "gpgconf --homedir $D/gnupg --kill all"
FPR=$(jq -r .signing_key "$D/wallet.json")

# A GNUPGHOME holding only the wallet's public key, to read manifests as a foreign client would.
V=$(mktemp -d /dev/shm/cwtest-mf.XXXXXX)
at_exit "gpgconf --homedir $V --kill all; rm -rf $V"
gpg --batch --homedir "$V" --import "$D/signing-key.asc" 2>/dev/null
t_cond "init wrote the public signing key beside the data" -s "$D/signing-key.asc"
# manifest CLIENT: its content on stdout; gpg's status lines in $T_DIR/mf.status
manifest() {
	gpg --batch --homedir "$V" --status-file "$T_DIR/mf.status" --verify-options show-notations \
		--decrypt "$D/manifests/$1" 2>/dev/null
}
entry() { manifest "$1" | jq -c --arg n "$2" '.objects[] | select(.name == $n)'; }

echo one | wallet store db_pass --to app1,app2 >/dev/null
echo grp | wallet store app1/a --to app1 >/dev/null
manifest app1 >"$T_DIR/m1"
t_grep "app1's manifest verifies with the wallet key" "[GNUPG:] VALIDSIG" "$T_DIR/mf.status"
t_grep "...signed by the wallet's key" "$FPR" "$T_DIR/mf.status"
t_grep "...its notation is the manifest's" "NOTATION_NAME manifest@containerwallet" "$T_DIR/mf.status"
t_grep "...naming app1" "NOTATION_DATA app1" "$T_DIR/mf.status"
t_cond "...for client app1" "$(jq -r .client "$T_DIR/m1")" = app1
t_cond "...lists exactly app1's objects" "$(jq -c '[.objects[].name]' "$T_DIR/m1")" = '["app1/a","db_pass"]'
sum=$(sha256sum "$D/objects/db_pass/v1/object.gpg" | cut -d' ' -f1)
t_cond "...with the sha256 of the sealed bytes" "$(entry app1 db_pass | jq -r .sha256)" = "$sum"
t_cond "...and their size" "$(entry app1 db_pass | jq -r .size)" = "$(stat -c %s "$D/objects/db_pass/v1/object.gpg")"
t_cond "...valid for one day by default" "$(jq '.expires - .signed' "$T_DIR/m1")" = 86400
t_cond "...signed just now" "$(( $(date +%s) - $(jq .signed "$T_DIR/m1") ))" -lt 60
t_cond "app2's lists only db_pass" "$(manifest app2 | jq -c '[.objects[].name]')" = '["db_pass"]'
t_cond "app3's lists nothing" "$(manifest app3 | jq -c .objects)" = '[]'

echo two | wallet store db_pass --to app1 >/dev/null
t_cond "a new version is in the manifest at once" "$(entry app1 db_pass | jq .version)" = 2
t_cond "a recipient dropped loses the object" "$(manifest app2 | jq -c '[.objects[].name]')" = '[]'
wallet rm app1/a >/dev/null
t_cond "rm: the object leaves the manifest" "$(manifest app1 | jq -c '[.objects[].name]')" = '["db_pass"]'
wallet rm db_pass --version 2 >/dev/null
t_cond "rm of the latest version: the manifest names the one before" \
	"$(entry app1 db_pass | jq .version)" = 1

# refresh and its lifetime
t_ok "refresh" wallet refresh
t_ok "refresh --ttl 10" wallet refresh --ttl 10
t_cond "...the manifests live 10 s" "$(manifest app1 | jq '.expires - .signed')" = 10
echo three | wallet store db_pass --to app1 >/dev/null
t_cond "...and so do later ones" "$(manifest app1 | jq '.expires - .signed')" = 10
one_line() { # DESC CODE CMD...
	local d=$1 code=$2; shift 2
	"$@" >"$T_DIR/o" 2>"$T_DIR/e"
	local rc=$?
	t_cond "$d: exit $code, one line" "$rc:$(wc -l <"$T_DIR/e")" = "$code:1"
}
one_line "refresh --ttl 9" 2 wallet refresh --ttl 9
one_line "refresh --ttl 1x" 2 wallet refresh --ttl 1x
one_line "refresh --ttl 010" 2 wallet refresh --ttl 010
one_line "refresh with an argument" 2 wallet refresh now
t_cond "...nothing changed" "$(manifest app1 | jq '.expires - .signed')" = 10
t_ok "refresh --ttl 86400" wallet refresh --ttl 86400

# revocation takes the manifest away
wallet revoke app3 >/dev/null
t_cond "revoke: the client's manifest goes" ! -e "$D/manifests/app3"
cp "$D/manifests/app2" "$T_DIR/app2.before"
echo four | wallet store other --to app1 >/dev/null
t_ok "a store leaves other clients' manifests alone" cmp -s "$D/manifests/app2" "$T_DIR/app2.before"

# the detached signature names the object and its version
gpg --batch --homedir "$V" --status-file "$T_DIR/ds.status" --verify-options show-notations \
	--verify "$D/objects/other/v1/object.sig" "$D/objects/other/v1/object.gpg" 2>/dev/null
t_grep "the detached signature carries the name" "NOTATION_NAME name@containerwallet" "$T_DIR/ds.status"
t_grep "...whose value is the object's" "NOTATION_DATA other" "$T_DIR/ds.status"
t_grep "...and the version" "NOTATION_NAME version@containerwallet" "$T_DIR/ds.status"
t_ok "checkintegrity passes" wallet checkintegrity
t_grep "...and checks every manifest" "OK manifest app1" "$T_DIR/last.out"

# a store killed after publishing but before signing leaves a manifest behind the store:
# a warning (clients keep getting the version before), healed by refresh
cp "$D/manifests/app1" "$T_DIR/app1.old"
echo five | wallet store other --to app1 >/dev/null
cp "$T_DIR/app1.old" "$D/manifests/app1"
t_ok "checkintegrity: a manifest behind the store still passes" wallet checkintegrity
t_grep "...with a warning that says what to do" "WARN manifest app1: behind the store (other v2 is newer): run 'wallet refresh'" "$T_DIR/last.out"
wallet refresh >/dev/null
t_ok "...and refresh heals it" wallet checkintegrity
t_nogrep "...without a warning left" "WARN" "$T_DIR/last.out"

# an rm killed after the removal but before signing leaves a manifest that lists what is gone:
# a warning too (clients get a 404 for it, as they will once the manifest is signed again)
cp "$D/manifests/app1" "$T_DIR/app1.old"
wallet rm other --version 2 >/dev/null
cp "$T_DIR/app1.old" "$D/manifests/app1"
t_ok "checkintegrity: a manifest listing a removed version still passes" wallet checkintegrity
t_grep "...with a warning that says what to do" "WARN manifest app1: lists other v2, removed since it was signed: run 'wallet refresh'" "$T_DIR/last.out"
t_nogrep "...and no error" "ERROR" "$T_DIR/last.out"
echo six | wallet store gone --to app1 >/dev/null
cp "$D/manifests/app1" "$T_DIR/app1.old"
wallet rm gone >/dev/null
cp "$T_DIR/app1.old" "$D/manifests/app1"
t_ok "checkintegrity: a manifest listing a removed object still passes" wallet checkintegrity
t_grep "...with a warning" "WARN manifest app1: lists gone v1, removed since it was signed" "$T_DIR/last.out"
wallet refresh >/dev/null
t_ok "...and refresh heals both" wallet checkintegrity
t_nogrep "...without a warning left" "WARN" "$T_DIR/last.out"
echo seven | wallet store other --to app1 >/dev/null
t_cond "...and other's next version is v3, not v2 again" "$(readlink "$D/objects/other/latest")" = v3

# an object published under another name (sealed bytes, signature and a matching meta.json
# copied by someone who can write the directory but holds no key): checkintegrity fails
C=$T_DIR/copy
cp -a "$D" "$C"
for f in object.gpg object.sig; do cp "$D/objects/other/v1/$f" "$C/objects/db_pass/v3/$f"; done
jq -c --arg h "$(sha256sum "$C/objects/db_pass/v3/object.gpg" | cut -d' ' -f1)" \
	--argjson z "$(stat -c %s "$C/objects/db_pass/v3/object.gpg")" '.sha256 = $h | .size = $z' \
	"$D/objects/db_pass/v3/meta.json" >"$C/objects/db_pass/v3/meta.json"
at_exit "gpgconf --homedir $C/gnupg --kill all"
t_exit "checkintegrity: an object moved under another name fails" 1 wallet --data "$C" checkintegrity
t_grep "...naming what its signature says" "signed for other version 1" "$T_DIR/last.out"
t_grep "...and the manifest no longer matches" "ERROR manifest app1" "$T_DIR/last.out"
cp "$D/manifests/app2" "$C/manifests/app1"
t_exit "checkintegrity: another client's manifest fails" 1 wallet --data "$C" checkintegrity
t_grep "...saying so" "not a manifest for app1" "$T_DIR/last.out"

# wallet serve on the writer's directory keeps the manifests fresh by itself
wallet refresh --ttl 10 >/dev/null
before=$(manifest app1 | jq .signed)
serve_start writer --tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" \
	--tls-ca "$KEYS/ca/ca.crt" || t_bail "wallet serve did not start"
newer() { [ "$(manifest app1 | jq .signed)" -gt "$1" ]; }
t_ok "wallet serve signs the manifests again by itself" wait_until 20 newer "$before"
s1=$(manifest app1 | jq .signed)
t_ok "...and again before half their lifetime has passed" wait_until 8 newer "$s1"
t_grep "...and says so at start" "keeping manifests fresh" "$T_DIR/serve-writer.log"
cfetch "$KEYS/clients/app1" /manifests/app1 -o "$T_DIR/served" -w '%{http_code}' >"$T_DIR/code"
t_cond "GET /manifests/app1 by app1: 200" "$(cat "$T_DIR/code")" = 200
t_ok "...a manifest that verifies" gpg --batch --homedir "$V" --verify "$T_DIR/served"
t_cond "GET /manifests/app1 by app2: 404" \
	"$(cfetch "$KEYS/clients/app2" /manifests/app1 -o /dev/null -w '%{http_code}')" = 404
t_cond "GET /manifests/app3 by the revoked app3: 403" \
	"$(cfetch "$KEYS/clients/app3" /manifests/app3 -o /dev/null -w '%{http_code}')" = 403
t_cond "GET /manifests/../wallet.json: 400" \
	"$(cfetch "$KEYS/clients/app1" /manifests/../wallet.json -o /dev/null -w '%{http_code}')" = 400
cfetch "$KEYS/clients/app1" /objects/other/v1/object.gpg -o "$T_DIR/obj" -w '%{http_code}' >"$T_DIR/code"
t_cond "GET /objects/other/v1/object.gpg: 200" "$(cat "$T_DIR/code")" = 200
t_ok "...the sealed bytes" cmp -s "$T_DIR/obj" "$D/objects/other/v1/object.gpg"
cfetch "$KEYS/clients/app1" /objects/other/v1/object.sig -o "$T_DIR/sig" >/dev/null
t_ok "GET .../object.sig: the detached signature" cmp -s "$T_DIR/sig" "$D/objects/other/v1/object.sig"
t_cond "...not for a client that is no recipient: 404" \
	"$(cfetch "$KEYS/clients/app2" /objects/other/v1/object.gpg -o /dev/null -w '%{http_code}')" = 404
t_cond "...nor for a version that is not there: 404" \
	"$(cfetch "$KEYS/clients/app1" /objects/other/v9/object.gpg -o /dev/null -w '%{http_code}')" = 404
for bad in /objects/other/v01/object.gpg /objects/other/v1/meta.json /objects/other/v1 \
	/objects/..@x/v1/object.gpg "/objects/other/v1/object.gpg?version=1"; do
	t_cond "GET $bad: 400" \
		"$(cfetch "$KEYS/clients/app1" "$bad" -o /dev/null -w '%{http_code}')" = 400
done
cfetch "$KEYS/clients/app1" /signing-key.asc -o "$T_DIR/key" >/dev/null
t_ok "GET /signing-key.asc: the public key" cmp -s "$T_DIR/key" "$D/signing-key.asc"
