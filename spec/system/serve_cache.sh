#!/bin/bash
# wallet serve keeps loaded versions and client records in memory (wallet/objcache,
# wallet/clientcache): every change made by the admin commands is still seen by the very next
# request, without a restart: a new version, a removed version, a removed object, a revoked
# client, a changed recipient list. The bytes served are always those on disk.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

KEYS=$T_DIR/keys
DATA=$T_DIR/data
export WALLET_DATA=$DATA
serve_keys "$KEYS" || { echo "Bail out! key material"; exit 1; }
serve_data "$DATA" "$KEYS" || { echo "Bail out! data directory"; exit 1; }
A1=$KEYS/clients/app1 A2=$KEYS/clients/app2

echo v1-content | wallet store obj --to app1 >/dev/null
serve_start main --tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" \
	--tls-ca "$KEYS/ca/ca.crt" --audit-log "$T_DIR/audit.log" --threads 4
t_cond "server answers /healthz" "$?" = 0

# version_of PATH CLIENT: "STATUS VERSION" of a GET (VERSION "-" without the header); the body
# goes to $T_DIR/body.
version_of() {
	local code v
	code=$(cfetch "${2:-$A1}" "$1" -D "$T_DIR/hdr" -o "$T_DIR/body" -w '%{http_code}')
	v=$(sed -n 's/^X-Wallet-Version: \([0-9]*\).*/\1/p' "$T_DIR/hdr")
	echo "$code ${v:--}"
}

t_cond "v1 served" "$(version_of /v1/objects/obj)" = "200 1"
t_cond "v1 served again (from memory)" "$(version_of /v1/objects/obj)" = "200 1"
t_ok "served bytes are v1's on disk" cmp "$T_DIR/body" "$DATA/objects/obj/v1/object.gpg"

# Each store is visible to the very next fetch, and each fetch is the version just stored.
stale=0
for i in 2 3 4 5 6; do
	echo "v$i-content" | wallet store obj --to app1 >/dev/null
	got=$(version_of /v1/objects/obj)
	[ "$got" = "200 $i" ] || { stale=1; echo "# after store $i: $got"; }
	cmp -s "$T_DIR/body" "$DATA/objects/obj/v$i/object.gpg" || { stale=1; echo "# v$i bytes differ"; }
done
t_cond "every store visible to the next fetch, with its bytes" "$stale" = 0
t_cond "an older version by number" "$(version_of '/v1/objects/obj?version=2')" = "200 2"
t_ok "its bytes are v2's on disk" cmp "$T_DIR/body" "$DATA/objects/obj/v2/object.gpg"

# Removal: a removed version is gone at once, even though it was served a moment ago.
wallet rm obj --version 2 >/dev/null
t_cond "removed version: 404 at once" "$(version_of '/v1/objects/obj?version=2')" = "404 -"
t_cond "other versions stay" "$(version_of '/v1/objects/obj?version=3')" = "200 3"
wallet rm obj --version 6 >/dev/null
t_cond "latest removed: the highest remaining is served" "$(version_of /v1/objects/obj)" = "200 5"
wallet rm obj >/dev/null
t_cond "object removed: 404" "$(version_of /v1/objects/obj)" = "404 -"
t_cond "object removed: its old versions 404" "$(version_of '/v1/objects/obj?version=5')" = "404 -"
echo v7-content | wallet store obj --to app1 >/dev/null
t_cond "stored again: the next version number" "$(version_of /v1/objects/obj)" = "200 7"

# Recipients belong to a version: a new version for app2 only is not app1's.
echo for-app2 | wallet store obj --to app2 >/dev/null
t_cond "new version for app2: app1 gets 404" "$(version_of /v1/objects/obj)" = "404 -"
t_cond "new version for app2: app2 gets it" "$(version_of /v1/objects/obj "$A2")" = "200 8"
t_cond "app1 still gets its own version by number" "$(version_of '/v1/objects/obj?version=7')" = "200 7"

# Clients: a revocation applies to the very next request (the record was read just before).
t_cond "app1 known (record read)" "$(version_of '/v1/objects/obj?version=7')" = "200 7"
wallet revoke app1 >/dev/null
t_cond "revoked: 403 at once" "$(version_of '/v1/objects/obj?version=7')" = "403 -"
code=$(cfetch "$A1" /v1/objects -o /dev/null -w '%{http_code}')
t_cond "revoked: listing 403 at once" "$code" = 403
rm -f "$DATA/clients/app2.json"
t_cond "client record removed: 403 at once" "$(version_of /v1/objects/obj "$A2")" = "403 -"
