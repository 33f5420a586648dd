#!/bin/bash
# Availability on the client side: --wait for a wallet that is not up yet (with a log line per
# attempt and for the final failure), and fail-over between several wallet URLs.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash"
fx_setup
E=$CW_BIN/wallet-entry
[ -x "$E" ] || { echo "Bail out! $E not built"; exit 1; }
printf 'avail-%s' "$RANDOM" >"$FX/db"
fx_seal db_pass 1 "$FX/db" && fx_serve_obj v1/objects/db_pass "$FX/sealed/db_pass@1" 1
fx_entry_env
P=$(pick_port)
DEAD=$(pick_port)
while [ "$DEAD" = "$P" ]; do DEAD=$(pick_port); done

# wallet down at first, up within --wait
"$E" --url "https://127.0.0.1:$P" --wait 60 --fetch db_pass -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$FX/db" \
	>"$T_DIR/wait.log" 2>&1 &
epid=$!
at_exit "kill $epid"
# the server starts only once wallet-entry has been refused at least once
t_ok "wallet down: wallet-entry logs a retry" wait_until 30 grep -q 'attempt 1: no wallet answers' "$T_DIR/wait.log"
fx_server "$P" || { echo "Bail out! test wallet did not start"; exit 1; }
wait "$epid"
t_cond "wallet up within --wait: the fetch succeeds and PROGRAM runs" "$?" = 0
"$E" --url "https://127.0.0.1:$P" --wait 0 --fetch db_pass -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$FX/db"
t_cond "control: the fetch works when the wallet is up" "$?" = 0

# fail-over: the first URL refuses connections, the second answers
t_ok "first URL down, second up: works" \
	"$E" --verbose --wait 0 --url "https://127.0.0.1:$DEAD,https://127.0.0.1:$P" \
	--fetch db_pass -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$FX/db"
t_grep "the fail-over is logged" "trying the next wallet URL" "$T_DIR/last.out"
t_ok "two --url options work the same way" \
	"$E" --wait 0 --url "https://127.0.0.1:$DEAD" --url "https://127.0.0.1:$P" --fetch db_pass -- true

# nobody answers: every attempt logged, then one failure line, PROGRAM not run
rm -f "$T_DIR/ran"
t_exit "no wallet within --wait: exit 1" 1 \
	"$E" --wait 1 --url "https://127.0.0.1:$DEAD" --fetch db_pass -- touch "$T_DIR/ran"
t_grep "each attempt is logged" "attempt 2: no wallet answers" "$T_DIR/last.out"
t_grep "the final failure is logged" "giving up after" "$T_DIR/last.out"
t_grep "the failed fetch is named" "wallet-entry: db_pass: no server reachable" "$T_DIR/last.out"
t_cond "PROGRAM did not run" ! -e "$T_DIR/ran"

# SIGTERM while waiting (docker stop): wallet-entry stops at once, cleans up (the gnupg engine's
# throwaway GNUPGHOME), does not run PROGRAM
XDG=$(mktemp -d /dev/shm/cwavail.XXXXXX)
at_exit "rm -rf $XDG"
rm -f "$T_DIR/ran"
XDG_RUNTIME_DIR=$XDG "$E" --openpgp gnupg --wait 600 --url "https://127.0.0.1:$DEAD" --fetch db_pass -- touch "$T_DIR/ran" \
	>"$T_DIR/term.log" 2>&1 &
epid=$!
at_exit "kill $epid"
t_ok "waiting for a wallet" wait_until 30 grep -q 'attempt 1:' "$T_DIR/term.log"
t_cond "... with its throwaway GNUPGHOME made" -n "$(ls -A "$XDG")"
kill -TERM "$epid"
wait "$epid"
t_cond "SIGTERM while waiting: exit 143" "$?" = 143
t_grep "... reported" "stopped by signal 15" "$T_DIR/term.log"
t_cond "... PROGRAM did not run" ! -e "$T_DIR/ran"
t_cond "... the throwaway GNUPGHOME is gone" -z "$(ls -A "$XDG")"
exit 0
