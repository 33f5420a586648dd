#!/bin/bash
# `make demo`: the main job on one machine, no Docker: key material, a wallet that cannot read
# what it stores, and an application that receives its secret in memory.
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
BIN=$PWD/$O/bin
export PATH="$BIN:$PATH"
work=$(mktemp -d /tmp/cwdemo.XXXXXX)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "1. Key material: a CA, the wallet's server certificate, a client certificate and a GPG key pair for app1"
run wallet-keygen init --out "$work/keys" --clients app1
(cd "$work/keys" && find . -type f | sort | sed 's/^/   /')

say "2. The wallet: a data directory and its own signing key"
export WALLET_DATA=$work/data
run wallet init
run wallet signing-key --fingerprint
signer=$(wallet signing-key --fingerprint)

say "3. Register app1's public key (the CN of app1's certificate is its name)"
run wallet importkey app1 < "$work/keys/clients/app1/gpg.pub.asc"
run wallet keys

say "4. Store a secret for app1; the wallet seals it and keeps no plaintext"
secret="demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '$ printf %%s "<a random secret>" | wallet store db_pass --to app1\n'
printf '%s' "$secret" | wallet store db_pass --to app1
run wallet list
if grep -rqF "$secret" "$WALLET_DATA"; then echo "!! plaintext found in the data directory" >&2; exit 1; fi
echo "   plaintext appears nowhere in $WALLET_DATA (grep -r)"
run wallet checkintegrity

say "5. Serve it over mutual TLS on 127.0.0.1"
port=$(( 20000 + RANDOM % 20000 ))
printf '$ wallet serve --listen 127.0.0.1:%s --tls-cert ... --tls-key ... --tls-ca ... &\n' "$port"
wallet serve --listen "127.0.0.1:$port" --tls-cert "$work/keys/wallet/server.crt" \
	--tls-key "$work/keys/wallet/server.key" --tls-ca "$work/keys/wallet/ca.crt" \
	--audit-log "$work/audit.log" &
server_pid=$!
for _ in $(seq 1 100); do
	curl -sf --cacert "$work/keys/ca/ca.crt" --cert "$work/keys/clients/app1/tls.crt" \
		--key "$work/keys/clients/app1/tls.key" "https://localhost:$port/healthz" >/dev/null && break
	sleep 0.1
done

say "6. The application container's entrypoint: fetch, verify, decrypt in memory, exec"
c=$work/keys/clients/app1
export WALLET_URL="https://localhost:$port" WALLET_CA=$c/ca.crt WALLET_CERT=$c/tls.crt \
	WALLET_KEY=$c/tls.key WALLET_GPG_KEY=$c/gpg.sec.asc WALLET_SIGNER=$signer
cat > "$work/app.sh" <<'APP'
# The "application": proves it got the secret without ever printing it.
printf 'app: pid %s, got %s bytes in %s, sha256 %s\n' "$$" "$(wc -c < "$DB_PASS_FILE")" \
	"$DB_PASS_FILE" "$(sha256sum < "$DB_PASS_FILE" | cut -c1-64)"
APP
sed 's/^/   | /' "$work/app.sh"
printf '$ wallet-entry --fetch db_pass -- sh app.sh\n'
out=$(wallet-entry --fetch db_pass -- sh "$work/app.sh")
echo "$out"
want=$(printf '%s' "$secret" | sha256sum | cut -c1-64)
case "$out" in
*"$want"*) echo "demo: the sha256 matches the secret that was stored ($want)" ;;
*) echo "demo: FAILED: the application did not get the stored secret" >&2; exit 1 ;;
esac

say "7. What the wallet logged (no content, ever)"
tail -n 3 "$work/audit.log"
say "Done: the secret went from the operator to the application without touching a disk in plaintext."
