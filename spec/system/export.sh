#!/bin/bash
# wallet export (docs/FORMAT.md, "Export"): a copy without any secret key, served as a replica
# by wallet serve and as plain files by nginx; exported again into a served directory, it is
# seen without a restart.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"
export GNUPGHOME=$T_DIR/nohome
KEYS=$T_DIR/keys D=$T_DIR/data X=$T_DIR/export
serve_keys "$KEYS" || t_bail "key material"
serve_data "$D" "$KEYS" || t_bail "data directory"
export WALLET_DATA=$D
at_exit "t_gpg_stop $D/gnupg"
echo one | wallet store db_pass --to app1,app2 >/dev/null
echo grp | wallet store app1/a --to app1 >/dev/null
echo two | wallet store app1/a --to app1 >/dev/null
echo three | wallet store only3 --to app3 >/dev/null

t_ok "export" wallet export "$X"
t_grep "...says what it wrote" "exported 4 version(s) to" "$T_DIR/last.out"
for f in wallet.json signing-key.asc clients/app1.json manifests/app1 manifests/app2 \
	manifests/app3 objects/db_pass/v1/object.gpg objects/db_pass/v1/object.sig \
	objects/db_pass/v1/meta.json objects/app1@a/v1/object.gpg objects/app1@a/v2/object.gpg; do
	t_cond "the export has $f" -f "$X/$f"
done
t_cond "...and latest of app1/a is v2" "$(readlink "$X/objects/app1@a/latest")" = v2
t_ok "the sealed bytes are the store's" cmp -s "$X/objects/db_pass/v1/object.gpg" "$D/objects/db_pass/v1/object.gpg"
t_cond "no keyring in the export" ! -e "$X/gnupg"
no_secret() { ! grep -rlaE 'PRIVATE KEY|private-keys' "$X" >/dev/null; }
t_ok "no private key material anywhere in it" no_secret
keypackets() { find "$X" -type f -name '*.asc' -o -type f -name 'object.*' | while read -r f; do
	gpg --list-packets "$f" 2>/dev/null; done | grep -c 'secret key packet'; }
t_cond "no secret key packet in any OpenPGP file of it" "$(keypackets)" = 0
t_cond "files are 0644" "$(find "$X" -type f ! -perm 0644 | wc -l)" = 0
t_cond "directories are 0755" "$(find "$X" -type d ! -perm 0755 | wc -l)" = 0

# --client limits what an export holds
X2=$T_DIR/only2
t_ok "export --client app2" wallet export "$X2" --client app2
t_cond "...only app2's records" "$(ls "$X2/clients" "$X2/manifests" | grep -c app)" = 2
t_cond "...only what app2 reads" "$(cd "$X2/objects" && echo *)" = db_pass

# refusals: one line, nothing written
one_line() { # DESC CODE CMD...
	local d=$1 code=$2; shift 2
	"$@" >"$T_DIR/o" 2>"$T_DIR/e"
	local rc=$?
	t_cond "$d: exit $code, one line" "$rc:$(wc -l <"$T_DIR/e")" = "$code:1"
}
mkdir "$T_DIR/busy" && echo mine >"$T_DIR/busy/notes"
one_line "export into a directory that holds something else" 1 wallet export "$T_DIR/busy"
t_cond "...which is left alone" "$(ls "$T_DIR/busy")" = notes
one_line "export into the data directory" 2 wallet export "$D/sub"
one_line "export --client unknown" 1 wallet export "$T_DIR/x3" --client nobody
one_line "export --client with a bad name" 2 wallet export "$T_DIR/x3" --client ../x
one_line "export without OUTDIR" 2 wallet export
wallet revoke app3 >/dev/null
one_line "export --client of a revoked client" 1 wallet export "$T_DIR/x3" --client app3

# a replica serving the export; nginx serving it as files
serve_start replica --data "$X" --tls-cert "$KEYS/wallet/server.crt" \
	--tls-key "$KEYS/wallet/server.key" --tls-ca "$KEYS/ca/ca.crt" || t_bail "replica"
t_nogrep "the replica does not sign (it has no key)" "keeping manifests fresh" "$T_DIR/serve-replica.log"
A1=$KEYS/clients/app1
cfetch "$A1" /manifests/app1 -o "$T_DIR/m" >/dev/null
t_ok "the replica serves app1's manifest" cmp -s "$T_DIR/m" "$X/manifests/app1"
cfetch "$A1" /objects/app1@a/v2/object.gpg -o "$T_DIR/o2" >/dev/null
t_ok "...and its objects" cmp -s "$T_DIR/o2" "$X/objects/app1@a/v2/object.gpg"
t_cond "...and the signing key" "$(cfetch "$A1" /signing-key.asc | head -1)" = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
t_cond "...to recipients only" \
	"$(cfetch "$KEYS/clients/app2" /objects/app1@a/v2/object.gpg -o /dev/null -w '%{http_code}')" = 404

# a new version and a removal, exported again into the served directory
echo three | wallet store app1/a --to app1 >/dev/null
wallet rm db_pass >/dev/null
t_ok "export again into the served directory" wallet export "$X"
new_manifest() { cfetch "$A1" /manifests/app1 -o "$T_DIR/m2" >/dev/null && cmp -s "$T_DIR/m2" "$X/manifests/app1" &&
	! cmp -s "$T_DIR/m2" "$T_DIR/m"; }
t_ok "the replica serves the new manifest within 2 s, without a restart" wait_until 2 new_manifest
t_cond "...and the new version" \
	"$(cfetch "$A1" /objects/app1@a/v3/object.gpg -o /dev/null -w '%{http_code}')" = 200
t_cond "the removed object left the export" ! -e "$X/objects/db_pass"
t_cond "the revoked client's records left it" "$(ls "$X/clients" "$X/manifests" | grep -c app3)" = 0
t_cond "no work files are left" "$(find "$X" -name '.*' | wc -l)" = 0

# the writer's wallet serve --export keeps an export current by itself
L=$T_DIR/live
wallet serve --listen "127.0.0.1:$(pick_port)" --tls-cert "$KEYS/wallet/server.crt" \
	--tls-key "$KEYS/wallet/server.key" --tls-ca "$KEYS/ca/ca.crt" --export "$L" \
	2>"$T_DIR/writer.log" &
WPID=$!
at_exit "kill $WPID; wait $WPID"
t_ok "wallet serve --export writes the export at start" wait_until 20 test -f "$L/manifests/app1"
V=$(mktemp -d /dev/shm/cwtest-ex.XXXXXX)
at_exit "t_gpg_stop $V; rm -rf $V"
gpg --batch --homedir "$V" --import "$D/signing-key.asc" 2>/dev/null
latest_in_export() { # NAME VERSION: the live export's manifest of app1 lists NAME at VERSION
	gpg --batch --homedir "$V" --decrypt "$L/manifests/app1" 2>/dev/null |
		jq -e --arg n "$1" --argjson v "$2" '.objects[] | select(.name == $n and .version == $v)'
}
echo four | wallet store app1/a --to app1 >/dev/null
t_ok "a store reaches the export within 2 s" wait_until 2 latest_in_export app1/a 4
t_cond "...with the new version's files" -f "$L/objects/app1@a/v4/object.gpg"
t_exit "serve --export on a directory without the signing key: exit 2" 2 \
	wallet serve --data "$X" --listen "127.0.0.1:$(pick_port)" --tls-cert "$KEYS/wallet/server.crt" \
	--tls-key "$KEYS/wallet/server.key" --tls-ca "$KEYS/ca/ca.crt" --export "$T_DIR/nowhere"
t_grep "...saying why" "needs the writer's data directory" "$T_DIR/last.out"
