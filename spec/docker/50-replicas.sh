#!/bin/bash
# The writer/replica split of docker/compose.yaml, run as its services run (docker run, the
# same images, environment and options; host networking on loopback ports instead of the
# compose network): one writer with the signing key that keeps an export volume current
# (WALLET_EXPORT=/export), and two replicas that mount only that volume, read-only, and serve
# it (`wallet serve --data /export`, and WALLET_DATA=/export). The application fetches through
# the list of the replicas; with the first replica stopped it still starts; no replica holds a
# secret key; a new version stored in the writer reaches the replicas through the export and
# the application gets it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"

docker_up
build_images wallet wallet-entry wallet-keygen
t_ok "example application image builds" build_example example-app "$CW_ID/example-app:latest"
dk image inspect "$CW_ID/example-app:latest" >/dev/null 2>&1 || exit 1

new_keys app1
W=$CW_ID-wallet
R1=$CW_ID-replica1
R2=$CW_ID-replica2
DATA=$CW_ID-data
EXPORT=$CW_ID-export
# Registered first, so that they run last: the containers that use them are gone by then.
at_exit "$DOCKER volume rm -f $DATA $EXPORT"

# The writer: its data volume (the signing key) and the export volume, read-write.
start_server "the writer" "$W" "$KEYS" -e WALLET_EXPORT=/export \
	-v "$DATA:/var/lib/wallet" -v "$EXPORT:/export"
WPORT=$SPORT
import_key "$W" app1
store_new "$W" db_pass
t_cond "the wallet's signing-key fingerprint (40 hex)" "$(printf '%s' "$SIGNER" | grep -cE '^[0-9A-F]{40}$')" = 1
manifest_in_export() { dk exec "$W" test -s /export/manifests/app1; }
t_ok "the writer's export holds app1's manifest" wait_until 10 manifest_in_export
dk logs "$W" >"$T_DIR/writer.log" 2>&1
t_grep "the writer keeps the manifests fresh (it can sign)" "keeping manifests fresh" "$T_DIR/writer.log"

# The replicas: the export volume only, read-only; one as compose runs it (`wallet serve
# --data /export`), one through WALLET_DATA.
start_server "replica1 (wallet serve --data /export)" "$R1" "$KEYS" -v "$EXPORT:/export:ro" \
	-- wallet serve --data /export
P1=$SPORT
start_server "replica2 (WALLET_DATA=/export)" "$R2" "$KEYS" -e WALLET_DATA=/export -v "$EXPORT:/export:ro"
P2=$SPORT

for R in "$R1" "$R2"; do
	r=${R#"$CW_ID-"}
	dk inspect -f '{{range .Mounts}}{{.Destination}} {{.Name}} {{.RW}}{{println}}{{end}}' "$R" >"$T_DIR/$r.mounts"
	t_grep "$r: the export volume is mounted read-only at /export" "/export $EXPORT false" "$T_DIR/$r.mounts"
	t_nogrep "$r: the writer's data volume is not mounted" " $DATA " "$T_DIR/$r.mounts"
	t_exit "$r: /export is not writable" 1 dk exec "$R" sh -c 'touch /export/probe'
	t_exit "$r: no gnupg directory in its data directory" 1 dk exec "$R" test -e /export/gnupg
	t_cond "$r: /var/lib/wallet (the image's VOLUME, no data volume mounted) is empty" \
		-z "$(dk exec "$R" ls -A /var/lib/wallet 2>&1)"
	t_exit "$r: no 'PRIVATE KEY' (nor gpg-agent key file) under /export or /var/lib/wallet" 1 \
		dk exec "$R" grep -rlE 'PRIVATE KEY|private-key' /export /var/lib/wallet
	dk exec "$R" find / -path /proc -prune -o -name private-keys-v1.d -print >"$T_DIR/$r.keys" 2>/dev/null
	t_cond "$r: find / -name private-keys-v1.d finds nothing" ! -s "$T_DIR/$r.keys"
	t_cond "$r: the find searched the container (it found /export/wallet.json)" \
		"$(dk exec "$R" find / -path /proc -prune -o -name wallet.json -print 2>/dev/null)" = /export/wallet.json
	dk logs "$R" >"$T_DIR/$r.log" 2>&1
	t_nogrep "$r: signs nothing (no manifest refresher)" "keeping manifests fresh" "$T_DIR/$r.log"
done
# Control: the same search finds the writer's secret key.
dk exec "$W" find / -path /proc -prune -o -name private-keys-v1.d -print >"$T_DIR/w.keys" 2>/dev/null
t_grep "control: the same find in the writer finds its secret key" "/var/lib/wallet/gnupg/private-keys-v1.d" "$T_DIR/w.keys"

# The application, through the list of the two replicas.
URLS=https://127.0.0.1:$P1,https://127.0.0.1:$P2
run_app() { # LOG [docker run options...]: the example application against $APP_URLS, else the replicas
	local log=$1
	shift
	dk run --rm --network host --read-only --tmpfs /tmp --cap-drop ALL \
		--security-opt no-new-privileges -v "$KEYS/keys/clients/app1:/etc/wallet-client:ro" \
		-e "WALLET_SIGNER=$SIGNER" -e WALLET_WAIT=10 -e "WALLET_URL=${APP_URLS:-$URLS}" "$@" \
		"$CW_ID/example-app:latest" >"$log" 2>&1
}
t_ok "the application starts through the list of the two replica URLs" run_app "$T_DIR/app1.log"
t_grep "...and got the stored secret (same sha256)" "sha256 $WANT" "$T_DIR/app1.log"
dk logs "$R1" >"$T_DIR/replica1.log" 2>&1
t_grep "...from replica1 (its audit log)" '"object":"db_pass","version":1,"status":200' "$T_DIR/replica1.log"

t_ok "docker stop replica1" dk stop "$R1"
t_ok "with replica1 stopped, the application still starts" run_app "$T_DIR/app2.log"
t_grep "...and got the stored secret" "sha256 $WANT" "$T_DIR/app2.log"
dk logs "$R2" >"$T_DIR/replica2.log" 2>&1
t_grep "...from replica2" '"object":"db_pass","version":1,"status":200' "$T_DIR/replica2.log"

# A new version, stored in the writer, reaches the replicas through the export.
SECRET2=$(new_secret)
WANT2=$(printf '%s' "$SECRET2" | sha256_of)
M0=$(dk exec "$R2" sha256sum /export/manifests/app1)
t0=$(date +%s%N)
t_ok "docker exec -i wallet wallet store db_pass --to app1 (version 2)" \
	sh -c "printf '%s' '$SECRET2' | $DOCKER exec -i $W wallet store db_pass --to app1"
t_grep "...is version 2" "db_pass 2" "$T_DIR/last.out"
# The export writes the new version and `latest` first, the manifests after them.
v2_in_replica() {
	[ "$(dk exec "$R2" readlink /export/objects/db_pass/latest)" = v2 ] &&
		[ "$(dk exec "$R2" sha256sum /export/manifests/app1)" != "$M0" ]
}
if wait_until 30 v2_in_replica; then
	t_pass "version 2 and a new manifest reach replica2's /export (in $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else
	t_fail "version 2 and a new manifest reach replica2's /export within 30 s" \
		"$(dk exec "$R2" ls -l /export/objects/db_pass 2>&1)"
fi
t_ok "the application starts (replica1 still stopped)" run_app "$T_DIR/app3.log"
t_grep "...and got version 2 (its sha256)" "sha256 $WANT2" "$T_DIR/app3.log"
t_ok "docker start replica1" dk start "$R1"
t_ok "replica1 reports healthy again" wait_until 60 wallet_healthy "$R1"
APP_URLS=https://127.0.0.1:$P1
t_ok "through replica1 alone, the application gets version 2 too" run_app "$T_DIR/app4.log"
unset APP_URLS
t_grep "...(its sha256)" "sha256 $WANT2" "$T_DIR/app4.log"
for f in app1 app2 app3 app4; do cat "$T_DIR/$f.log"; done >"$T_DIR/apps.log"
t_nogrep "no secret in the application's output" "$SECRET" "$T_DIR/apps.log"
t_nogrep "...nor the new one" "$SECRET2" "$T_DIR/apps.log"
echo "# writer on :$WPORT, replicas on :$P1 and :$P2"
