#!/bin/bash
# PID 1 of the wallet container reaps: every `docker exec -i wallet wallet store` leaves gpg,
# gpgconf and gpg-agent re-parented to PID 1, and `wallet serve` never waits for them. The
# image runs tini as PID 1 (docker/Dockerfile), so after five stores no zombie remains, and no
# gpg-agent of the wallet's keyring is left running. procps is not in the image: the
# container's /proc is read from a shell in it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"

docker_up
build_images wallet wallet-keygen

new_keys app1
W=$CW_ID-wallet
at_exit "$DOCKER volume rm -f $CW_ID-data"
start_server "the wallet" "$W" "$KEYS" -v "$CW_ID-data:/var/lib/wallet"

t_cond "PID 1 is tini" "$(dk exec "$W" cat /proc/1/comm 2>&1)" = tini
import_key "$W" app1
fails=0
for i in 1 2 3 4 5; do
	new_secret | dk exec -i "$W" wallet store "reap$i" --to app1 >/dev/null 2>&1 || fails=$((fails + 1))
done
t_cond "five docker exec -i ... wallet store succeed ($fails failed)" "$fails" -eq 0

# zombies: the PIDs in state Z (the field after the last ')' of /proc/PID/stat)
zombies() {
	dk exec "$W" sh -c 'for f in /proc/[0-9]*/stat; do
		l=$(cat "$f" 2>/dev/null) || continue
		case "${l##*") "}" in Z*) p=${f#/proc/}; echo "${p%/stat}" ;; esac
	done'
}
# agents: the PIDs of live gpg-agents (a zombie's cmdline reads empty)
agents() {
	dk exec "$W" sh -c 'for f in /proc/[0-9]*/cmdline; do
		tr "\0" " " <"$f" 2>/dev/null | grep -q "^gpg-agent" && { p=${f#/proc/}; echo "${p%/cmdline}"; }
	done; true'
}
no_zombies() { [ -z "$(zombies)" ]; }
no_agents() { [ -z "$(agents)" ]; }
if wait_until 20 no_zombies; then
	t_pass "no zombie in the wallet container after the stores"
else
	t_fail "no zombie in the wallet container after the stores" "zombie PIDs: $(zombies | tr '\n' ' ')"
fi
if wait_until 20 no_agents; then
	t_pass "no gpg-agent left running in the wallet container"
else
	t_fail "no gpg-agent left running in the wallet container" "PIDs: $(agents | tr '\n' ' ')"
fi
t_ok "the wallet still serves (checkintegrity in the container)" dk exec "$W" wallet checkintegrity
