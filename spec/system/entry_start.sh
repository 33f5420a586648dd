#!/bin/bash
# What makes wallet-entry start fast must not change what it does (docs/bench-entry.md):
# the libraries it loads before main, one kept-alive TLS connection per run (and a new one
# when the wallet closes it), the certificate chains both sides present (built once, never
# the root; intermediates included), and the environment PROGRAM gets.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash" # fx_agents_gone only
at_exit "wait_until 10 fx_agents_gone"
E=$CW_BIN/wallet-entry W=$CW_BIN/wallet KG=$CW_BIN/wallet-keygen
for b in "$E" "$W" "$KG"; do [ -x "$b" ] || t_bail "$(basename "$b") not built"; done
export GNUPGHOME=$T_DIR/nohome
D=$T_DIR/data K=$T_DIR/keys
"$KG" init --out "$K" --clients app1 >/dev/null &&
	"$W" --data "$D" init >/dev/null &&
	"$W" --data "$D" importkey app1 <"$K/clients/app1/gpg.pub.asc" >/dev/null ||
	t_bail "wallet setup failed"
at_exit "t_gpg_stop $D/gnupg"
for n in s1 s2 s3; do
	printf 'value-of-%s' "$n" | "$W" --data "$D" store "$n" --to app1 >/dev/null ||
		t_bail "wallet store failed"
done
FPR=$(sed -n 's/.*"signing_key":"\([0-9A-F]*\)".*/\1/p' "$D/wallet.json")
C=$K/clients/app1
# serve NAME CERT KEY CA [ARGS...]: wallet serve on a port of its own; sets P
serve() {
	local name=$1 cert=$2 key=$3 ca=$4 pid
	shift 4
	P=$(pick_port)
	"$W" --data "$D" serve --listen "127.0.0.1:$P" --tls-cert "$cert" --tls-key "$key" \
		--tls-ca "$ca" --audit-log "$T_DIR/audit-$name.log" "$@" >"$T_DIR/serve-$name.log" 2>&1 &
	pid=$!
	at_exit "kill $pid; wait $pid"
	wait_until 20 port_open "$P" || t_bail "wallet serve ($name) did not start"
}
export WALLET_CA=$C/ca.crt WALLET_CERT=$C/tls.crt WALLET_KEY=$C/tls.key \
	WALLET_GPG_KEY=$C/gpg.sec.asc WALLET_SIGNER=$FPR WALLET_WAIT=0

# --- what is loaded before main ---
needed=$(readelf -d "$E" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case " $needed " in
*librnp* | *libbotan* | *libcurl*) t_fail "wallet-entry loads neither librnp nor libcurl at start" "$needed" ;;
*) t_pass "wallet-entry loads neither librnp nor libcurl at start" ;;
esac
t_ok "full RELRO and PIE kept" sh -c "readelf -d '$E' | grep -q 'FLAGS.*BIND_NOW' &&
	readelf -lW '$E' | grep -q GNU_RELRO && readelf -h '$E' | grep -q 'DYN (Position-Independent'"
t_ok "--help runs without loading librnp" env LD_DEBUG=libs "$E" --help
t_nogrep "... (no librnp in the loader's trace)" "librnp" "$T_DIR/last.out"

# --- one connection per run, the wallet's chain without its root ---
serve plain "$K/wallet/server.crt" "$K/wallet/server.key" "$K/ca/ca.crt"
export WALLET_URL=https://127.0.0.1:$P
t_ok "three secrets fetched" "$E" --fetch s1 --fetch s2 --fetch s3 -- \
	sh -c '[ "$(cat "$S1_FILE")$(cat "$S3_FILE")" = value-of-s1value-of-s3 ]'
if command -v strace >/dev/null; then
	strace -f -e trace=connect -o "$T_DIR/connect.trace" "$E" --fetch s1 --fetch s2 -- true \
		>"$T_DIR/last.out" 2>&1
	n=$(grep -c "connect(.*htons($P)" "$T_DIR/connect.trace")
	t_cond "four requests (key, manifest, 2 objects) over one TCP connection" "$n" = 1
fi
# A static mirror of an export (nginx) that answers with chunked bodies (a sub_filter that
# matches nothing leaves the length unknown) and closes kept-alive connections after 1 ms
# idle. The gnupg engine imports the wallet's key with a gpg run between the first request
# and the next, far longer than that: the next request finds its kept connection closed
# and must go over a new one.
"$W" --data "$D" export "$T_DIR/exp" >/dev/null || t_bail "wallet export failed"
. "$(dirname "$0")/mirror.bash"
MIRROR_HTTP_EXTRA="keepalive_timeout 1ms; sub_filter_types *; sub_filter 'no such text in any answer' '';" \
	mirror_start "$T_DIR/exp" "$K" || t_bail "nginx did not start"
MP=$MIRROR_PORT
curl -s --raw -D "$T_DIR/headers" -o /dev/null --cacert "$C/ca.crt" --cert "$C/tls.crt" \
	--key "$C/tls.key" "https://127.0.0.1:$MP/manifests/app1"
t_grep "the mirror answers with chunked bodies" "Transfer-Encoding: chunked" "$T_DIR/headers"
t_grep "... (a manifest, 200)" "HTTP/1.1 200" "$T_DIR/headers"
t_ok "chunked answers, closed kept connections: every secret fetched" \
	env WALLET_URL="https://127.0.0.1:$MP" "$E" --openpgp gnupg --fetch s1 --fetch s2 --fetch s3 -- \
	sh -c '[ "$(cat "$S1_FILE")$(cat "$S2_FILE")" = value-of-s1value-of-s2 ]'
printf 'GET /healthz HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$P" \
	-CAfile "$C/ca.crt" -cert "$C/tls.crt" -key "$C/tls.key" -showcerts >"$T_DIR/sc" 2>&1
t_cond "wallet serve presents its certificate alone (no root)" \
	"$(grep -c 'BEGIN CERTIFICATE' "$T_DIR/sc")" = 1
t_grep "... which verifies" "Verify return code: 0 (ok)" "$T_DIR/sc"

# --- an intermediate CA: both sides present it, neither presents the root ---
X=$T_DIR/x
mkdir -p "$X"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=root" \
	-keyout "$X/root.key" -out "$X/root.crt" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=intermediate" \
		-keyout "$X/int.key" -out "$X/int.csr" 2>/dev/null &&
	printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$X/int.ext" &&
	openssl x509 -req -in "$X/int.csr" -CA "$X/root.crt" -CAkey "$X/root.key" -CAcreateserial \
		-days 2 -extfile "$X/int.ext" -out "$X/int.crt" 2>/dev/null || t_bail "openssl CA"
# leaf NAME CN EXT
leaf() {
	printf '%s\n' "$3" >"$X/$1.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$X/$1.key" -out "$X/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$X/$1.csr" -CA "$X/int.crt" -CAkey "$X/int.key" -CAcreateserial \
			-days 2 -extfile "$X/$1.ext" -out "$X/$1.crt" 2>/dev/null
}
leaf srv wallet "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth" && leaf cli app1 "extendedKeyUsage=clientAuth" ||
	t_bail "openssl leaf"
cat "$X/root.crt" "$X/int.crt" >"$X/bundle.crt"
cat "$X/srv.crt" "$X/int.crt" >"$X/srv-chain.crt"
# the wallet's certificate file holds its chain; it trusts the root alone for clients
serve chain "$X/srv-chain.crt" "$X/srv.key" "$X/root.crt"
printf 'GET /healthz HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$P" \
	-CAfile "$X/root.crt" -cert "$X/cli.crt" -key "$X/cli.key" -cert_chain "$X/int.crt" \
	-showcerts >"$T_DIR/sc2" 2>&1
t_cond "wallet serve presents its certificate and the intermediate, not the root" \
	"$(grep -c 'BEGIN CERTIFICATE' "$T_DIR/sc2")" = 2
t_grep "... the second one is the intermediate" " 1 s:CN = intermediate" "$T_DIR/sc2"
# the client's certificate file holds its own alone, its CA file root and intermediate: the
# handshake succeeds only if wallet-entry completes its chain from there and presents it
t_ok "wallet-entry presents the intermediate from its CA file" \
	env WALLET_URL="https://127.0.0.1:$P" WALLET_CA="$X/bundle.crt" WALLET_CERT="$X/cli.crt" \
	WALLET_KEY="$X/cli.key" "$E" --fetch s1 -- true
t_exit "... (without it the wallet refuses: the check can fail)" 1 \
	env WALLET_URL="https://127.0.0.1:$P" WALLET_CA="$X/root.crt" WALLET_CERT="$X/cli.crt" \
	WALLET_KEY="$X/cli.key" "$E" --fetch s1 -- true

# --- PROGRAM's environment ---
export WALLET_URL=https://127.0.0.1:$P WALLET_CA=$X/bundle.crt WALLET_CERT=$X/cli.crt \
	WALLET_KEY=$X/cli.key
t_ok "PROGRAM does not inherit the Botan pool setting wallet-entry makes" \
	"$E" --fetch s1 -- sh -c '[ -z "${BOTAN_MLOCK_POOL_SIZE+set}" ]'
t_ok "... but one the user made stays as it was" \
	env BOTAN_MLOCK_POOL_SIZE=256 "$E" --fetch s1 -- sh -c '[ "$BOTAN_MLOCK_POOL_SIZE" = 256 ]'
