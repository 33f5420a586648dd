#!/bin/bash
# wallet serve stops on SIGTERM while it signs the manifests, whatever that work still has to
# do. The signing is made endless on purpose: the test holds DATA/manifests/.lock (as a
# `wallet refresh` of a large store does for minutes), so a server that waited for its refresh
# to end before stopping would never stop. Nothing depends on timing: the signal goes once
# serve has blocked it (it waits for it with sigwait), i.e. before or during the first
# refresh, here once it waits for the lock (it has the lock file open), and must end the
# same way: exit 0, "stopped ... before listening" in the log, no "listening", no manifest
# written. Then the same with the refresher of a running server, and a start without the lock.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

serve_world
for i in 1 2 3; do
	echo "secret $i" | wallet store "s$i" --to app1,app2 >/dev/null || t_bail "wallet store"
done
mkdir -p "$D/manifests"

# blocks_term PID: SIGTERM is in PID's blocked mask (SigBlk, hex; SIGTERM is bit 14), so that
# a SIGTERM now is waited for by serve, not the default action that kills it.
blocks_term() { (( 0x$(awk '/^SigBlk:/ {print $2}' "/proc/$1/status") & 0x4000 )); }
# opens_lock PID: PID has DATA/manifests/.lock open, which an update does only while it waits
# for the lock or holds it: with the lock held here, PID is waiting for it.
opens_lock() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$D/manifests/.lock" ] && return 0
	done
	return 1
}
# stops PID LOG WHAT: SIGTERM, then PID's exit (60 s at most, the deadline of a hang only).
stops() {
	kill -TERM "$1"
	if wait_until 60 eval '! t_alive '"$1"; then
		wait "$1"
		t_cond "$3: exit status 0 after SIGTERM" "$?" = 0
	else
		t_fail "$3: still running 60 s after SIGTERM" "$(tail -n 3 "$2")"
		kill -9 "$1"
	fi
}

# --- the first refresh, before the listeners start --------------------------------------
exec {lk}>>"$D/manifests/.lock"
flock -x "$lk" || t_bail "flock of manifests/.lock"
stat -c %Y.%i "$D"/manifests/app* >"$T_DIR/before"
LOG=$T_DIR/serve-first.log
wallet serve --listen "127.0.0.1:$(pick_port)" "${TLS[@]}" 2>"$LOG" {lk}>&- &
PID=$!
at_exit "kill -9 $PID"
wait_until 20 blocks_term "$PID" || t_bail "serve never blocked SIGTERM: $(tail -n 2 "$LOG")"
wait_until 20 opens_lock "$PID" || t_bail "serve never waited for the lock: $(tail -n 2 "$LOG")"
stops "$PID" "$LOG" "first refresh waiting for the lock"
t_grep "first refresh: logged 'stopped' before listening" \
	'"event":"stopped","msg":"during the first manifest refresh, before listening"' "$LOG"
t_nogrep "first refresh: never listened" '"listening"' "$LOG"
stat -c %Y.%i "$D"/manifests/app* >"$T_DIR/after"
t_ok "first refresh: no manifest written" cmp -s "$T_DIR/before" "$T_DIR/after"
flock -u "$lk"

# --- a running server's refresher ---------------------------------------------------------
# A lifetime of 10 s: the refresher signs every 3 s, so it soon waits for the lock held again;
# the signal goes once it does.
wallet refresh --ttl 10 >/dev/null || t_bail "wallet refresh --ttl 10"
serve_start run "${TLS[@]}" {lk}>&- || t_bail "serve did not start: $(tail -n 2 "$T_DIR/serve-run.log")"
t_grep "running: listening" '"listening"' "$T_DIR/serve-run.log"
t_cond "full refreshes leave manifests/.lock in place (the one held here)" \
	"$(stat -c %i "$D/manifests/.lock")" = "$(stat -L -c %i "/proc/$$/fd/$lk")"
flock -x "$lk"
wait_until 30 opens_lock "$SERVE_PID" || t_bail "the refresher never waited for the lock"
stops "$SERVE_PID" "$T_DIR/serve-run.log" "running server, manifests locked"
t_grep "running: logged 'stopped'" '"event":"stopped"}' "$T_DIR/serve-run.log"
flock -u "$lk"
exec {lk}>&-

# --- and without any lock: a signal before, during or after the first refresh ------------
LOG=$T_DIR/serve-free.log
wallet serve --listen "127.0.0.1:$(pick_port)" "${TLS[@]}" 2>"$LOG" &
PID=$!
at_exit "kill -9 $PID"
wait_until 20 blocks_term "$PID" || t_bail "serve never blocked SIGTERM: $(tail -n 2 "$LOG")"
stops "$PID" "$LOG" "unlocked start"
t_grep "unlocked start: logged 'stopped'" '"event":"stopped"' "$LOG"

exit 0
