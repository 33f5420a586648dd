#!/bin/bash
# wallet-entry against a test wallet (openssl s_server + gpg-sealed objects): every DEST with
# text and binary secrets, exec keeps the PID, exit status and signals, --supervise, the
# environment handed to PROGRAM, groups, and no secret in wallet-entry's own output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash"
fx_setup
E=$CW_BIN/wallet-entry
[ -x "$E" ] || { echo "Bail out! $E not built"; exit 1; }

SECRET="text-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
printf '%s' "$SECRET" >"$FX/db"
head -c 3000 /dev/urandom >"$FX/bin"
printf '\0\0tail' >>"$FX/bin" # NUL bytes included on purpose
fx_seal db_pass 3 "$FX/db" && fx_serve_obj v1/objects/db_pass "$FX/sealed/db_pass@3" 3
fx_seal tls.key 1 "$FX/bin" && fx_serve_obj v1/objects/tls.key "$FX/sealed/tls.key@1" 1
printf 'one' >"$FX/g1" && printf 'two' >"$FX/g2"
fx_seal app1/a 1 "$FX/g1" && fx_serve_obj v1/objects/app1/a "$FX/sealed/app1@a@1" 1
fx_seal app1/b.c 2 "$FX/g2" && fx_serve_obj v1/objects/app1/b.c "$FX/sealed/app1@b.c@2" 2
# a group's members come from the manifest (fx_serve_obj listed them); the listing, which
# wallet_list_objects reads, must name the same (fx_json checks)
fx_json 'v1/objects?prefix=app1%2F' \
	'[{"name":"app1/a","version":1,"created":"x","size":1},{"name":"app1/b.c","version":2,"created":"x","size":1}]'
P=$(pick_port)
fx_server "$P" || { echo "Bail out! test wallet did not start"; exit 1; }
fx_entry_env
export WALLET_URL=https://127.0.0.1:$P
SHM=$(mktemp -d /dev/shm/cwentry.XXXXXX)
at_exit "rm -rf $SHM"

# --help and usage errors
t_ok "--help" "$E" --help
t_grep "--help shows the DEST forms" "fd:VAR" "$T_DIR/last.out"
t_exit "no PROGRAM is a usage error" 2 "$E" --fetch db_pass
t_exit "a bad name is a usage error" 2 "$E" --fetch '../x' -- true
t_exit "a bad destination is a usage error" 2 "$E" --fetch 'db_pass=disk:/x' -- true
t_exit "a relative file: path is a usage error" 2 "$E" --fetch 'db_pass=file:x' -- true

# configuration errors name the file
t_exit "a missing --gpg-key file is a usage error" 2 "$E" --gpg-key /nonexistent/k.asc --fetch db_pass -- true
t_grep "... naming the option and the file" "--gpg-key /nonexistent/k.asc: No such file" "$T_DIR/last.out"

# a passphrase-protected client key, the passphrase in a file
openssl pkey -in "$FX/pki/client.key" -aes256 -passout pass:tlspass -out "$FX/enc.key" 2>/dev/null
printf 'tlspass\n' >"$FX/pass"
printf 'wrong\n' >"$FX/badpass"
t_ok "encrypted client key with --key-passphrase-file" \
	"$E" --key "$FX/enc.key" --key-passphrase-file "$FX/pass" --fetch db_pass -- true
t_exit "... a wrong passphrase: refused" 1 \
	"$E" --key "$FX/enc.key" --key-passphrase-file "$FX/badpass" --fetch db_pass -- true
t_grep "... as a TLS failure" "TLS failure" "$T_DIR/last.out"

# fd: default variable, sealed memfd, text
t_ok "fd: default variable DB_PASS_FILE carries the text secret" \
	"$E" --fetch db_pass -- sh -c '[ "$(cat "$DB_PASS_FILE")" = "$1" ]' sh "$SECRET"
t_ok "fd: the memfd is sealed against writes" \
	"$E" --fetch db_pass -- sh -c '! (printf x >>"$DB_PASS_FILE") 2>/dev/null'
t_ok "fd: binary secret through a named variable, byte for byte" \
	"$E" --fetch 'tls.key=fd:TLSKEY' -- sh -c 'cmp "$TLSKEY" "$1"' sh "$FX/bin"
t_ok "fd: the memfd is on no file system (memfd: link)" \
	"$E" --fetch db_pass -- sh -c 'readlink "$DB_PASS_FILE" | grep -q "^/memfd:"'

# file:
t_ok "file: text secret on tmpfs" \
	"$E" --fetch "db_pass=file:$SHM/db" -- sh -c '[ "$(cat "$1")" = "$2" ]' sh "$SHM/db" "$SECRET"
t_cond "file: mode 0400" "$(stat -c %a "$SHM/db" 2>/dev/null)" = 400
t_ok "file: binary secret, byte for byte" \
	"$E" --fetch "tls.key=file:$SHM/k" -- cmp "$SHM/k" "$FX/bin"
t_ok "file: --uid/--gid chown it" \
	"$E" --uid 65534 --gid 65534 --fetch "db_pass=file:$SHM/owned" -- true
t_cond "file: owner is 65534:65534" "$(stat -c %u:%g "$SHM/owned" 2>/dev/null)" = 65534:65534
rm -f "$SHM/db" "$SHM/k" "$SHM/owned"
t_exit "file: on a disk file system is refused, PROGRAM not run" 2 \
	"$E" --fetch "db_pass=file:$T_DIR/db" -- touch "$T_DIR/ran"
t_cond "... and nothing was written" ! -e "$T_DIR/db" -o -e "$T_DIR/ran"
t_ok "file: on disk with --allow-disk" \
	"$E" --allow-disk --fetch "db_pass=file:$T_DIR/db" -- cmp "$T_DIR/db" "$FX/db"
rm -f "$T_DIR/db"

# env:
t_ok "env: text secret in the named variable" \
	"$E" --fetch 'db_pass=env:DBP' -- sh -c '[ "$DBP" = "$1" ]' sh "$SECRET"
t_ok "env: default variable name DB_PASS" \
	"$E" --fetch 'db_pass=env' -- sh -c '[ "$DB_PASS" = "$1" ]' sh "$SECRET"
t_exit "env: a secret with NUL bytes is refused, PROGRAM not run" 1 \
	"$E" --fetch 'tls.key=env:K' -- touch "$T_DIR/ran"
t_cond "... PROGRAM did not run" ! -e "$T_DIR/ran"

# groups
t_ok "group app1/: every object through its own memfd" \
	"$E" --fetch app1/ -- sh -c '[ "$(cat "$APP1_A_FILE")" = one ] && [ "$(cat "$APP1_B_C_FILE")" = two ]'
t_ok "group app1/ into a tmpfs directory" \
	"$E" --fetch "app1/=file:$SHM" -- sh -c '[ "$(cat "$1/a")" = one ] && [ "$(cat "$1/b.c")" = two ]' sh "$SHM"
t_exit "group with a minimum version above one member: refused" 1 "$E" --fetch app1/@2 -- true
rm -f "$SHM/a" "$SHM/b.c"

# environment of PROGRAM: WALLET_* removed, others kept
t_ok "WALLET_* variables are removed, others kept" \
	env KEEPME=1 "$E" --fetch db_pass -- sh -c '! env | grep -q "^WALLET_" && [ "$KEEPME" = 1 ]'

# PID, exit status, signals (exec mode)
"$E" --fetch db_pass -- sh -c 'echo $$ >"$1"' sh "$T_DIR/pid" &
epid=$!
wait "$epid"
t_cond "exec: PROGRAM keeps wallet-entry's PID" "$(cat "$T_DIR/pid")" = "$epid"
# wallet-entry points fd 2 at /dev/null while the libraries work (librnp prints diagnostics):
# PROGRAM must get the real stderr back
for mode in "" --supervise; do
	t_ok "exec${mode:+ $mode}: PROGRAM writes to wallet-entry's stderr" sh -c \
		'"$1" $3 --fetch db_pass -- sh -c "echo to-stderr >&2" 2>"$2" >/dev/null && grep -qx to-stderr "$2"' \
		sh "$E" "$T_DIR/e2" "$mode"
done
t_exit "exec: PROGRAM's exit status comes through" 7 "$E" --fetch db_pass -- sh -c 'exit 7'
t_exit "exec: a missing PROGRAM exits 127" 127 "$E" --fetch db_pass -- /nonexistent/prog
# SIGPIPE (bit 13, mask 0x1000) must not reach PROGRAM ignored: gpgme ignores it in-process.
sigign_ok='m=$(awk "/^SigIgn/{print \$2}" /proc/self/status); [ $(( 0x$m & 0x1000 )) -eq 0 ]'
t_ok "exec: PROGRAM starts with SIGPIPE at its default" "$E" --fetch db_pass -- bash -c "$sigign_ok"
t_ok "supervise: PROGRAM starts with SIGPIPE at its default" "$E" --supervise --fetch db_pass -- bash -c "$sigign_ok"
rm -f "$T_DIR/ready"
"$E" --fetch db_pass -- sh -c 'trap "exit 42" TERM; : >"$1"; while :; do sleep 0.05; done' sh "$T_DIR/ready" &
epid=$!
wait_until 20 test -e "$T_DIR/ready"
kill -TERM "$epid"
wait "$epid"
t_cond "exec: a signal to the PID reaches PROGRAM (its trap exits 42)" "$?" = 42

# --supervise
t_exit "supervise: exit status comes through" 5 "$E" --supervise --fetch db_pass -- sh -c 'exit 5'
t_exit "supervise: death by SIGTERM gives 143" 143 "$E" --supervise --fetch db_pass -- sh -c 'kill -TERM $$'
rm -f "$T_DIR/ready"
"$E" --supervise --fetch db_pass -- sh -c 'trap "exit 9" USR1; echo $$ >"$1"; while :; do sleep 0.05; done' sh "$T_DIR/ready" &
epid=$!
wait_until 20 test -s "$T_DIR/ready"
t_cond "supervise: PROGRAM is a child, not the same PID" "$(cat "$T_DIR/ready")" != "$epid"
kill -USR1 "$epid"
wait "$epid"
t_cond "supervise: the signal is forwarded (trap exits 9)" "$?" = 9
t_ok "supervise: file: secret is there while PROGRAM runs" \
	"$E" --supervise --fetch "db_pass=file:$SHM/sv" -- cmp "$SHM/sv" "$FX/db"
t_cond "supervise: file: secret deleted when PROGRAM exits" ! -e "$SHM/sv"
t_ok "supervise: zombies of PROGRAM are reaped" \
	"$E" --supervise --fetch db_pass -- sh -c '(sh -c "exit 0" &); sleep 0.2; exit 0'

# no secret in wallet-entry's own output, even with --verbose
"$E" --verbose --fetch db_pass --fetch 'db_pass=env:X' -- true >"$T_DIR/out" 2>&1
t_grep "--verbose reports what was verified" "db_pass: version 3 verified" "$T_DIR/out"
t_nogrep "--verbose never prints the secret" "$SECRET" "$T_DIR/out"
exit 0
