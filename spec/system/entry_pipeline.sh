#!/bin/bash
# HTTP/1.1 pipelining in libwalletclient (docs/bench-entry.md, "Pipelining"): the wallet's key,
# the client's manifest and the latest version of each object asked for go in one write on
# one connection; an object's early answer is used only when it is what the verified manifest
# lists (size and sha256), else the manifest's version is asked for by its own path. Seen from
# the servers' side: wallet serve's audit log, and nginx's $pipe and $connection (a static
# mirror of an export, keep-alive). Servers that close after one answer (openssl s_server
# -HTTP) are the test wallet of the other entry_* suites.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"
. "$(dirname "$0")/mirror.bash"
serve_world
export WALLET_WAIT=0

printf 'first' | wallet store db_pass --to app1 >/dev/null &&
	printf 'second' | wallet store db_pass --to app1 >/dev/null &&
	printf 'other' | wallet store app1/x --to app1 >/dev/null || t_bail "store"
serve_start writer "${TLS[@]}" --audit-log "$T_DIR/audit.log" || t_bail "wallet serve"
W=https://127.0.0.1:$SERVE_PORT

# paths LOG FROM: the paths of the audit log's lines after line FROM, space-separated
paths() { tail -n "+$(($2 + 1))" "$1" | sed -n 's/.*"path":"\([^"]*\)".*/\1/p' | tr '\n' ' '; }
lines() { wc -l <"$1"; }

# 1. wallet serve (civetweb keeps the connection and answers pipelined requests in order)
for engine in rnp gnupg; do
	export WALLET_OPENPGP=$engine
	n=$(lines "$T_DIR/audit.log")
	t_ok "$engine: one secret from wallet serve" wallet-entry --verbose --url "$W" \
		--fetch db_pass -- sh -c '[ "$(cat "$DB_PASS_FILE")" = second ]'
	t_grep "$engine: ... version 2 verified" "db_pass: version 2 verified" "$T_DIR/last.out"
	want="/signing-key.asc /manifests/app1 /v1/objects/db_pass "
	wait_until 10 test "$(paths "$T_DIR/audit.log" "$n")" = "$want"
	t_cond "$engine: ... the key, the manifest and the latest version, asked for once each" \
		"$(paths "$T_DIR/audit.log" "$n")" = "$want"
	t_nogrep "$engine: ... on one connection" "a new one" "$T_DIR/last.out"
done
unset WALLET_OPENPGP
n=$(lines "$T_DIR/audit.log")
t_ok "two secrets, a group member among them" wallet-entry --url "$W" --fetch db_pass \
	--fetch app1/x -- sh -c '[ "$(cat "$APP1_X_FILE")" = other ]'
want="/signing-key.asc /manifests/app1 /v1/objects/db_pass /v1/objects/app1/x "
wait_until 10 test "$(paths "$T_DIR/audit.log" "$n")" = "$want"
t_cond "... each asked for once, with the manifest" "$(paths "$T_DIR/audit.log" "$n")" = "$want"
wallet signing-key >"$T_DIR/wallet.asc" || t_bail "signing-key"
n=$(lines "$T_DIR/audit.log")
t_ok "--signer-key: the manifest and the object" wallet-entry --url "$W" \
	--signer-key "$T_DIR/wallet.asc" --fetch db_pass -- true
want="/manifests/app1 /v1/objects/db_pass "
wait_until 10 test "$(paths "$T_DIR/audit.log" "$n")" = "$want"
t_cond "... asked for once each" "$(paths "$T_DIR/audit.log" "$n")" = "$want"

# 2. nginx serving an export: $pipe says which requests came pipelined, $connection on which
#    connection; an export has no /v1/objects/NAME (404), so each object is then asked for
#    by its version's path, on the same connection
EXP=$T_DIR/export
wallet export "$EXP" >/dev/null || t_bail "export"
MIRROR_HTTP_EXTRA="log_format pipe '\$connection \$pipe \$status \$request_uri';
	access_log $T_DIR/pipe.log pipe;"
mirror_start "$EXP" "$KEYS" || t_bail "nginx"
M=https://127.0.0.1:$MIRROR_PORT
touch "$T_DIR/pipe.log"

# mirror_run DESC REQUESTS CMD...: t_ok DESC CMD, then waits for REQUESTS more lines in
# nginx's log and sets RUN to them, "PIPE STATUS PATH;" each, and RUN_CONNS to the number of
# connections they came on
mirror_run() {
	local desc=$1 k=$2 n
	shift 2
	n=$(wc -l <"$T_DIR/pipe.log")
	t_ok "$desc" "$@"
	wait_until 10 test "$(wc -l <"$T_DIR/pipe.log")" -ge $((n + k))
	RUN=$(tail -n "+$((n + 1))" "$T_DIR/pipe.log" | cut -d' ' -f2- | tr '\n' ';')
	RUN_CONNS=$(tail -n "+$((n + 1))" "$T_DIR/pipe.log" | cut -d' ' -f1 | sort -u | wc -l)
}

mirror_run "nginx: one secret" 4 wallet-entry --url "$M" --fetch db_pass -- \
	sh -c '[ "$(cat "$DB_PASS_FILE")" = second ]'
t_cond "nginx: ... the manifest and the object pipelined behind the key, then v2 by its path" \
	"$RUN" = ". 200 /signing-key.asc;p 200 /manifests/app1;p 404 /v1/objects/db_pass;. 200 /objects/db_pass/v2/object.gpg;"
t_cond "nginx: ... all on one connection" "$RUN_CONNS" = 1

# the latest version's path serving an older version (a store that landed between the
# manifest and the object, or a mirror that lags): refused, and the manifest's asked for
mkdir -p "$EXP/v1/objects"
cp "$EXP/objects/db_pass/v1/object.gpg" "$EXP/v1/objects/db_pass"
mirror_run "nginx: an older version sent ahead: the manifest's version instead" 4 \
	wallet-entry --verbose --url "$M" --fetch db_pass -- sh -c '[ "$(cat "$DB_PASS_FILE")" = second ]'
t_grep "nginx: ... said so" "db_pass: the answer sent ahead is not v2 of the manifest" \
	"$T_DIR/last.out"
t_grep "nginx: ... version 2 verified" "db_pass: version 2 verified" "$T_DIR/last.out"
t_cond "nginx: ... v2 asked for by its path, on the same connection" \
	"$RUN;$RUN_CONNS" = ". 200 /signing-key.asc;p 200 /manifests/app1;p 200 /v1/objects/db_pass;. 200 /objects/db_pass/v2/object.gpg;;1"
# the latest version's path serving the manifest's version: taken as it came
cp "$EXP/objects/db_pass/v2/object.gpg" "$EXP/v1/objects/db_pass"
mirror_run "nginx: the manifest's version sent ahead" 3 wallet-entry --url "$M" --fetch db_pass -- \
	sh -c '[ "$(cat "$DB_PASS_FILE")" = second ]'
t_cond "nginx: ... used: three requests, one write" \
	"$RUN" = ". 200 /signing-key.asc;p 200 /manifests/app1;p 200 /v1/objects/db_pass;"
exit 0
