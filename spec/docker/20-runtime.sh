#!/bin/bash
# The containerised flow at run time, and the runtime leak matrix (docs/DESIGN.md, property 7):
# the wallet container fed through `docker exec`, the example application container gets
# the secret (same SHA-256), and after it has read it the secret is in none of: the
# container's files (docker export), docker inspect of the container and of its committed
# image, docker history, the committed image's layers (docker save), the logs; nor in the
# wallet's data volume or container. Then the wallet stopped: the application fails with a
# clear message without starting its program; started again within --wait: it succeeds.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"

docker_up
build_images wallet wallet-entry wallet-keygen
t_ok "example application image builds" build_example example-app "$CW_ID/example-app:latest"
dk image inspect "$CW_ID/example-app:latest" >/dev/null 2>&1 || exit 1
echo "# image example-app: $(image_mb "$CW_ID/example-app:latest") MB"

new_keys app1
W=$CW_ID-wallet
start_wallet "$W" "$KEYS"

t_exit "the wallet runs as UID 10001" 0 sh -c "[ \"\$($DOCKER exec $W id -u)\" = 10001 ]"
import_key "$W" app1
SECRET=$(new_secret)
printf '%s' "$SECRET" >"$T_DIR/secret.txt"
WANT=$(sha256_of <"$T_DIR/secret.txt")
t_ok "docker exec -i wallet wallet store db_pass --to app1 < secret.txt" \
	sh -c "$DOCKER exec -i $W wallet store db_pass --to app1 <'$T_DIR/secret.txt'"
rm -f "$T_DIR/secret.txt"
SIGNER=$(dk exec "$W" wallet signing-key --fingerprint 2>/dev/null)
t_cond "the wallet's signing-key fingerprint (40 hex)" "$(printf '%s' "$SIGNER" | grep -cE '^[0-9A-F]{40}$')" = 1

# The application stays up after reading the secret (a server would), so that it is
# committed and exported while it holds the secret.
A=$CW_ID-app
at_exit "$DOCKER rm -f $A"
# shellcheck disable=SC2046
t_ok "application container starts" dk run -d --name "$A" $(app_args "$KEYS") \
	"$CW_ID/example-app:latest" /app/show-secret --serve
app_serving() { dk logs "$A" 2>&1 | grep -q 'show-secret: serving'; }
if wait_until 60 app_serving; then t_pass "the application started after wallet-entry fetched db_pass"; else
	mapfile -t lines < <(dk logs "$A" 2>&1 | tail -n 5)
	t_fail "the application started after wallet-entry fetched db_pass" "${lines[@]}"; fi
dk logs "$A" >"$T_DIR/app.log" 2>&1
t_grep "the application got the stored secret (same sha256)" "sha256 $WANT" "$T_DIR/app.log"
# The leak matrix means something only once the secret is in the application.
grep -qF "sha256 $WANT" "$T_DIR/app.log" || exit 1
t_nogrep "no secret in the application's logs" "$SECRET" "$T_DIR/app.log"
t_exit "wallet-entry's PID is the application's (exec, not a child)" 0 \
	sh -c "[ \"\$($DOCKER top $A -o pid,comm | awk 'NR > 1' | wc -l)\" = 1 ]"

# Runtime leak matrix.
C=$CW_ID/committed-app:latest
at_exit "$DOCKER rmi -f $C"
t_ok "docker commit of the running application" dk commit "$A" "$C"
dk export "$A" >"$T_DIR/export.tar"
t_cond "docker export of the application container is a tarball" -s "$T_DIR/export.tar"
leak_search "the application container's files (docker export)" "$T_DIR/export.tar" "$SECRET"
dk inspect "$A" >"$T_DIR/inspect-container.json"
leak_search "docker inspect of the application container" "$T_DIR/inspect-container.json" "$SECRET"
dk inspect "$C" >"$T_DIR/inspect-image.json"
leak_search "docker inspect of the committed image" "$T_DIR/inspect-image.json" "$SECRET"
dk history --no-trunc "$C" >"$T_DIR/history.txt"
leak_search "docker history of the committed image" "$T_DIR/history.txt" "$SECRET"
save_layers "$C" "$T_DIR/saved"
nlayers=$(find "$T_DIR/saved" -name layer.tar | wc -l)
t_cond "docker save of the committed image has layers" "$nlayers" -gt 0
find "$T_DIR/saved" -type f -exec cat {} + >"$T_DIR/saved.all"
leak_search "the committed image's $nlayers layers, config and manifest (docker save)" "$T_DIR/saved.all" "$SECRET"
rm -rf "$T_DIR/saved" "$T_DIR/saved.all" "$T_DIR/export.tar"
# The blind wallet: neither its data volume nor its container holds the plaintext.
dk run --rm -v "$W-data:/d:ro" --entrypoint tar "$CW_ID/wallet:latest" -C /d -c . >"$T_DIR/data.tar"
t_cond "the wallet's data volume is readable for the search" -s "$T_DIR/data.tar"
leak_search "the wallet's data volume" "$T_DIR/data.tar" "$SECRET"
dk export "$W" >"$T_DIR/wexport.tar"
leak_search "the wallet container's files (docker export)" "$T_DIR/wexport.tar" "$SECRET"
dk logs "$W" >"$T_DIR/wallet.log" 2>&1
leak_search "the wallet's logs" "$T_DIR/wallet.log" "$SECRET"
rm -f "$T_DIR/data.tar" "$T_DIR/wexport.tar"

# Control: the same search does find a secret that a container writes to its file system.
at_exit "$DOCKER rm -f $CW_ID-control"
printf '%s' "$SECRET" | dk run -i --name "$CW_ID-control" --entrypoint sh "$CW_ID/wallet-entry:latest" \
	-c 'cat > /leaked' >/dev/null 2>&1
dk export "$CW_ID-control" >"$T_DIR/control.tar"
t_exit "control: the search finds a secret written to a container's file" 0 grep -aqF "$SECRET" "$T_DIR/control.tar"
rm -f "$T_DIR/control.tar"
dk rm -f "$A" >/dev/null 2>&1

# The wallet down: a clear failure, and the program does not run.
t_ok "docker stop of the wallet" dk stop "$W"
# shellcheck disable=SC2046
dk run --rm --name "$CW_ID-app2" $(app_args "$KEYS") -e WALLET_WAIT=2 "$CW_ID/example-app:latest" \
	>"$T_DIR/down.log" 2>&1
rc=$?
t_cond "with the wallet down, the application container fails (exit $rc)" "$rc" -ne 0
t_nogrep "with the wallet down, the program is not started" "show-secret:" "$T_DIR/down.log"
t_grep "with the wallet down, the message names the secret" "db_pass" "$T_DIR/down.log"
t_cond "with the wallet down, the message is short ($(wc -l <"$T_DIR/down.log") lines)" \
	"$(grep -vc 'retry\|attempt\|waiting' "$T_DIR/down.log")" -le 3
echo "# wallet down: $(tail -n 1 "$T_DIR/down.log")"

# Down, then up within --wait.
A3=$CW_ID-app3
at_exit "$DOCKER rm -f $A3"
# shellcheck disable=SC2046
t_ok "application container starts while the wallet is down (WALLET_WAIT=90)" \
	dk run -d --name "$A3" $(app_args "$KEYS") -e WALLET_WAIT=90 "$CW_ID/example-app:latest"
app3_waiting() { [ -n "$(dk logs "$A3" 2>&1)" ] || [ "$(dk inspect -f '{{.State.Running}}' "$A3")" = false ]; }
wait_until 30 app3_waiting
t_cond "the application is still waiting for the wallet" "$(dk inspect -f '{{.State.Running}}' "$A3")" = true
t_ok "docker start of the wallet" dk start "$W"
app3_done() { [ "$(dk inspect -f '{{.State.Running}}' "$A3")" = false ]; }
wait_until 120 app3_done
t_cond "wallet up within --wait: the application exits 0" "$(dk inspect -f '{{.State.ExitCode}}' "$A3")" = 0
dk logs "$A3" >"$T_DIR/app3.log" 2>&1
t_grep "wallet up within --wait: the application got the secret" "sha256 $WANT" "$T_DIR/app3.log"
t_nogrep "no secret in the waiting application's logs" "$SECRET" "$T_DIR/app3.log"
