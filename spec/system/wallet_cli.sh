#!/bin/bash
# wallet admin CLI against real peers: gpg makes the clients' keys, decrypts what the wallet
# sealed and verifies its signatures and notations.
. "$(dirname "$0")/../lib.sh"

W=$CW_BIN/wallet
[ -x "$W" ] || { t_fail "wallet binary built" "no $W"; exit 1; }
D=$T_DIR/data
export GNUPGHOME=$T_DIR/gh
mkdir -m 700 "$GNUPGHOME"
at_exit "t_gpg_stop '$GNUPGHOME'"
at_exit "t_gpg_stop '$D/gnupg'"
at_exit "t_gpg_stop '$T_DIR/copy/gnupg'"
g() { gpg --batch --yes --pinentry-mode loopback --passphrase '' "$@"; }
fpr_of() { gpg --with-colons --list-keys "$1" | awk -F: '/^fpr/{print $10; exit}'; }

# Client keys: good ones, and one of each kind importkey must refuse.
g --quick-gen-key app1 ed25519 sign 0 2>/dev/null
g --quick-add-key "$(fpr_of app1)" cv25519 encr 0
g --quick-gen-key app2 ed25519 sign 0 2>/dev/null
g --quick-add-key "$(fpr_of app2)" cv25519 encr 0
g --quick-gen-key nosub ed25519 sign 0 2>/dev/null
g --faked-system-time 20200101T000000 --quick-gen-key expd ed25519 sign 1y 2>/dev/null
g --faked-system-time 20200101T000000 --quick-add-key "$(fpr_of expd)" cv25519 encr 1y 2>/dev/null
g --quick-gen-key revd ed25519 sign 0 2>/dev/null
g --quick-add-key "$(fpr_of revd)" cv25519 encr 0
sed 's/^:-----/-----/' "$GNUPGHOME/openpgp-revocs.d/$(fpr_of revd).rev" | g --import 2>/dev/null
for k in app1 app2 nosub expd revd; do gpg --armor --export "$k" >"$T_DIR/$k.asc"; done
g --armor --export-secret-keys app1 >"$T_DIR/app1.sec"
cat "$T_DIR/app1.asc" "$T_DIR/app2.asc" >"$T_DIR/two.asc"

json_ok() {
	if command -v python3 >/dev/null; then python3 -c 'import json,sys; json.load(sys.stdin)' <"$1"
	elif perl -MJSON::PP -e 1 2>/dev/null; then perl -MJSON::PP -e 'local $/; decode_json(<STDIN>)' <"$1"
	elif command -v jq >/dev/null; then jq . <"$1" >/dev/null
	else echo "no JSON parser (python3, perl JSON::PP or jq)" >&2; return 1; fi
}

# --- usage ---
t_ok "wallet --help" "$W" --help
t_ok "wallet --version" "$W" --version
for c in init importkey store list rm keys revoke signing-key checkintegrity serve; do
	"$W" help "$c" >"$T_DIR/h1" 2>&1
	"$W" "$c" --help >"$T_DIR/h2" 2>&1
	t_cond "help $c == $c --help" -s "$T_DIR/h1" -a "$(cat "$T_DIR/h1")" = "$(cat "$T_DIR/h2")"
done
one_line_err "unknown command: exit 2" 2 "$W" frobnicate
one_line_err "unknown option: exit 2" 2 "$W" list --frob
one_line_err "not initialised: exit 1" 1 "$W" --data "$T_DIR/none" list

# --- init ---
t_ok "init" "$W" --data "$D" init
t_grep "init names the key" "signing key" "$T_DIR/last.out"
WFPR=$("$W" --data "$D" signing-key --fingerprint)
t_ok "init again is harmless" "$W" --data "$D" init
t_cond "same signing key after a second init" "$("$W" --data "$D" signing-key --fingerprint)" = "$WFPR"
t_cond "data dir is 0700" "$(stat -c %a "$D")" = 700
t_cond "WALLET_DATA is honoured" "$(WALLET_DATA=$D "$W" signing-key --fingerprint)" = "$WFPR"
"$W" --data "$D" signing-key >"$T_DIR/wallet.asc"
t_grep "signing-key is armored" "BEGIN PGP PUBLIC KEY BLOCK" "$T_DIR/wallet.asc"
g --import "$T_DIR/wallet.asc" 2>/dev/null
t_cond "exported key has the pinned fingerprint" "$(fpr_of "$WFPR")" = "$WFPR"

# --- importkey ---
t_ok "importkey app1" "$W" --data "$D" importkey app1 <"$T_DIR/app1.asc"
t_grep "importkey prints the fingerprint" "$(fpr_of app1)" "$T_DIR/last.out"
t_ok "importkey app2" "$W" --data "$D" importkey app2 <"$T_DIR/app2.asc"
for bad in sec:app1.sec nosub:nosub.asc expd:expd.asc revd:revd.asc two:two.asc; do
	one_line_err "importkey refuses ${bad%%:*}" 1 sh -c "'$W' --data '$D' importkey x${bad%%:*} <'$T_DIR/${bad#*:}'"
done
one_line_err "importkey refuses empty stdin" 1 "$W" --data "$D" importkey xempty
t_cond "refused keys are not registered" "$(ls "$D/clients")" = "app1.json
app2.json"
one_line_err "second key without --replace: refused" 1 sh -c "'$W' --data '$D' importkey app1 <'$T_DIR/app2.asc'"
t_ok "--replace" sh -c "'$W' --data '$D' importkey --replace app1 <'$T_DIR/app1.asc'"
one_line_err "importkey bad client name: exit 2" 2 "$W" --data "$D" importkey a/b
t_cond "no secret key went into the wallet's keyring" \
	"$(gpg --homedir "$D/gnupg" --with-colons --list-secret-keys 2>/dev/null | grep -c '^sec')" = 1
t_gpg_stop "$D/gnupg" # that gpg call started one

# --- store and open with the gpg CLI ---
MARK="plain-$RANDOM$RANDOM-marker-text"
printf '%s' "$MARK" >"$T_DIR/text"
t_ok "store text" sh -c "'$W' --data '$D' store db_pass --to app1 <'$T_DIR/text'"
t_cond "store prints name and version" "$(cat "$T_DIR/last.out")" = "db_pass 1"
gpg --batch --decrypt "$D/objects/db_pass/latest/object.gpg" >"$T_DIR/dec" 2>/dev/null
t_ok "gpg decrypts to exactly the bytes" cmp "$T_DIR/text" "$T_DIR/dec"
gpg --batch --verify-options show-notations --decrypt "$D/objects/db_pass/v1/object.gpg" \
	>/dev/null 2>"$T_DIR/notes"
t_grep "inner signature is good" "Good signature" "$T_DIR/notes"
t_grep "inner signature by the wallet key" "$WFPR" "$T_DIR/notes"
t_grep "name notation" "name@containerwallet=db_pass" "$T_DIR/notes"
t_grep "version notation" "version@containerwallet=1" "$T_DIR/notes"
t_grep "created notation" "created@containerwallet=" "$T_DIR/notes"
t_ok "detached signature verifies" gpg --batch --verify "$D/objects/db_pass/v1/object.sig" \
	"$D/objects/db_pass/v1/object.gpg"
t_grep "detached signature by the wallet key" "$WFPR" "$T_DIR/last.out"
t_nogrep "plaintext nowhere in the data dir" "$MARK" <(grep -r -a -F "$MARK" "$D")
t_cond "meta.json sha256 matches" "$(sha256sum <"$D/objects/db_pass/v1/object.gpg" | cut -d' ' -f1)" \
	= "$(sed 's/.*"sha256":"\([0-9a-f]*\)".*/\1/' "$D/objects/db_pass/v1/meta.json")"

printf "$(printf '\\%03o' $(seq 0 255))" >"$T_DIR/all"
t_cond "256-byte test file" "$(stat -c %s "$T_DIR/all")" = 256
t_ok "store all 256 byte values to two clients" sh -c "'$W' --data '$D' store app1/bin --to app1,app2 <'$T_DIR/all'"
gpg --batch --decrypt "$D/objects/app1@bin/latest/object.gpg" >"$T_DIR/dec" 2>/dev/null
t_ok "binary round-trips" cmp "$T_DIR/all" "$T_DIR/dec"
printf 'v2-content' | "$W" --data "$D" store db_pass --to app1,app2 >"$T_DIR/v2" 2>&1
t_cond "second store is version 2" "$(cat "$T_DIR/v2")" = "db_pass 2"
gpg --batch --verify-options show-notations --decrypt "$D/objects/db_pass/latest/object.gpg" \
	>/dev/null 2>"$T_DIR/notes"
t_grep "version 2 notation" "version@containerwallet=2" "$T_DIR/notes"

# docker exec -i: stdin a file, no controlling terminal at all (setsid), nothing may prompt
t_ok "store without a terminal" setsid -w sh -c "'$W' --data '$D' store notty --to app1 <'$T_DIR/text' >'$T_DIR/notty' 2>&1"
t_cond "... prints name and version" "$(cat "$T_DIR/notty")" = "notty 1"
# no agent with the signing key outlives a command (the pattern's [g] keeps pgrep off itself)
t_exit "no gpg-agent left running after store" 1 pgrep -f "[g]pg-agent --homedir $D/gnupg "
one_line_err "store to an unknown client" 1 sh -c "echo x | '$W' --data '$D' store n --to nobody"
one_line_err "store of empty stdin" 1 sh -c "'$W' --data '$D' store n --to app1 </dev/null"
one_line_err "store over --max-size" 1 sh -c "head -c 2000 /dev/zero | '$W' --data '$D' store n --to app1 --max-size 1000"
one_line_err "store over the 1 MiB default" 1 sh -c "head -c 1048577 /dev/zero | '$W' --data '$D' store n --to app1"
t_ok "store of exactly --max-size" sh -c "head -c 1000 /dev/zero | '$W' --data '$D' store n --to app1 --max-size 1000"
one_line_err "store without --to: exit 2" 2 sh -c "echo x | '$W' --data '$D' store n"

# --- bad names ---
long=$(printf 'a%.0s' $(seq 256))
for n in ../x a//b /abs a/./b . "a b" "$long" "x/"; do
	one_line_err "store refuses name '${n:0:20}': exit 2" 2 sh -c "echo x | '$W' --data '$D' store '$n' --to app1"
	one_line_err "rm refuses name '${n:0:20}': exit 2" 2 "$W" --data "$D" rm "$n"
done
t_cond "bad names created nothing" "$(ls "$D/objects" | sort | tr '\n' ' ')" = "app1@bin db_pass n notty "

# --- list, keys ---
t_ok "list" "$W" --data "$D" list
t_grep "list shows db_pass" "db_pass" "$T_DIR/last.out"
"$W" --data "$D" list --json >"$T_DIR/list.json"
t_ok "list --json parses" json_ok "$T_DIR/list.json"
t_grep "list --json has db_pass v2" '"name":"db_pass","version":2' "$T_DIR/list.json"
"$W" --data "$D" keys --json >"$T_DIR/keys.json"
t_ok "keys --json parses" json_ok "$T_DIR/keys.json"
t_grep "keys --json has app1" "\"client\":\"app1\",\"fingerprint\":\"$(fpr_of app1)\"" "$T_DIR/keys.json"

# --- revoke ---
t_ok "revoke app2" "$W" --data "$D" revoke app2
"$W" --data "$D" keys --json >"$T_DIR/keys.json"
t_grep "keys shows app2 revoked" '"client":"app2","fingerprint":"'"$(fpr_of app2)"'","imported":' "$T_DIR/keys.json"
t_grep "revoked flag set" '"revoked":true' "$T_DIR/keys.json"
one_line_err "store refuses a revoked recipient" 1 sh -c "echo x | '$W' --data '$D' store r --to app1,app2"
one_line_err "revoke of an unknown client" 1 "$W" --data "$D" revoke nobody
t_ok "revoke twice is fine" "$W" --data "$D" revoke app2

# --- rm ---
t_ok "rm --version 1" "$W" --data "$D" rm db_pass --version 1
t_cond "v1 gone, v2 stays" ! -e "$D/objects/db_pass/v1" -a -e "$D/objects/db_pass/v2/object.gpg"
t_ok "rm --version 2 (the latest)" "$W" --data "$D" rm db_pass --version 2
"$W" --data "$D" list >"$T_DIR/list"
t_nogrep "rm'd object not listed" "db_pass" "$T_DIR/list"
one_line_err "rm of a missing version" 1 "$W" --data "$D" rm app1/bin --version 9
t_ok "store after rm" sh -c "echo again | '$W' --data '$D' store db_pass --to app1"
t_cond "versions are never reused" "$(cat "$T_DIR/last.out")" = "db_pass 3"
t_ok "rm every version" "$W" --data "$D" rm n
one_line_err "rm of a removed object" 1 "$W" --data "$D" rm n
one_line_err "rm --version 0: exit 2" 2 "$W" --data "$D" rm db_pass --version 0

# --- checkintegrity ---
t_ok "checkintegrity passes" "$W" --data "$D" checkintegrity
t_nogrep "no ERROR line" "ERROR" "$T_DIR/last.out"
t_grep "object lines" "OK object app1/bin v1" "$T_DIR/last.out"
fresh_copy() { t_gpg_stop "$T_DIR/copy/gnupg"; rm -rf "$T_DIR/copy"; cp -a "$D" "$T_DIR/copy"; }
fresh_copy
f=$T_DIR/copy/objects/app1@bin/v1/object.gpg
b=$(od -An -tu1 -j 100 -N 1 "$f" | tr -d ' ')
printf "$(printf '\\%03o' $(( (b + 1) % 256 )))" | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
t_exit "checkintegrity: flipped byte -> exit 1" 1 "$W" --data "$T_DIR/copy" checkintegrity
t_grep "flipped byte reported" "ERROR object app1/bin v1" "$T_DIR/last.out"
fresh_copy
g --homedir "$T_DIR/copy/gnupg" --import "$T_DIR/app1.sec" 2>/dev/null
t_exit "checkintegrity: foreign secret key -> exit 1" 1 "$W" --data "$T_DIR/copy" checkintegrity
t_grep "foreign secret key reported" "ERROR secret key" "$T_DIR/last.out"
fresh_copy
chmod 644 "$T_DIR/copy/clients/app1.json"
t_exit "checkintegrity: world-readable file -> exit 1" 1 "$W" --data "$T_DIR/copy" checkintegrity
t_grep "world-readable file reported" "ERROR mode of $T_DIR/copy/clients/app1.json" "$T_DIR/last.out"
fresh_copy
chmod 755 "$T_DIR/copy/objects"
t_exit "checkintegrity: group-readable dir -> exit 1" 1 "$W" --data "$T_DIR/copy" checkintegrity
fresh_copy
sed -i 's/"version":1/"version":7/' "$T_DIR/copy/objects/app1@bin/v1/meta.json"
t_exit "checkintegrity: edited meta.json -> exit 1" 1 "$W" --data "$T_DIR/copy" checkintegrity
fresh_copy
cp "$D/objects/db_pass/v3/object.sig" "$T_DIR/copy/objects/app1@bin/v1/object.sig"
t_exit "checkintegrity: signature of another object -> exit 1" 1 "$W" --data "$T_DIR/copy" checkintegrity
t_grep "wrong signature reported" "ERROR object app1/bin v1: detached signature" "$T_DIR/last.out"
fresh_copy
mkdir -p "$T_DIR/copy/tmp/store-leftover" && echo junk >"$T_DIR/copy/tmp/store-leftover/object.gpg"
chmod 644 "$T_DIR/copy/tmp/store-leftover/object.gpg"
t_ok "checkintegrity ignores leftovers under tmp/" "$W" --data "$T_DIR/copy" checkintegrity
