#!/bin/bash
# Durability of `wallet store` (docs/DESIGN.md, property 8): kill -9 at random points, concurrent
# stores of one name, a full disk.
. "$(dirname "$0")/../lib.sh"

W=$CW_BIN/wallet
[ -x "$W" ] || { t_fail "wallet binary built" "no $W"; exit 1; }
D=$T_DIR/data
export GNUPGHOME=$T_DIR/gh
mkdir -m 700 "$GNUPGHOME"
at_exit "t_gpg_stop '$GNUPGHOME'"
at_exit "t_gpg_stop '$D/gnupg'"
g() { gpg --batch --yes --pinentry-mode loopback --passphrase '' "$@"; }
fpr_of() { gpg --with-colons --list-keys "$1" | awk -F: '/^fpr/{print $10; exit}'; }
g --quick-gen-key app1 ed25519 sign 0 2>/dev/null
g --quick-add-key "$(fpr_of app1)" cv25519 encr 0
gpg --armor --export app1 >"$T_DIR/app1.asc"

t_ok "init" "$W" --data "$D" init
t_ok "importkey" "$W" --data "$D" importkey app1 <"$T_DIR/app1.asc"
"$W" --data "$D" signing-key | g --import 2>/dev/null
WFPR=$("$W" --data "$D" signing-key --fingerprint)

# decrypts_to NAME FILE: the latest version opens, with a good wallet signature, to FILE's bytes
decrypts_to() {
	gpg --batch --status-fd 3 --decrypt "$D/objects/$1/latest/object.gpg" 2>/dev/null \
		3>"$T_DIR/status" >"$T_DIR/dec" || return 1
	grep -q "^\[GNUPG:\] VALIDSIG $WFPR" "$T_DIR/status" && cmp -s "$T_DIR/dec" "$2"
}

# --- kill -9 at random points ---
head -c 200000 /dev/urandom >"$T_DIR/first"
t_ok "store v1" sh -c "'$W' --data '$D' store crash --to app1 <'$T_DIR/first'"
cp "$T_DIR/first" "$T_DIR/expect"
bad_ck=0 bad_dec=0 published=0
for i in $(seq 30); do
	head -c 200000 /dev/urandom >"$T_DIR/next"
	"$W" --data "$D" store crash --to app1 <"$T_DIR/next" >"$T_DIR/out" 2>&1 &
	pid=$!
	# random kill point between 0 and 1.2 s (a store takes about 0.5 to 1 s here)
	sleep "$((RANDOM % 2)).$(printf '%03d' $((RANDOM % 600)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# a store the kill missed published the new content; one it hit left the old intact
	if grep -q '^crash ' "$T_DIR/out"; then
		cp "$T_DIR/next" "$T_DIR/expect"
		published=$((published + 1))
	fi
	if ! decrypts_to crash "$T_DIR/expect"; then
		# killed after publication but before it printed: then the new content is there
		decrypts_to crash "$T_DIR/next" && cp "$T_DIR/next" "$T_DIR/expect" || bad_dec=$((bad_dec + 1))
	fi
	"$W" --data "$D" checkintegrity >"$T_DIR/ck" 2>&1 || { bad_ck=$((bad_ck + 1)); cp "$T_DIR/ck" "$T_DIR/ck.bad"; }
done
t_cond "after 30 kills the latest version always opens whole ($bad_dec failures)" "$bad_dec" -eq 0
t_cond "after 30 kills checkintegrity always passes ($bad_ck failures)" "$bad_ck" -eq 0
[ -f "$T_DIR/ck.bad" ] && sed 's/^/# /' "$T_DIR/ck.bad" | grep ERROR | head -5
echo "# $published of 30 stores completed before the kill"
t_ok "a store after the kills works" sh -c "echo after | '$W' --data '$D' store crash --to app1"
t_cond "leftovers under tmp/ are cleaned by a later store" "$(ls "$D/tmp" | wc -l)" -eq 0
t_exit "no gpg-agent left running after the kills" 1 pgrep -f "[g]pg-agent --homedir $D/gnupg "

# --- kill -9 of rm (of the latest version) once it has swapped latest, while it signs the
# manifests again (polled, not timed): checkintegrity passes, with a warning that the manifest
# still lists the removed version; a removal that ends first is no hit ---
bad_ck=0 hits=0
for i in $(seq 10); do
	head -c 2000 /dev/urandom | "$W" --data "$D" store crash --to app1 >/dev/null 2>&1 ||
		{ bad_ck=$((bad_ck + 1)); continue; }
	v=$(readlink "$D/objects/crash/latest")
	"$W" --data "$D" rm crash --version "${v#v}" >"$T_DIR/out" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && [ "$(readlink "$D/objects/crash/latest")" = "$v" ]; do :; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -q "^removed" "$T_DIR/out" || hits=$((hits + 1))
	"$W" --data "$D" checkintegrity >"$T_DIR/ck" 2>&1 || { bad_ck=$((bad_ck + 1)); cp "$T_DIR/ck" "$T_DIR/ck.rm"; }
done
t_cond "after 10 rm killed after their swap, checkintegrity always passes ($bad_ck failures)" "$bad_ck" -eq 0
[ -f "$T_DIR/ck.rm" ] && sed 's/^/# /' "$T_DIR/ck.rm" | grep ERROR | head -5
t_cond "...and the kill landed before the rm ended ($hits of 10)" "$hits" -gt 0
t_ok "a store after the killed rm works" sh -c "echo after-rm | '$W' --data '$D' store crash --to app1"
t_ok "checkintegrity after it" "$W" --data "$D" checkintegrity

# --- a version above latest, made deterministic: the state a store killed between renaming its
# vN into place and swapping latest leaves (its manifest still lists the latest version) ---
hi=$(readlink "$D/objects/crash/latest")
up=v$((${hi#v} + 1))
cp -a "$D/objects/crash/$hi" "$D/objects/crash/$up"
t_ok "checkintegrity passes with a version above latest" sh -c "'$W' --data '$D' checkintegrity >'$T_DIR/ck'"
t_grep "it warns that $up is not published" "WARN object crash $up is not published" "$T_DIR/ck"
t_ok "a store after that works" sh -c "echo again | '$W' --data '$D' store crash --to app1"
t_cond "the store removed the unpublished $up" ! -e "$D/objects/crash/$up"
t_cond "and did not reuse its number" "$(readlink "$D/objects/crash/latest")" = "v$((${hi#v} + 2))"
"$W" --data "$D" checkintegrity >"$T_DIR/ck" 2>&1
t_nogrep "checkintegrity has nothing left to warn about" "not published" "$T_DIR/ck"
# a lost latest link (a copy that skipped symlinks) is damage: reported, and no version removed
cur=$(readlink "$D/objects/crash/latest")
rm "$D/objects/crash/latest"
t_exit "checkintegrity without a latest link: exit 1" 1 sh -c "'$W' --data '$D' checkintegrity >'$T_DIR/ck'"
t_grep "it names the missing link" "ERROR object crash: its latest link is missing" "$T_DIR/ck"
ln -s "$cur" "$D/objects/crash/latest"
t_ok "the link made again by hand: checkintegrity passes" "$W" --data "$D" checkintegrity

# --- no gpg-agent outlives a store killed while it holds the agent ---
# The store's watchdog (wg_agent_enter) stops the agent as soon as the store dies: without any
# later command. The kill lands while the agent runs (polled, not timed); a store that ends
# first is simply tried again.
agent_pid() { pgrep -f "[g]pg-agent --homedir $D/gnupg " | head -1; }
head -c 30000000 /dev/urandom >"$T_DIR/large"
hit=0
for try in 1 2 3 4 5; do
	"$W" --data "$D" store large --to app1 --max-size 64M <"$T_DIR/large" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 400); do
		[ -n "$(agent_pid)" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	if [ -n "$(agent_pid)" ] && kill -9 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		hit=1
		break
	fi
	wait "$pid" 2>/dev/null
done
t_cond "a store was killed while its gpg-agent ran" "$hit" -eq 1
gone=0
for _ in $(seq 100); do # up to 10 s
	[ -z "$(agent_pid)" ] && { gone=1; break; }
	sleep 0.1
done
t_cond "its agent is gone without any later command" "$gone" -eq 1
[ "$gone" -eq 1 ] || ps -eo pid,ppid,stat,args | grep -E "[g]pg|[f]lock|[r]ead -r" | sed 's/^/# /'
t_ok "checkintegrity after that kill" "$W" --data "$D" checkintegrity

# --- concurrent stores of one name ---
N=8
pids=()
for i in $(seq $N); do
	printf 'content-%s' "$i" >"$T_DIR/c$i"
	"$W" --data "$D" store conc --to app1 <"$T_DIR/c$i" >"$T_DIR/co$i" 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
t_cond "$N concurrent stores all succeed" "$fails" -eq 0
vers=$(cat "$T_DIR"/co* | awk '{print $2}' | sort -n | tr '\n' ' ')
t_cond "versions are consecutive 1..$N ($vers)" "$vers" = "$(seq -s ' ' $N) "
bad=0
for v in $(seq $N); do
	o=$D/objects/conc/v$v/object.gpg
	gpg --batch --status-fd 3 --verify-options show-notations --decrypt "$o" 2>"$T_DIR/n" \
		3>"$T_DIR/status" >"$T_DIR/dec" || { bad=$((bad + 1)); continue; }
	grep -q "version@containerwallet=$v\$" "$T_DIR/n" || bad=$((bad + 1))
	grep -q "^\[GNUPG:\] VALIDSIG $WFPR" "$T_DIR/status" || bad=$((bad + 1))
	# the content is whole: exactly one of the inputs, and the one its store printed
	i=$(grep -l "^conc $v\$" "$T_DIR"/co* | sed 's/.*co//')
	cmp -s "$T_DIR/dec" "$T_DIR/c$i" || bad=$((bad + 1))
done
t_cond "each concurrent version is whole, signed, and names its own version" "$bad" -eq 0
t_ok "checkintegrity after concurrent stores" "$W" --data "$D" checkintegrity

# --- full disk ---
if [ "$(id -u)" -ne 0 ]; then
	t_fail "full-disk test: mounting a small tmpfs needs root (the tests run as root)"
	exit 0
fi
F=$T_DIR/full
mkdir -p "$F"
if mount -t tmpfs -o size=512k,mode=0700 tmpfs "$F"; then
	at_exit "umount -l '$F'"
	at_exit "t_gpg_stop '$F/gnupg'"
	t_ok "init on a 512k tmpfs" "$W" --data "$F" init
	t_ok "importkey on it" "$W" --data "$F" importkey app1 <"$T_DIR/app1.asc"
	echo "small-secret" >"$T_DIR/small"
	t_ok "store before the disk fills" sh -c "'$W' --data '$F' store small --to app1 <'$T_DIR/small'"
	(umask 077; dd if=/dev/zero of="$F/filler" bs=4k 2>/dev/null; true)
	head -c 100000 /dev/urandom >"$T_DIR/big"
	"$W" --data "$F" store big --to app1 <"$T_DIR/big" >"$T_DIR/o" 2>"$T_DIR/e"
	rc=$?
	t_cond "store on a full disk fails (exit $rc)" "$rc" -eq 1
	t_cond "with one line on stderr" "$(wc -l <"$T_DIR/e")" -eq 1
	t_grep "saying the disk is full" "No space left on device" "$T_DIR/e"
	"$W" --data "$F" store small --to app1 <"$T_DIR/big" >"$T_DIR/o" 2>"$T_DIR/e"
	t_cond "a new version of an existing object fails too" "$?" -eq 1
	D_SAVE=$D WFPR_SAVE=$WFPR
	D=$F WFPR=$("$W" --data "$F" signing-key --fingerprint)
	"$W" --data "$F" signing-key | g --import 2>/dev/null
	t_ok "the earlier object is intact" decrypts_to small "$T_DIR/small"
	D=$D_SAVE WFPR=$WFPR_SAVE
	t_cond "no half-written version published" ! -e "$F/objects/big/latest" -a ! -e "$F/objects/small/v2"
	rm -f "$F/filler"
	t_ok "checkintegrity after the disk was full" "$W" --data "$F" checkintegrity
	t_ok "store works again once there is room" sh -c "'$W' --data '$F' store big --to app1 <'$T_DIR/big'"
else
	t_fail "mount a 512k tmpfs" "mount failed"
fi

# --- every command on a full disk: one line that names the disk, nothing lost ---
G=$T_DIR/full2
mkdir -p "$G"
if mount -t tmpfs -o size=512k,nr_inodes=256,mode=0700 tmpfs "$G"; then
	at_exit "umount -l '$G'"
	at_exit "t_gpg_stop '$G/d/gnupg'"
	GD=$G/d
	"$W" --data "$GD" init >/dev/null && "$W" --data "$GD" importkey app1 <"$T_DIR/app1.asc" >/dev/null &&
		echo one | "$W" --data "$GD" store a --to app1 >/dev/null &&
		echo two | "$W" --data "$GD" store a --to app1 >/dev/null &&
		echo bee | "$W" --data "$GD" store b --to app1 >/dev/null
	t_cond "a wallet on a 512k tmpfs of 256 inodes" "$?" -eq 0
	g --quick-gen-key app2 ed25519 sign 0 2>/dev/null
	g --quick-add-key "$(fpr_of app2)" cv25519 encr 0 2>/dev/null
	gpg --armor --export app2 >"$T_DIR/app2.asc"
	# fill: no block and no inode left (again before each command: a failure frees some)
	n_fill=0
	fill() {
		n_fill=$((n_fill + 1))
		dd if=/dev/zero of="$G/filler$n_fill" bs=4k 2>/dev/null
		local i=0
		while : 2>/dev/null >"$G/ino$n_fill.$i"; do i=$((i + 1)); done
	}
	full_fails() { # LABEL ARGS...: exit 1, one line, naming the disk
		local label=$1
		shift
		fill
		"$W" --data "$GD" "$@" >"$T_DIR/o" 2>"$T_DIR/e" <"$T_DIR/in"
		local rc=$?
		t_cond "$label on a full disk: exit 1 (got $rc)" "$rc" -eq 1
		t_cond "$label: one line on stderr" "$(wc -l <"$T_DIR/e")" -eq 1
		t_grep "$label: the line says No space left on device" "No space left on device" "$T_DIR/e"
	}
	head -c 100000 /dev/urandom >"$T_DIR/in"
	full_fails "store of a new object" store c --to app1
	full_fails "store of a new version" store a --to app1
	cp "$T_DIR/app2.asc" "$T_DIR/in"
	full_fails "importkey" importkey app2
	: >"$T_DIR/in"
	full_fails "rm of the latest version" rm a --version 2
	full_fails "refresh" refresh
	full_fails "export" export "$G/exp"
	rm -rf "$G"/filler* "$G"/ino* "$G/exp"
	t_ok "checkintegrity once there is room again" "$W" --data "$GD" checkintegrity
	t_cond "a is still at version 2, and no c" "$(readlink "$GD/objects/a/latest")" = v2 -a ! -e "$GD/objects/c"
	t_exit "app2 was not registered" 1 sh -c "'$W' --data '$GD' keys | grep -q app2"
	t_ok "every command works again" sh -c "echo three | '$W' --data '$GD' store a --to app1 &&
		'$W' --data '$GD' importkey app2 <'$T_DIR/app2.asc' && '$W' --data '$GD' rm b &&
		'$W' --data '$GD' refresh && '$W' --data '$GD' export '$T_DIR/exp' && '$W' --data '$GD' checkintegrity"
else
	t_fail "mount a 512k tmpfs of 256 inodes" "mount failed"
fi
