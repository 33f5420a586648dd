#!/bin/bash
# The sidecar pattern of docs/docker.md ("Kubernetes: init container and sidecar"), run as two
# containers that share a memory volume (docker volume create --driver local --opt type=tmpfs
# --opt device=tmpfs, the Docker equivalent of a Kubernetes emptyDir with medium Memory): the
# sidecar, `wallet-entry --watch 1` without a PROGRAM, keeps db_pass current in the volume;
# the application container, which has no wallet-entry and no key, only reads the file. After
# a `docker exec -i wallet wallet store`, the application sees the new version; when the
# sidecar is stopped (docker stop: SIGTERM to it as PID 1), the file is gone and it exits 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"

docker_up
build_images wallet wallet-entry wallet-keygen

new_keys app1
W=$CW_ID-wallet
SIDE=$CW_ID-sidecar
APP=$CW_ID-app
VOL=$CW_ID-secrets
# Registered first, so that it runs last: the containers that mount it are gone by then.
at_exit "$DOCKER volume rm -f $VOL"
start_wallet "$W" "$KEYS"
import_key "$W" app1
store_new "$W" db_pass

t_ok "a tmpfs volume for the two containers (owned by the application's UID)" \
	dk volume create --driver local --opt type=tmpfs --opt device=tmpfs \
	--opt o=uid=10002,gid=10002,mode=0700,size=1m "$VOL"
# Both containers as the compose file runs its services: read-only root, no capabilities, no
# new privileges, UID 10002.
RUN=(--network host --read-only --cap-drop ALL --security-opt no-new-privileges --user 10002:10002)
at_exit "$DOCKER rm -f $SIDE"
t_ok "the sidecar starts: wallet-entry --watch 1, a file: delivery, no PROGRAM" \
	dk run -d --name "$SIDE" "${RUN[@]}" -v "$KEYS/keys/clients/app1:/etc/wallet-client:ro" \
	-v "$VOL:/run/secrets/app" -e "WALLET_URL=https://127.0.0.1:$WPORT" -e "WALLET_SIGNER=$SIGNER" \
	-e WALLET_CA=/etc/wallet-client/ca.crt -e WALLET_CERT=/etc/wallet-client/tls.crt \
	-e WALLET_KEY=/etc/wallet-client/tls.key -e WALLET_GPG_KEY=/etc/wallet-client/gpg.sec.asc \
	-e WALLET_WAIT=30 "$CW_ID/wallet-entry:latest" \
	wallet-entry --watch 1 --fetch db_pass=file:/run/secrets/app/db_pass
# The application: no key material, the volume read-only; it prints the sha256 of the file
# each time it changes (never the secret).
at_exit "$DOCKER rm -f $APP"
t_ok "the application container starts (the volume read-only, no key mounted)" \
	dk run -d --name "$APP" "${RUN[@]}" -v "$VOL:/run/secrets/app:ro" "$CW_ID/wallet-entry:latest" \
	sh -c 'last=; while :; do s=$(sha256sum </run/secrets/app/db_pass 2>/dev/null) || s=none;
		[ "$s" = "$last" ] || echo "sha256 ${s%% *}"; last=$s; sleep 0.2; done'
app_sees() { dk logs "$APP" 2>&1 | grep -q "sha256 $1"; }
t_ok "the application reads the first version from the shared volume" wait_until 60 app_sees "$WANT"
dk exec "$APP" stat -c '%F %a %u' /run/secrets/app/db_pass >"$T_DIR/stat" 2>&1
t_grep "...a regular file, 0400, owned by 10002" "regular file 400 10002" "$T_DIR/stat"
dk exec "$APP" sh -c 'grep " /run/secrets/app " /proc/mounts' >"$T_DIR/mounts" 2>&1
t_grep "...on tmpfs" " tmpfs " "$T_DIR/mounts"

SECRET1=$SECRET WANT1=$WANT
t0=$(date +%s%N)
store_new "$W" db_pass
SECRET2=$SECRET WANT2=$WANT SECRET=$SECRET1 WANT=$WANT1
if wait_until 60 app_sees "$WANT2"; then
	t_pass "the application sees version 2 (in $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else
	t_fail "the application sees version 2 within 60 s" "$(dk logs "$SIDE" 2>&1 | tail -n 5)"
fi
dk logs "$SIDE" >"$T_DIR/side.log" 2>&1
t_grep "...the sidecar says what it delivered" "watch: delivered db_pass v2" "$T_DIR/side.log"

t_ok "docker stop the sidecar" dk stop -t 20 "$SIDE"
t_cond "...it exits 0" "$(dk inspect -f '{{.State.ExitCode}}' "$SIDE")" = 0
t_ok "...and the file is gone from the shared volume" \
	wait_until 10 dk exec "$APP" sh -c '! ls -A /run/secrets/app | grep -q .'
dk logs "$SIDE" >"$T_DIR/side.log" 2>&1
dk logs "$APP" >"$T_DIR/app.log" 2>&1
dk inspect "$SIDE" "$APP" >"$T_DIR/inspect.json" 2>&1
for f in side.log app.log inspect.json; do
	leak_search "$f" "$T_DIR/$f" "$SECRET"
	leak_search "$f (version 2)" "$T_DIR/$f" "$SECRET2"
done
echo "# wallet on :$WPORT"
