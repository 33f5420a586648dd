#!/bin/bash
# The compose walk-through, on a machine with a normal Docker engine (bridge networks) and
# Compose (`docker compose` or docker-compose 1.29): the Vagrant VM runs it. Not run by the
# tests (the test machines have no bridge network and no Compose); the tests run the same
# containers with the same options through `docker run`.
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
	say "Key material (wallet-keygen in its container): CA, server cert for 'wallet', app1"
	docker build -q -f Dockerfile --target wallet-keygen -t containerwallet/wallet-keygen .. >/dev/null
	docker run --rm -v "$WALLET_KEYS:/out" containerwallet/wallet-keygen init --out /out --clients app1
	chown -R 10001:10001 "$WALLET_KEYS/wallet"
	chown -R 10002:10002 "$WALLET_KEYS/clients"
fi
say "The wallet"
"${dc[@]}" up -d wallet
for _ in $(seq 1 120); do
	[ "$(docker inspect -f '{{.State.Health.Status}}' "$("${dc[@]}" ps -q wallet)")" = healthy ] && break
	sleep 1
done
say "Register app1 and store db_pass, through exec"
"${dc[@]}" exec -T wallet wallet importkey app1 <"$WALLET_KEYS/clients/app1/gpg.pub.asc" || true
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' | "${dc[@]}" exec -T wallet wallet store db_pass --to app1
export WALLET_SIGNER
WALLET_SIGNER=$("${dc[@]}" exec -T wallet wallet signing-key --fingerprint | tr -d '\r')
say "The application: wallet-entry fetches db_pass into memory and runs show-secret"
"${dc[@]}" run --rm app
say "Stop with: ${dc[*]} down (add -v to drop the wallet's data volume)"
