#!/bin/bash
# Regenerates the known-answer vectors of spec/vectors (see README.md there) into OUTDIR, with
# the project's own tools: wallet-keygen gpg, wallet init, wallet importkey, wallet store. The
# negative vectors are derived from those objects with the gpg CLI (a flipped byte, a
# detached signature by another key, a forged inner signature).
#
#   spec/vectors/make-vectors.sh OUTDIR
#
# OUTDIR must not exist yet. The tools are taken from $CW_BIN (default build/bin of this tree).
# Keys and signatures are new on every run, so the output never equals the committed files:
# the committed files are the reference, and spec/unit/test_vectors.c pins their sha256.
# Regenerating them is a format change: update the table in that test and say why.
set -euo pipefail
umask 077

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
[ -e "$OUT" ] && { echo "$0: $OUT exists" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${CW_BIN:-$ROOT/build/bin}
for t in wallet wallet-keygen; do
	[ -x "$BIN/$t" ] || { echo "$0: $BIN/$t missing (make build)" >&2; exit 1; }
done
export PATH="$BIN:$PATH"

WORK=$(mktemp -d /tmp/cw-vectors.XXXXXX)
XHOME=$WORK/gnupg-forger
cleanup() {
	gpgconf --homedir "$XHOME" --kill all >/dev/null 2>&1 || true
	gpgconf --homedir "$WORK/data/gnupg" --kill all >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
export GNUPGHOME=$WORK/nohome # gpg must never touch a real keyring
G() { gpg --batch --quiet --no-tty --pinentry-mode loopback --passphrase '' "$@"; }

mkdir -p "$OUT/keys" "$OUT/plain" "$OUT/negative"

# 1. Keys: the client app1 (its secret key file, unprotected, as wallet-entry --gpg-key takes
#    it), a forger, and the wallet's signing key (wallet init).
wallet-keygen gpg --out "$WORK/keys" --name app1
wallet-keygen gpg --out "$WORK/keys" --name forger
DATA=$WORK/data
wallet --data "$DATA" init
wallet --data "$DATA" importkey app1 <"$WORK/keys/app1.pub.asc"
cp "$WORK/keys/app1.sec.asc" "$OUT/keys/client.sec.asc"
cp "$WORK/keys/app1.pub.asc" "$OUT/keys/client.pub.asc"
cp "$WORK/keys/forger.pub.asc" "$OUT/keys/forger.pub.asc"
wallet --data "$DATA" signing-key >"$OUT/keys/wallet.pub.asc"
wallet --data "$DATA" signing-key --fingerprint >"$OUT/keys/wallet.fpr"

# 2. Positive objects, stored as the wallet stores them.
printf 'correct horse battery staple\n' >"$OUT/plain/db_pass"
perl -e 'print map { chr } 0 .. 255' >"$OUT/plain/all_bytes"
printf 'group member secret\n' >"$OUT/plain/app1@api_key"
for v in 1 2 3; do printf 'rotated secret, version %s\n' "$v" >"$OUT/plain/rotated.v$v"; done
wallet --data "$DATA" store db_pass --to app1 <"$OUT/plain/db_pass"
wallet --data "$DATA" store all_bytes --to app1 <"$OUT/plain/all_bytes"
wallet --data "$DATA" store app1/api_key --to app1 <"$OUT/plain/app1@api_key"
for v in 1 2 3; do wallet --data "$DATA" store rotated --to app1 <"$OUT/plain/rotated.v$v"; done
wallet --data "$DATA" checkintegrity >/dev/null
rm "$OUT/plain/rotated.v2" # v2 is not a vector

# the objects as they are in the data directory (no .lock, seq or latest: clients never see
# them); v2 of rotated is left out
for d in db_pass/v1 all_bytes/v1 app1@api_key/v1 rotated/v1 rotated/v3; do
	mkdir -p "$OUT/objects/$d"
	cp "$DATA/objects/$d/object.gpg" "$DATA/objects/$d/object.sig" "$DATA/objects/$d/meta.json" \
		"$OUT/objects/$d/"
done

# 3. Negative vectors.
# tampered: db_pass v1 with the byte in the middle of the sealed bytes XOR 0x01, the
# original detached signature
mkdir -p "$OUT/negative/tampered"
src=$OUT/objects/db_pass/v1
cp "$src/object.sig" "$OUT/negative/tampered/object.sig"
perl -e 'local $/; my $b = <STDIN>; my $i = int(length($b) / 2);
	substr($b, $i, 1) = chr(ord(substr($b, $i, 1)) ^ 1); print $b' \
	<"$src/object.gpg" >"$OUT/negative/tampered/object.gpg"
cmp -s "$src/object.gpg" "$OUT/negative/tampered/object.gpg" && exit 1

# forged: db_pass v1 as stored, its detached signature made by the forger's key
mkdir -m 0700 "$XHOME"
mkdir -p "$OUT/negative/forged" "$OUT/negative/inner-forged"
G --homedir "$XHOME" --import "$WORK/keys/forger.sec.asc" "$WORK/keys/app1.pub.asc"
XFPR=$(G --homedir "$XHOME" --with-colons --list-secret-keys | awk -F: '/^fpr/ {print $10; exit}')
cp "$src/object.gpg" "$OUT/negative/forged/object.gpg"
G --homedir "$XHOME" -u "$XFPR" --detach-sign -o "$OUT/negative/forged/object.sig" \
	"$src/object.gpg"

# inner-forged: the forger seals db_pass v1 like the wallet does (same notations, encrypted
# to app1, signed by the forger), and the wallet's key signs the result detached: only the
# inner signature is wrong
G --homedir "$XHOME" --trust-model always -u "$XFPR" -r app1 \
	--sig-notation "name@containerwallet=db_pass" --sig-notation "version@containerwallet=1" \
	--sig-notation "created@containerwallet=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--sign --encrypt -o "$OUT/negative/inner-forged/object.gpg" "$OUT/plain/db_pass"
WFPR=$(cat "$OUT/keys/wallet.fpr")
G --homedir "$DATA/gnupg" -u "$WFPR" --detach-sign -o "$OUT/negative/inner-forged/object.sig" \
	"$OUT/negative/inner-forged/object.gpg"
# substituted (app1/api_key v1 served as db_pass) and rolled back (rotated v1 served when v3
# is required) are made of positive objects: see vectors.txt
cp "$ROOT/spec/vectors/vectors.txt" "$OUT/vectors.txt" # the cases do not depend on the keys

chmod -R u+rwX,go+rX "$OUT"
find "$OUT" -type f -exec chmod 0644 {} +
echo "vectors written to $OUT"
echo "sha256 of the sealed bytes:"
(cd "$OUT" && sha256sum objects/*/v*/object.gpg negative/*/object.gpg negative/*/object.sig \
	objects/*/v*/object.sig)
echo "sha256 of the plaintexts:"
(cd "$OUT" && sha256sum plain/*)
