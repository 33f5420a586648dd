#!/bin/bash
# `make docker-demo`: the whole containerised flow, with output a person can follow:
# images built from this tree, key material made by wallet-keygen in its container, the
# wallet container fed through `docker exec`, an application container that gets its secret
# in memory through wallet-entry, and a check that the secret reached no image.
#
# Environment: CW_DOCKER_DIR (engine directory when one must be started, default
# /var/lib/containerwallet/docker), CW_DOCKER_BASE (base image; default debian:bookworm-slim when the
# engine has it, else a local debootstrapped local/debian:bookworm), CW_IMAGE_PREFIX
# (default containerwallet). The images stay afterwards; containers, volume and keys do not.
set -euo pipefail
case "${1:-}" in
-h | --help)
	echo "usage: scripts/docker-demo.sh   (make docker-demo): the containerised flow, step by step"
	echo "environment: CW_DOCKER_DIR, CW_DOCKER_BASE, CW_IMAGE_PREFIX, CW_DEMO_PORT (8443), CW_DEMO_HEALTH_PORT (8080)"
	exit 0
	;;
"") ;;
*)
	echo "docker-demo: no arguments expected (try --help)" >&2
	exit 2
	;;
esac
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
export DOCKER_BUILDKIT=1
prefix=${CW_IMAGE_PREFIX:-containerwallet}
engine_dir=${CW_DOCKER_DIR:-/var/lib/containerwallet/docker}
id="cwdemo$$"
work=$(mktemp -d /tmp/cw-docker-demo.XXXXXX)
stop_engine=0

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() {
	local shown="$*"
	printf '$ %s\n' "${shown/#$DOCKER /docker }"
	"$@"
}
cleanup() {
	"$DOCKER" rm -f "$id-wallet" "$id-app" >/dev/null 2>&1 || true
	"$DOCKER" volume rm -f "$id-data" >/dev/null 2>&1 || true
	"$DOCKER" rmi -f "$id/committed-app" >/dev/null 2>&1 || true
	rm -rf "$work"
	if [ "$stop_engine" = 1 ]; then
		echo "(stopping the Docker engine this demo started)"
		scripts/docker-engine.sh stop "$engine_dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

say "0. A Docker engine and a Debian 12 base image"
if [ -n "${DOCKER_HOST:-}" ] && "$DOCKER" version >/dev/null 2>&1; then
	echo "using the engine at $DOCKER_HOST"
else
	scripts/docker-engine.sh status "$engine_dir" || stop_engine=1
	DOCKER_HOST=$(scripts/docker-engine.sh start "$engine_dir")
	export DOCKER_HOST
	echo "using the engine at $DOCKER_HOST"
fi
base=${CW_DOCKER_BASE:-}
if [ -z "$base" ]; then
	if "$DOCKER" image inspect debian:bookworm-slim >/dev/null 2>&1; then
		base=debian:bookworm-slim
	else
		base=$(scripts/docker-base.sh local/debian:bookworm)
	fi
fi
echo "base image: $base"

say "1. Images, built from this tree (multi-stage: compilers only in the build stage)"
for t in wallet wallet-entry wallet-keygen; do
	printf '$ docker build --network host -f docker/Dockerfile --target %s -t %s/%s .\n' "$t" "$prefix" "$t"
	"$DOCKER" build -q --network host -f docker/Dockerfile --build-arg "BASE=$base" \
		--target "$t" -t "$prefix/$t" . >/dev/null
done
printf '$ docker build --network host -t %s/example-app docker/example-app\n' "$prefix"
"$DOCKER" build -q --network host --build-arg "ENTRY_IMAGE=$prefix/wallet-entry" \
	-t "$prefix/example-app" docker/example-app >/dev/null
"$DOCKER" images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep "^$prefix/" | sed 's/^/   /'

say "2. Key material, made by wallet-keygen in its container into a host directory"
run "$DOCKER" run --rm --network host -v "$work:/out" "$prefix/wallet-keygen" init --out /out/keys --clients app1
(cd "$work/keys" && find . -type f | sort | sed 's/^/   /')
echo "   (wallet/ is mounted into the wallet container, clients/app1/ into the application's;"
echo "    each read-only, owned by the container's user: UID 10001 and 10002)"
chown -R 10001:10001 "$work/keys/wallet"
chown -R 10002:10002 "$work/keys/clients"

say "3. The wallet container: non-root, read-only root, data on a volume, TLS material mounted read-only"
port=${CW_DEMO_PORT:-8443}
hport=${CW_DEMO_HEALTH_PORT:-8080}
run "$DOCKER" run -d --name "$id-wallet" --network host \
	-e "WALLET_LISTEN=127.0.0.1:$port" -e "WALLET_HEALTH_LISTEN=127.0.0.1:$hport" \
	-v "$id-data:/var/lib/wallet" -v "$work/keys/wallet:/etc/wallet/tls:ro" \
	--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
	--health-interval 1s "$prefix/wallet"
printf 'waiting for the HEALTHCHECK'
for _ in $(seq 1 600); do
	st=$("$DOCKER" inspect -f '{{.State.Health.Status}} {{.State.Running}}' "$id-wallet")
	case "$st" in healthy*) break ;; *false) break ;; esac
	printf '.'
	sleep 0.1
done
echo " $st"
case "$st" in healthy*) ;; *)
	"$DOCKER" logs "$id-wallet" 2>&1 | tail -n 10
	echo "the wallet container did not become healthy" >&2
	exit 1
	;;
esac

say "4. The operator registers app1's public key and stores a secret, through docker exec"
run "$DOCKER" exec -i "$id-wallet" wallet importkey app1 <"$work/keys/clients/app1/gpg.pub.asc"
secret="demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '$ printf ... | docker exec -i %s wallet store db_pass --to app1\n' "$id-wallet"
printf '%s' "$secret" | "$DOCKER" exec -i "$id-wallet" wallet store db_pass --to app1
run "$DOCKER" exec "$id-wallet" wallet list
signer=$("$DOCKER" exec "$id-wallet" wallet signing-key --fingerprint)
echo "   the wallet's signing key: $signer (pinned by the application)"

say "5. The application container: wallet-entry fetches db_pass, verifies, decrypts in memory, execs the app"
run "$DOCKER" run --name "$id-app" --network host \
	--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
	-e "WALLET_URL=https://127.0.0.1:$port" -e "WALLET_SIGNER=$signer" \
	-v "$work/keys/clients/app1:/etc/wallet-client:ro" "$prefix/example-app"
want=$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)
echo "   the secret stored had ${#secret} bytes, sha256 $want"
if "$DOCKER" logs "$id-app" 2>&1 | grep -qF "sha256 $want"; then
	echo "   => the application got exactly the stored secret"
else
	echo "the application did not get the secret" >&2
	exit 1
fi

say "6. Nothing reached an image: commit the application container and search everything"
printf '$ docker commit %s %s\n' "$id-app" "$id/committed-app"
"$DOCKER" commit "$id-app" "$id/committed-app" >/dev/null
found=""
"$DOCKER" export "$id-app" | grep -aqF "$secret" && found="$found export"
"$DOCKER" save "$id/committed-app" | grep -aqF "$secret" && found="$found layers"
"$DOCKER" inspect "$id-app" "$id/committed-app" | grep -qF "$secret" && found="$found inspect"
"$DOCKER" history --no-trunc "$id/committed-app" | grep -qF "$secret" && found="$found history"
"$DOCKER" run --rm -v "$id-data:/d:ro" --entrypoint tar "$prefix/wallet" -C /d -c . | grep -aqF "$secret" && found="$found wallet-data"
if [ -n "$found" ]; then
	echo "!! the secret was found in:$found" >&2
	exit 1
fi
echo "   the secret is in none of: docker export of the container, the committed image's layers"
echo "   (docker save), docker inspect, docker history, the wallet's data volume"

say "Done. Images kept: $prefix/{wallet,wallet-entry,wallet-keygen,example-app}; containers, volume and keys removed."
