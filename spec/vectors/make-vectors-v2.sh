#!/bin/bash
# Regenerates the format-2 known-answer vectors of spec/vectors/v2 (see ../README.md, "Format
# 2") into OUTDIR, with the project's own tools: wallet-keygen gpg, wallet init, importkey,
# store, refresh --ttl. Format 2: the detached signature carries the name, version and created
# notations, and the wallet signs a manifest per client (docs/FORMAT.md, "Manifests").
#
#   spec/vectors/make-vectors-v2.sh OUTDIR
#
# OUTDIR must not exist yet. The tools are taken from $CW_BIN (default build/bin of this tree).
# Keys and signatures are new on every run, so the output never equals the committed files:
# the committed files are the reference, and spec/unit/test_vectors_v2.c pins their sha256.
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

WORK=$(mktemp -d /tmp/cw-vectors-v2.XXXXXX)
cleanup() {
	gpgconf --homedir "$WORK/data/gnupg" --kill all >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
export GNUPGHOME=$WORK/nohome # gpg must never touch a real keyring

mkdir -p "$OUT/keys" "$OUT/plain" "$OUT/manifests" "$OUT/negative"

# 1. Keys: the client app1 (its secret key file, unprotected, as wallet-entry --gpg-key takes
#    it), another client app2 (its manifest is a negative case), the wallet's signing key.
wallet-keygen gpg --out "$WORK/keys" --name app1
wallet-keygen gpg --out "$WORK/keys" --name app2
DATA=$WORK/data
wallet --data "$DATA" init
wallet --data "$DATA" importkey app1 <"$WORK/keys/app1.pub.asc"
wallet --data "$DATA" importkey app2 <"$WORK/keys/app2.pub.asc"
cp "$WORK/keys/app1.sec.asc" "$OUT/keys/client.sec.asc"
cp "$WORK/keys/app1.pub.asc" "$OUT/keys/client.pub.asc"
cp "$WORK/keys/app2.pub.asc" "$OUT/keys/app2.pub.asc"
wallet --data "$DATA" signing-key >"$OUT/keys/wallet.pub.asc"
wallet --data "$DATA" signing-key --fingerprint >"$OUT/keys/wallet.fpr"

# 2. Objects, stored as the wallet stores them (format 2).
printf 'correct horse battery staple, format 2\n' >"$OUT/plain/db_pass"
printf 'group member secret, format 2\n' >"$OUT/plain/app1@api_key"
wallet --data "$DATA" store db_pass --to app1 <"$OUT/plain/db_pass"
wallet --data "$DATA" store app1/api_key --to app1 <"$OUT/plain/app1@api_key"

# 3. Manifests valid for 100 years (WS_TTL_MAX), so that the committed ones do not expire.
wallet --data "$DATA" refresh --ttl 3153600000
wallet --data "$DATA" checkintegrity >/dev/null

for d in db_pass/v1 app1@api_key/v1; do
	mkdir -p "$OUT/objects/$d"
	cp "$DATA/objects/$d/object.gpg" "$DATA/objects/$d/object.sig" "$DATA/objects/$d/meta.json" \
		"$OUT/objects/$d/"
done
cp "$DATA/manifests/app1" "$OUT/manifests/app1"

# 4. Negatives: app2's manifest (good, but another client's), app1's with one byte flipped
#    (the lowest bit of byte int(size / 2)).
cp "$DATA/manifests/app2" "$OUT/negative/manifest-app2"
perl -e 'local $/; my $b = <STDIN>; my $i = int(length($b) / 2);
	substr($b, $i, 1) = chr(ord(substr($b, $i, 1)) ^ 1); print $b' \
	<"$OUT/manifests/app1" >"$OUT/negative/manifest-flipped"
cmp -s "$OUT/manifests/app1" "$OUT/negative/manifest-flipped" && exit 1

chmod -R u+rwX,go+rX "$OUT"
find "$OUT" -type f -exec chmod 0644 {} +
echo "vectors written to $OUT"
(cd "$OUT" && find . -type f | LC_ALL=C sort | sed 's|^\./||' | xargs sha256sum)
