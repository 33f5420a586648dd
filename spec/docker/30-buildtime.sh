#!/bin/bash
# The build-time leak matrix (docs/DESIGN.md, property 7): docker/buildtime-example's RUN step
# gets a pip.conf from the wallet through `wallet-entry --supervise --fetch
# pip_conf=file:/root/.pip/pip.conf`, with the builder client's keys as BuildKit secrets.
# The step must have had the secret (its SHA-256 in the build output), and the secret is in
# none of: the build output, docker history, docker inspect, the layers (docker save).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"

docker_up
build_images wallet wallet-entry wallet-keygen

new_keys builder
W=$CW_ID-wallet
start_wallet "$W" "$KEYS"
import_key "$W" builder
TOKEN=$(new_secret)
SECRET="index-url = https://ci:$TOKEN@pypi.example.internal/simple"
printf '[global]\n%s\n' "$SECRET" >"$T_DIR/pip.conf"
WANT=$(sha256_of <"$T_DIR/pip.conf")
t_ok "docker exec -i wallet wallet store pip_conf --to builder" \
	sh -c "$DOCKER exec -i $W wallet store pip_conf --to builder <'$T_DIR/pip.conf'"
rm -f "$T_DIR/pip.conf"
SIGNER=$(dk exec "$W" wallet signing-key --fingerprint 2>/dev/null)

B=$CW_ID/buildtime-example:latest
c=$KEYS/keys/clients/builder
# --no-cache: the step must run, with this test's secret (secrets are not part of the cache key).
build_example buildtime-example "$B" --no-cache \
	--secret "id=wallet_ca,src=$c/ca.crt" --secret "id=wallet_cert,src=$c/tls.crt" \
	--secret "id=wallet_key,src=$c/tls.key" --secret "id=wallet_gpg_key,src=$c/gpg.sec.asc" \
	--build-arg "WALLET_URL=https://127.0.0.1:$WPORT" --build-arg "WALLET_SIGNER=$SIGNER" \
	>"$T_DIR/build.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then t_pass "the build-time example builds"; else
	mapfile -t lines < <(tail -n 12 "$T_DIR/build.out")
	t_fail "the build-time example builds" "${lines[@]}"
	exit 1
fi
t_grep "the RUN step had the pip.conf (same sha256 in the build output)" "sha256 $WANT" "$T_DIR/build.out"
grep -qF "sha256 $WANT" "$T_DIR/build.out" || exit 1
leak_search "the build output" "$T_DIR/build.out" "$TOKEN"
dk history --no-trunc "$B" >"$T_DIR/history.txt"
leak_search "docker history of the built image" "$T_DIR/history.txt" "$TOKEN"
t_grep "docker history shows the wallet-entry step (the search looked at it)" "wallet-entry --supervise" "$T_DIR/history.txt"
dk inspect "$B" >"$T_DIR/inspect.json"
leak_search "docker inspect of the built image" "$T_DIR/inspect.json" "$TOKEN"
save_layers "$B" "$T_DIR/saved"
nlayers=$(find "$T_DIR/saved" -name layer.tar | wc -l)
t_cond "docker save of the built image has layers" "$nlayers" -gt 0
find "$T_DIR/saved" -type f -exec cat {} + >"$T_DIR/saved.all"
leak_search "the built image's $nlayers layers, config and manifest (docker save)" "$T_DIR/saved.all" "$TOKEN"
rm -rf "$T_DIR/saved" "$T_DIR/saved.all"
# Neither the secret nor the client's private keys are files of the image.
at_exit "$DOCKER rm -f $CW_ID-probe"
dk create --name "$CW_ID-probe" "$B" true >/dev/null
dk export "$CW_ID-probe" >"$T_DIR/export.tar"
leak_search "the built image's file system (docker export)" "$T_DIR/export.tar" "$TOKEN"
tar -tf "$T_DIR/export.tar" >"$T_DIR/files.txt"
t_nogrep "no pip.conf left in the image" "pip.conf" "$T_DIR/files.txt"
t_nogrep "no BuildKit secret file left in the image" "run/secrets/wallet_key" "$T_DIR/files.txt"
keyline=$(grep -v '^-----' "$c/tls.key" | head -n 1)
leak_search "the built image's layers: the client's TLS key" "$T_DIR/export.tar" "$keyline"
rm -f "$T_DIR/export.tar"

# Control: a build that copies the secret into a layer is caught by the same search.
mkdir -p "$T_DIR/ctx"
printf '%s\n' "$SECRET" >"$T_DIR/ctx/leak.txt"
printf 'FROM %s\nCOPY leak.txt /leak.txt\n' "$CW_ID/wallet-entry:latest" >"$T_DIR/ctx/Dockerfile"
at_exit "$DOCKER rmi -f $CW_ID/control:latest"
dk build -q --network host -t "$CW_ID/control:latest" "$T_DIR/ctx" >/dev/null 2>&1
t_exit "control: the search finds a secret copied into a layer" 0 sh -c \
	"$DOCKER save $CW_ID/control:latest | grep -aqF '$TOKEN'"
