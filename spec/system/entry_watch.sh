#!/bin/bash
# Live rotation (wallet-entry --watch; docs/DESIGN.md, property 11) against a real wallet serve,
# with versions stored by the real wallet store while PROGRAM runs: the server's conditional
# answers (ETag, If-None-Match, 304); signal mode (same PID, the file replaced by rename, still
# a regular file with its mode); restart mode (a new PID that sees the new fd: and env:
# secrets, and none of the libraries' descriptors), both engines; --on-change none; the wallet
# down for a while (PROGRAM keeps running, the retries back off, rotation resumes); a replayed
# or tampered manifest and a tampered object through an nginx mirror (never delivered,
# PROGRAM keeps what it has; the mirror's ETags and TLS session resumption used); a PROGRAM
# that ignores the stop signal (SIGKILL after --stop-timeout); --stop-signal; groups that gain
# and lose members, in a sidecar (no PROGRAM) that removes its files when stopped; PROGRAM's
# own exit status; usage errors; and no copy of the old or new secret in wallet-entry's memory
# after a rotation (gcore, both engines). Every wait is a bounded poll for a condition.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"
. "$(dirname "$0")/mirror.bash"
serve_world
export WALLET_WAIT=10
E=$CW_BIN/wallet-entry
[ -x "$E" ] || t_bail "$E not built"
# secrets, the files delivered and what PROGRAM reports all stay on a memory file system
SHM=$(mktemp -d /dev/shm/cwwatch.XXXXXX)
at_exit "rm -rf $SHM"
# the gnupg engine's throwaway GNUPGHOME goes there when it is a tmpfs: a private one
export XDG_RUNTIME_DIR=$SHM/xdg
mkdir -m 0700 "$XDG_RUNTIME_DIR"

# put NAME VALUE: a new version of NAME for app1 (the value through a file on tmpfs)
put() {
	printf '%s' "$2" >"$SHM/in"
	wallet store "$1" --to app1 <"$SHM/in" >/dev/null
}
put db_pass first
WPORT=$(pick_port)
HPORT=$(pick_port)
# the writer, always on the same port (the watchers keep their URL across a restart)
writer_up() {
	wallet serve --listen "127.0.0.1:$WPORT" --health-listen "127.0.0.1:$HPORT" "${TLS[@]}" \
		--audit-log "$T_DIR/audit.log" 2>>"$T_DIR/serve.log" &
	SERVE_PID=$!
	at_exit "kill -9 $SERVE_PID"
	wait_until 20 curl -sf "http://127.0.0.1:$HPORT/healthz"
}
writer_up || t_bail "wallet serve"
SERVE_PORT=$WPORT
export WALLET_URL=https://127.0.0.1:$WPORT

# ---- 1. the server: conditional requests on /manifests/CLIENT ----
etag_of() { tr -d '\r' <"$1" | awk -F': ' 'tolower($1) == "etag" { print $2 }'; }
cfetch "$C" /manifests/app1 -D "$T_DIR/h200" -o "$T_DIR/m200" >/dev/null
ET=$(etag_of "$T_DIR/h200")
t_cond "the manifest's ETag is the sha256 of its signed bytes" \
	"$ET" = "\"$(sha256sum <"$D/manifests/app1" | cut -d' ' -f1)\""
code=$(cfetch "$C" /manifests/app1 -H "If-None-Match: $ET" -D "$T_DIR/h304" -o "$T_DIR/b304" -w '%{http_code}')
t_cond "If-None-Match with its ETag: 304" "$code" = 304
t_cond "...with an empty body" ! -s "$T_DIR/b304"
t_cond "...the ETag again" "$(etag_of "$T_DIR/h304")" = "$ET"
t_nogrep "...and no Content-Length" "Content-Length" "$T_DIR/h304"
code=$(cfetch "$C" /manifests/app1 -H 'If-None-Match: "0123abcd"' -o "$T_DIR/bstale" -w '%{http_code}')
t_cond "a stale ETag: 200" "$code" = 200
t_ok "...with the whole manifest" cmp "$T_DIR/bstale" "$D/manifests/app1"
for inm in "\"x\", $ET" "W/$ET" '*'; do
	t_cond "If-None-Match: $inm matches: 304" \
		"$(cfetch "$C" /manifests/app1 -H "If-None-Match: $inm" -o /dev/null -w '%{http_code}')" = 304
done
t_cond "a malformed If-None-Match list: a full answer" \
	"$(cfetch "$C" /manifests/app1 -H "If-None-Match: $ET, junk" -o /dev/null -w '%{http_code}')" = 200
t_cond "another client's manifest with its ETag: 404, as for any other client's" \
	"$(cfetch "$KEYS/clients/app2" /manifests/app1 -H "If-None-Match: $ET" -o /dev/null -w '%{http_code}')" = 404
t_grep "the audit log records the 304" '"path":"/manifests/app1","object":null,"version":null,"status":304' "$T_DIR/audit.log"
put other x
t_cond "after a store, the old ETag gets the new manifest: 200" \
	"$(cfetch "$C" /manifests/app1 -H "If-None-Match: $ET" -o "$T_DIR/bnew" -w '%{http_code}')" = 200
t_ok "...the new one" cmp "$T_DIR/bnew" "$D/manifests/app1"

# ---- the program the watchers run: it logs each start, SIGHUP and SIGTERM ----
cat >"$T_DIR/prog" <<'SH'
#!/bin/sh
# what it sees: the file $SECRET_PATH, the memfd $DB_PASS_FILE, the variable $DBE
f() { cat "$1" 2>/dev/null || printf -- -; }
log() { printf '%s\n' "$*" >>"$LOG"; }
trap 'log "hup $$ file=$(f "$SECRET_PATH")"' HUP
trap 'log "term $$"; exit 0' TERM
[ -n "${IGNORE_TERM:-}" ] && trap '' TERM && trap 'log "int $$"; exit 0' INT
log "start $$ file=$(f "$SECRET_PATH") fd=$(f "${DB_PASS_FILE:-/none}") env=${DBE:--}"
ls -l /proc/$$/fd/ >"$LOG.fds.$$" 2>&1
while :; do sleep 0.1 & wait $!; done
SH
chmod +x "$T_DIR/prog"
# watch LOG ARGS...: wallet-entry --watch 1 ARGS... -- prog in the background (WPID); its
# output in LOG.out, PROGRAM's reports in LOG
watch() {
	local log=$1
	shift
	rm -f "$log" "$log".*
	LOG=$log "$E" --watch 1 "$@" -- "$T_DIR/prog" >"$log.out" 2>&1 &
	WPID=$!
	at_exit "kill -9 $WPID"
}
started() { grep -c '^start ' "$1" 2>/dev/null; }
starts_are() { [ "$(started "$1")" = "$2" ]; }
clock_past() { [ "$(date +%s)" -gt "$1" ]; } # manifests are signed to the second
last_start() { grep '^start ' "$1" | tail -n 1; }
pid_of() { set -- $1; echo "$2"; }
stop_watch() { kill "$WPID" 2>/dev/null; wait "$WPID"; }

# ---- 2. signal mode: the file replaced by rename, SIGHUP, the same PID ----
mkdir -p "$SHM/sig"
S=$SHM/sig/log
export SECRET_PATH=$SHM/sig/db
watch "$S" --supervise --on-change signal:HUP --fetch "db_pass=file:$SHM/sig/db"
t_ok "signal mode: PROGRAM starts with the first version" wait_until 30 grep -q '^start .* file=first' "$S"
p1=$(pid_of "$(last_start "$S")")
ino1=$(stat -c %i "$SHM/sig/db")
put db_pass second
t_ok "a new version stored: PROGRAM gets SIGHUP and reads it" wait_until 30 grep -q "^hup $p1 file=second" "$S"
t_cond "...the same PID, never restarted" "$(started "$S")" = 1
t_cond "...the file is still a regular file, mode 0400" "$(stat -c '%F %a' "$SHM/sig/db")" = "regular file 400"
t_cond "...replaced by rename (a new inode)" "$(stat -c %i "$SHM/sig/db")" != "$ino1"
t_cond "...no temporary file left beside it" "$(ls "$SHM/sig" | grep -c wallet-entry)" = 0
t_grep "...and wallet-entry says what it delivered" "watch: delivered db_pass v2" "$S.out"
t_grep "the watcher's polls are conditional: 304 in the audit log" '"path":"/manifests/app1","object":null,"version":null,"status":304' "$T_DIR/audit.log"

# ---- 3. the wallet down for a while: PROGRAM keeps running, retries back off ----
cpu() { awk '{ print $14 + $15 }' "/proc/$WPID/stat"; }
c0=$(cpu)
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
t_ok "wallet down: one line per failure, the next try 2 s later" wait_until 30 grep -q 'next try in 2 s' "$S.out"
t_ok "...then 4 s (doubling)" wait_until 30 grep -q 'next try in 4 s' "$S.out"
# a real wait between tries: the 6 s or more of this backoff cost little CPU (utime + stime)
c1=$(cpu)
t_cond "wallet-entry waits without spinning ($((c1 - c0)) CPU ticks over the backoff)" \
	$((c1 - c0)) -lt 100
t_ok "...PROGRAM keeps running" t_alive "$p1"
t_grep "...and wallet-entry says so" "PROGRAM keeps what it has" "$S.out"
put db_pass third
t_ok "the wallet back (same port)" writer_up
t_ok "rotation resumes: the version stored meanwhile reaches PROGRAM" \
	wait_until 40 grep -q "^hup $p1 file=third" "$S"
t_grep "...wallet-entry says the wallet answers again" "the wallet answers again" "$S.out"
t_cond "...still the same PID" "$(started "$S")" = 1
t_cond "...the backoff never passed max(4 intervals, 10 s)" \
	"$(grep -o 'next try in [0-9]* s' "$S.out" | awk '$4 > 10' | wc -l)" = 0
t_nogrep "no secret in wallet-entry's output" "third" "$S.out"
stop_watch
t_cond "SIGTERM: PROGRAM stopped, the watch over, PROGRAM's status (0)" "$?" = 0
t_grep "...PROGRAM got the SIGTERM" "term $p1" "$S"
t_cond "...the file: secret removed" ! -e "$SHM/sig/db"

# ---- 4. --on-change none: the file replaced, PROGRAM left alone ----
mkdir -p "$SHM/none"
N=$SHM/none/log
export SECRET_PATH=$SHM/none/db
watch "$N" --supervise --on-change none --fetch "db_pass=file:$SHM/none/db"
t_ok "none: PROGRAM starts" wait_until 30 grep -q '^start .* file=third' "$N"
put db_pass fourth
t_ok "none: a new version replaces the file" wait_until 30 grep -qx fourth "$SHM/none/db"
t_cond "...PROGRAM not signalled" "$(grep -c '^hup' "$N")" = 0
t_cond "...nor restarted" "$(started "$N")" = 1
stop_watch

# ---- 5. restart mode, both engines: a new PID with every delivery fresh ----
unset SECRET_PATH
engines="rnp gnupg"
memcheck=1
if [ "${SAN:-0}" = 1 ]; then
	echo "# wallet-entry memory check: not applicable to a sanitizer build (see entry_leak.sh)"
	memcheck=0
fi
n=0
for eng in $engines; do
	n=$((n + 1))
	OLD="old-$eng-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
	NEW="new-$eng-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
	printf '%s' "$OLD" >"$SHM/old"
	printf '%s' "$NEW" >"$SHM/new"
	put db_pass "$OLD"
	mkdir -p "$SHM/re$n"
	R=$SHM/re$n/log
	export SECRET_PATH=$SHM/re$n/db
	watch "$R" --openpgp "$eng" --supervise --fetch db_pass --fetch db_pass=env:DBE \
		--fetch "db_pass=file:$SHM/re$n/db"
	t_ok "$eng restart: PROGRAM starts with the first version" \
		wait_until 30 grep -q "^start .* file=$OLD fd=$OLD env=$OLD" "$R"
	p1=$(pid_of "$(last_start "$R")")
	put db_pass "$NEW"
	t_ok "$eng restart: a new version: PROGRAM restarted with it in file:, fd: and env:" \
		wait_until 30 grep -q "^start .* file=$NEW fd=$NEW env=$NEW" "$R"
	p2=$(pid_of "$(last_start "$R")")
	t_cond "...a new PID" "$p2" != "$p1"
	t_grep "...the old one got SIGTERM" "term $p1" "$R"
	t_grep "...wallet-entry says so" "PROGRAM restarted (pid $p2, was $p1)" "$R.out"
	t_cond "...the new PROGRAM holds the memfd and no socket, pipe or device of the libraries" \
		"$(grep -c -e socket: -e /dev/urandom "$R.fds.$p2")" = 0
	t_grep "...(the memfd is there)" "memfd:db_pass" "$R.fds.$p2"
	if [ "$memcheck" = 1 ]; then
		rm -f "$SHM"/core.*
		if gcore -o "$SHM/core" "$WPID" >/dev/null 2>&1 && [ -s "$SHM/core.$WPID" ]; then
			t_exit "$eng: no copy of the old secret in wallet-entry's memory after the rotation" 1 \
				grep -qF -f "$SHM/old" "$SHM/core.$WPID"
			t_exit "$eng: ...nor of the new one" 1 grep -qF -f "$SHM/new" "$SHM/core.$WPID"
			t_exit "... control: the image holds what it must (WALLET_URL, from the heap)" 0 \
				grep -qF -- "$WALLET_URL" "$SHM/core.$WPID"
		else
			t_fail "$eng: a core image of the watching wallet-entry (gcore)"
		fi
		rm -f "$SHM"/core.*
	fi
	stop_watch
	t_cond "$eng: SIGTERM ends it all with PROGRAM's status" "$?" = 0
	t_cond "$eng: ...the file: secret removed" ! -e "$SHM/re$n/db"
done
t_cond "gnupg: no throwaway GNUPGHOME left" -z "$(ls -A "$XDG_RUNTIME_DIR")"

# ---- 6. stop signal and stop timeout ----
mkdir -p "$SHM/stop"
K=$SHM/stop/log
unset SECRET_PATH
IGNORE_TERM=1 watch "$K" --supervise --stop-timeout 1 --fetch db_pass
t_ok "a PROGRAM that ignores SIGTERM starts" wait_until 30 grep -q '^start ' "$K"
p1=$(pid_of "$(last_start "$K")")
put db_pass fifth
t_ok "...gets SIGKILL after --stop-timeout, and starts again" wait_until 30 starts_are "$K" 2
t_grep "...wallet-entry says so" "did not stop within 1 s of signal 15: SIGKILL" "$K.out"
t_exit "...the old one is gone" 1 t_alive "$p1"
kill -9 "$WPID"
wait "$WPID" 2>/dev/null
for p in $(grep '^start ' "$K" | awk '{ print $2 }'); do kill -9 "$p" 2>/dev/null; done
IGNORE_TERM=1 watch "$K" --supervise --stop-signal SIGINT --stop-timeout 30 --fetch db_pass
t_ok "--stop-signal SIGINT: PROGRAM starts" wait_until 30 grep -q '^start ' "$K"
p1=$(pid_of "$(last_start "$K")")
put db_pass sixth
t_ok "...is stopped by SIGINT for the restart" wait_until 30 starts_are "$K" 2
t_grep "...(it saw SIGINT)" "int $p1" "$K"
t_nogrep "...without SIGKILL" "SIGKILL" "$K.out"
p2=$(pid_of "$(last_start "$K")")
kill -9 "$WPID"
wait "$WPID" 2>/dev/null
kill -9 "$p2" 2>/dev/null

# ---- 7. PROGRAM's own exit ends the watch with its status ----
t_exit "PROGRAM exits 7 on its own: wallet-entry exits 7" 7 \
	"$E" --watch 1 --supervise --fetch db_pass -- sh -c 'sleep 1; exit 7'

# ---- 8. a sidecar: no PROGRAM, groups that gain and lose members ----
put app1/a a1
put app1/b b1
mkdir -p "$SHM/side/grp"
"$E" --watch 1 --fetch "db_pass=file:$SHM/side/db" --fetch "app1/=file:$SHM/side/grp" \
	>"$SHM/side/out" 2>&1 &
SPID=$!
at_exit "kill -9 $SPID"
t_ok "sidecar: the files are delivered" wait_until 30 test -s "$SHM/side/grp/b"
t_cond "...no process of its own beside it" -z "$(pgrep -P "$SPID")"
put db_pass seventh
t_ok "sidecar: a new version: the file replaced" wait_until 30 grep -qx seventh "$SHM/side/db"
put app1/c c1
t_ok "sidecar: a member added to the group: its file appears" wait_until 30 test -s "$SHM/side/grp/c"
wallet rm app1/a >/dev/null
t_ok "sidecar: a member removed from the group: its file goes" wait_until 30 test ! -e "$SHM/side/grp/a"
t_cond "...the others stay" "$(cat "$SHM/side/grp/b" "$SHM/side/grp/c")" = b1c1
kill -TERM "$SPID"
wait "$SPID"
t_cond "sidecar: SIGTERM: exit 0" "$?" = 0
t_cond "...every file removed" -z "$(find "$SHM/side" -type f ! -name out)"
t_nogrep "...no secret in its output" "seventh" "$SHM/side/out"

# ---- 9. through an nginx mirror: replayed and tampered manifests and objects ----
put db_pass m1
X1=$T_DIR/x1 X2=$T_DIR/x2 X3=$T_DIR/x3 M=$T_DIR/mirror
wallet export "$X1" >/dev/null
t1=$(date +%s)
wait_until 5 clock_past "$t1" || t_fail "the clock moves on"
put db_pass m2
wallet export "$X2" >/dev/null
cp -a "$X1" "$M"
mirror_start "$M" "$KEYS" || t_bail "nginx"
ACCESS=$(dirname "$(grep -l "root $M;" "$T_DIR"/nginx.*/nginx.conf)")/logs/access.log
mkdir -p "$SHM/mir"
G=$SHM/mir/log
export SECRET_PATH=$SHM/mir/db
WALLET_URL=https://127.0.0.1:$MIRROR_PORT watch "$G" --supervise --on-change signal:HUP \
	--fetch "db_pass=file:$SHM/mir/db"
t_ok "through the mirror: PROGRAM starts with the mirror's version" wait_until 30 grep -q '^start .* file=m1' "$G"
p1=$(pid_of "$(last_start "$G")")
t_ok "...the mirror answers the polls with 304 (nginx's own ETags)" \
	wait_until 30 grep -q '"GET /manifests/app1 HTTP/1.1" 304 ' "$ACCESS"
t_ok "...and resumes the TLS session of the poll before" wait_until 30 grep -q '"GET /manifests/app1 HTTP/1.1" 304 .* tls=r' "$ACCESS"
# nginx's ETag is the modification time's second and the size: one for a file modified in
# the second it was served (here: in the future) is not kept, and the polls ask in full
polls() { awk -v from="$1" 'NR > from && /GET \/manifests\/app1 /' "$ACCESS"; }
three_polls() { [ "$(polls "$1" | wc -l)" -ge 3 ]; }
touch -d '+1 hour' "$M/manifests/app1"
n0=$(wc -l <"$ACCESS")
t_ok "a manifest modified after the answer's Date: the next polls" wait_until 30 three_polls "$n0"
t_cond "...all ask in full (no 304: its ETag was not kept)" "$(polls "$n0" | grep -c '" 304 ')" = 0
touch -d '-1 hour' "$M/manifests/app1"
n0=$(wc -l <"$ACCESS")
t_ok "modified long before: the next polls" wait_until 30 three_polls "$n0"
t_cond "...are conditional again (304)" "$(polls "$n0" | grep -c '" 304 ')" -ge 1
cp -a "$X2/." "$M/"
t_ok "a new export on the mirror: delivered" wait_until 30 grep -q "^hup $p1 file=m2" "$G"
# a replay: the first export's manifest again (validly signed, not expired, but older)
cp "$X1/manifests/app1" "$M/manifests/app1"
t_ok "a replayed older manifest: refused" wait_until 30 grep -q 'before the one already accepted' "$G.out"
# a tampered one, put in place whole (nginx's ETag is the mtime's second and the size)
cp "$X2/manifests/app1" "$T_DIR/tampered"
printf '\x55' | dd of="$T_DIR/tampered" bs=1 seek=40 conv=notrunc status=none
n0=$(wc -l <"$G.out")
cp "$T_DIR/tampered" "$M/manifests/app1"
other_refusal() { tail -n +"$((n0 + 1))" "$G.out" | grep 'keeps what it has' | grep -vq 'already accepted'; }
t_ok "a tampered manifest: refused" wait_until 40 other_refusal
t_cond "...PROGRAM keeps the current version, no signal" "$(cat "$SHM/mir/db"):$(grep -c '^hup' "$G")" = m2:1
wait_until 5 clock_past "$(date +%s -r "$X2/manifests/app1")" || t_fail "the clock moves on"
put db_pass m3
wallet export "$X3" >/dev/null
cp -a "$X3/objects/." "$M/objects/"
cp "$X2/objects/db_pass/v$(readlink "$X2/objects/db_pass/latest" | tr -d v)/object.gpg" \
	"$M/objects/db_pass/$(readlink "$X3/objects/db_pass/latest")/object.gpg"
cp "$X3/manifests/app1" "$M/manifests/app1"
t_ok "an older object served for the new version: refused" \
	wait_until 30 grep -q 'the new versions could not all be fetched' "$G.out"
t_grep "...as not what the manifest lists" "does not match the manifest" "$G.out"
t_cond "...never delivered: PROGRAM keeps m2, no signal" "$(cat "$SHM/mir/db"):$(grep -c '^hup' "$G")" = m2:1
t_cond "...the same PROGRAM" "$(started "$G")" = 1
cp -a "$X3/objects/." "$M/objects/"
t_ok "the mirror fixed: rotation resumes" wait_until 40 grep -q "^hup $p1 file=m3" "$G"
stop_watch

# ---- 10. templates and the spec file ----
# a template rendered into a file: a name only the template uses is watched too, and a new
# version of it renders the template again (signal mode, --mode kept by the rename)
export WALLET_URL=https://127.0.0.1:$WPORT
put tpl_only one
mkdir -p "$SHM/tpl"
printf 'user=app\npass={{ secret "tpl_only" }}\n' >"$SHM/tpl/app.conf.tmpl"
TL=$SHM/tpl/log
export SECRET_PATH=$SHM/tpl/app.conf
watch "$TL" --supervise --on-change signal:HUP --mode 0440 \
	--template "$SHM/tpl/app.conf.tmpl=file:$SHM/tpl/app.conf"
t_ok "template: PROGRAM starts with the first rendering" wait_until 30 grep -q '^start .* file=user=app' "$TL"
t_cond "...rendered from the first version" "$(cat "$SHM/tpl/app.conf")" = "$(printf 'user=app\npass=one')"
p1=$(pid_of "$(last_start "$TL")")
put tpl_only two
t_ok "template: a new version of a name it uses: rendered again, then SIGHUP" \
	wait_until 30 grep -qx 'pass=two' "$SHM/tpl/app.conf"
t_ok "...PROGRAM gets SIGHUP" wait_until 30 grep -q "^hup $p1 " "$TL"
t_cond "...the same PID" "$(started "$TL")" = 1
t_cond "...still a regular file with --mode's 0440" "$(stat -c '%F %a' "$SHM/tpl/app.conf")" = "regular file 440"
t_grep "...wallet-entry names the version" "watch: delivered tpl_only v2" "$TL.out"
t_nogrep "...and no secret in its output" "pass=two" "$TL.out"
stop_watch
t_cond "template: SIGTERM removes the rendering" ! -e "$SHM/tpl/app.conf"
# a sidecar of a template alone (no PROGRAM, a file: DEST)
"$E" --watch 1 --template "$SHM/tpl/app.conf.tmpl=file:$SHM/tpl/side.conf" >"$SHM/tpl/side.out" 2>&1 &
SPID=$!
at_exit "kill -9 $SPID"
t_ok "template sidecar: rendered" wait_until 30 grep -qx 'pass=two' "$SHM/tpl/side.conf"
put tpl_only three
t_ok "template sidecar: rendered again after a store" wait_until 30 grep -qx 'pass=three' "$SHM/tpl/side.conf"
kill -TERM "$SPID"
wait "$SPID"
t_cond "template sidecar: SIGTERM: exit 0" "$?" = 0
t_cond "...the file removed" ! -e "$SHM/tpl/side.conf"
t_exit "a sidecar's template into env: is a usage error" 2 \
	"$E" --watch 1 --template "$SHM/tpl/app.conf.tmpl=env:APP_CONF"
t_exit "signal mode with a template into fd: is a usage error" 2 \
	"$E" --watch 1 --supervise --on-change signal:HUP --template "$SHM/tpl/app.conf.tmpl=fd:X" -- true
# the watch settings from a spec file (keys watch, on_change, stop_signal, stop_timeout)
mkdir -p "$SHM/spec"
SL=$SHM/spec/log
export SECRET_PATH=$SHM/spec/db
cat >"$SHM/spec/app.json" <<JSON
{"watch": 1, "on_change": "signal:HUP", "stop_signal": "TERM", "stop_timeout": 5,
 "supervise": true, "fetch": "db_pass=file:$SHM/spec/db", "command": ["$T_DIR/prog"]}
JSON
rm -f "$SL"
LOG=$SL "$E" --spec "$SHM/spec/app.json" >"$SL.out" 2>&1 &
WPID=$!
at_exit "kill -9 $WPID"
t_ok "spec file: PROGRAM starts" wait_until 30 grep -q '^start ' "$SL"
p1=$(pid_of "$(last_start "$SL")")
put db_pass spec2
t_ok "spec file's watch: a new version replaces the file, then SIGHUP" \
	wait_until 30 grep -q "^hup $p1 file=spec2" "$SL"
t_cond "...the same PID" "$(started "$SL")" = 1
stop_watch
unset SECRET_PATH
printf '{"watch": 0, "supervise": true, "fetch": "db_pass", "command": ["true"]}' >"$SHM/spec/bad.json"
t_exit "spec file: \"watch\": 0 is a usage error" 2 "$E" --spec "$SHM/spec/bad.json"
t_grep "...naming the option" "--watch: a whole number" "$T_DIR/last.out"

# ---- 11. usage errors: exit 2 before any request ----
for bad in "--watch 0 --supervise --fetch db_pass -- true" \
	"--watch 1.5 --supervise --fetch db_pass -- true" \
	"--watch 1 --fetch db_pass -- true" \
	"--watch 1 --supervise -- true" \
	"--watch 1 --supervise --on-change signal:KILL --fetch db_pass=file:$SHM/u -- true" \
	"--watch 1 --supervise --on-change reload --fetch db_pass -- true" \
	"--watch 1 --supervise --on-change signal:HUP --fetch db_pass -- true" \
	"--watch 1 --supervise --on-change none --fetch db_pass=env:X -- true" \
	"--watch 1 --supervise --stop-signal NOPE --fetch db_pass -- true" \
	"--watch 1 --supervise --stop-timeout -1 --fetch db_pass -- true" \
	"--supervise --on-change none --fetch db_pass -- true" \
	"--watch 1 --fetch db_pass" \
	"--watch 1 --on-change restart --fetch db_pass=file:$SHM/u"; do
	# shellcheck disable=SC2086
	t_exit "usage error: $bad" 2 "$E" $bad
done
t_exit "WALLET_WATCH=0: a usage error too" 2 env WALLET_WATCH=0 "$E" --supervise --fetch db_pass -- true
t_grep "...naming the option" "--watch" "$T_DIR/last.out"
t_exit "--stop-signal 9 and --on-change signal:usr1 (a number, a lower-case name): accepted" 7 \
	"$E" --watch 1 --supervise --stop-signal 9 --on-change signal:usr1 \
	--fetch "db_pass=file:$SHM/u" -- sh -c 'exit 7'
exit 0
