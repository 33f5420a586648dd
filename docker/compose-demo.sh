#!/bin/bash
# The compose walk-through, on a machine with a normal Docker engine (bridge networks) and
# Compose (`docker compose` or docker-compose 1.29): the Vagrant VM runs it. It starts the
# writer and the two replicas of docker/compose.yaml and runs the app through the replicas.
# Not run by the tests (the test machines have no bridge network); spec/docker/50-replicas.sh
# runs the same containers with the same options through `docker run`.
#   docker/compose-demo.sh [KEYDIR]     (default ./keys; made when missing)
set -euo pipefail
cd "$(dirname "$0")"
export COMPOSE_DOCKER_CLI_BUILD=1 DOCKER_BUILDKIT=1
if docker compose version >/dev/null 2>&1; then dc=(docker compose -p containerwallet -f compose.yaml)
else dc=(docker-compose -p containerwallet -f compose.yaml); fi
keys=${1:-$PWD/../keys}
mkdir -p "$keys"
export WALLET_KEYS
WALLET_KEYS=$(cd "$keys" && pwd)
say() { printf '\n==> %s\n' "$*"; }

say "Images: wallet, wallet-entry (base of the app), the example app"
"${dc[@]}" build wallet
"${dc[@]}" --profile build-only build wallet-entry
"${dc[@]}" build app
if [ ! -e "$WALLET_KEYS/wallet/server.crt" ]; then
	say "Key material (wallet-keygen in its container): CA, server cert for wallet, replica1, replica2; app1"
	docker build -q -f Dockerfile --target wallet-keygen -t containerwallet/wallet-keygen .. >/dev/null
	docker run --rm -v "$WALLET_KEYS:/out" containerwallet/wallet-keygen init --out /out --clients app1 \
		--san DNS:replica1,DNS:replica2,DNS:localhost,IP:127.0.0.1
	chown -R 10001:10001 "$WALLET_KEYS/wallet"
	chown -R 10002:10002 "$WALLET_KEYS/clients"
fi
healthy() { # SERVICE: waits (at most 120 s) for its HEALTHCHECK
	for _ in $(seq 1 120); do
		[ "$(docker inspect -f '{{.State.Health.Status}}' "$("${dc[@]}" ps -q "$1")")" = healthy ] && return 0
		sleep 1
	done
	echo "compose-demo: $1 is not healthy after 120 s" >&2
	return 1
}
say "The writer (signing key, keeps the volume wallet-export an export) and two replicas of it"
"${dc[@]}" up -d wallet replica1 replica2
healthy wallet && healthy replica1 && healthy replica2
say "Register app1 and store db_pass in the writer, through exec"
"${dc[@]}" exec -T wallet wallet importkey app1 <"$WALLET_KEYS/clients/app1/gpg.pub.asc" || true
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' | "${dc[@]}" exec -T wallet wallet store db_pass --to app1
export WALLET_SIGNER
WALLET_SIGNER=$("${dc[@]}" exec -T wallet wallet signing-key --fingerprint | tr -d '\r')
say "The replicas hold no secret key"
for r in replica1 replica2; do
	"${dc[@]}" exec -T "$r" sh -c 'test ! -e /export/gnupg && ! grep -rqE "PRIVATE KEY|private-key" /export' &&
		echo "$r: no gnupg/, no private key under /export (mounted read-only)"
done
say "The application: wallet-entry fetches db_pass from a replica into memory and runs show-secret"
"${dc[@]}" run --rm app
say "Stop with: ${dc[*]} down (add -v to drop the volumes: the writer's data and its export)"
