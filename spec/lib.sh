# Shared helpers for system tests (bash). Source it first thing:
#   . "$(dirname "$0")/../lib.sh"
# Output is TAP; spec/run sums it. Environment from spec/run: CW_ROOT, CW_BIN, CW_LIB, CW_BUILD.
set -u
CW_ROOT=${CW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CW_BIN=${CW_BIN:-$CW_ROOT/build/bin}
CW_LIB=${CW_LIB:-$CW_ROOT/build/lib}
T_N=0
T_FAILED=0
T_DIR=$(mktemp -d /tmp/cwtest.XXXXXX)
T_CLEANUP=()
export PATH="$CW_BIN:$PATH"

# Registers a command to run at exit (last registered runs first).
at_exit() { T_CLEANUP=("$*" "${T_CLEANUP[@]}"); }
_t_exit() {
	local c
	for c in "${T_CLEANUP[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
	rm -rf "$T_DIR"
	echo "1..$T_N"
}
trap _t_exit EXIT

t_pass() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
t_fail() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}
# t_ok DESC CMD...: passes when CMD exits 0. Output of CMD goes to $T_DIR/last.out.
t_ok() {
	local d=$1; shift
	if "$@" >"$T_DIR/last.out" 2>&1; then t_pass "$d"; else
		t_fail "$d" "command failed (exit $?): $*" "$(tail -n 5 "$T_DIR/last.out")"; fi
}
# t_exit DESC CODE CMD...: passes when CMD exits with CODE.
t_exit() {
	local d=$1 want=$2; shift 2
	"$@" >"$T_DIR/last.out" 2>&1
	local rc=$?
	if [ "$rc" -eq "$want" ]; then t_pass "$d"; else
		t_fail "$d" "expected exit $want, got $rc: $*" "$(tail -n 5 "$T_DIR/last.out")"; fi
}
# t_cond DESC EXPR...: passes when the test expression ([ ... ] arguments) is true.
t_cond() { local d=$1; shift; if [ "$@" ]; then t_pass "$d"; else t_fail "$d" "false: [ $* ]"; fi; }
# t_grep DESC PATTERN FILE / t_nogrep DESC PATTERN FILE (fixed strings)
t_grep() { if grep -qF -- "$2" "$3"; then t_pass "$1"; else t_fail "$1" "'$2' not in $3" "$(head -c 400 "$3")"; fi; }
t_nogrep() { if grep -qF -- "$2" "$3"; then t_fail "$1" "'$2' found in $3"; else t_pass "$1"; fi; }
# one_line_err DESC CODE CMD...: passes when CMD (stdin from /dev/null) exits with CODE and
# writes exactly one line on stderr, kept in $T_DIR/o.err (stdout in $T_DIR/o.out).
one_line_err() {
	local d=$1 want=$2; shift 2
	"$@" >"$T_DIR/o.out" 2>"$T_DIR/o.err" </dev/null
	local rc=$? n
	n=$(wc -l <"$T_DIR/o.err")
	if [ "$rc" -eq "$want" ] && [ "$n" -eq 1 ]; then t_pass "$d"; else
		t_fail "$d" "exit $rc (want $want), $n stderr lines" "$(head -c 300 "$T_DIR/o.err")"; fi
}
# t_skip_all REASON: the suite does not apply here (spec/run reports it as skipped). Only for
# what cannot apply (valgrind in a sanitizer build), never for a missing build or package:
# that is t_bail, a failure.
t_skip_all() { echo "1..0 # SKIP $1"; trap - EXIT; rm -rf "$T_DIR"; exit 0; }
t_bail() { echo "Bail out! $1"; exit 1; }

# openssl_ca_conf DIR EXT...: a minimal `openssl ca` database in DIR and its configuration in
# DIR.cnf (commonName required, O optional, any dates), whose [ext] section is the lines EXT.
# For certificates wallet-keygen does not make: past or exact dates (-startdate, -enddate).
openssl_ca_conf() {
	local dir=$1
	shift
	mkdir -p "$dir" && : >"$dir/index.txt" && echo 1000 >"$dir/serial" || return 1
	{
		printf '[ca]\ndefault_ca = c\n[c]\ndir = %s\ndatabase = $dir/index.txt\n' "$dir"
		printf 'new_certs_dir = $dir\nserial = $dir/serial\ndefault_md = sha256\npolicy = p\n'
		printf 'unique_subject = no\n[p]\ncommonName = supplied\norganizationName = optional\n[ext]\n'
		printf '%s\n' "$@"
	} >"$dir.cnf"
}

# wait_until TIMEOUT_S CMD...: polls CMD every 50 ms until it succeeds; fails after TIMEOUT_S.
wait_until() {
	local limit=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	until "$@" >/dev/null 2>&1; do
		[ $(( $(date +%s%N) / 1000000 )) -ge "$limit" ] && return 1
		sleep 0.05
	done
}
# t_alive PID: true while process PID exists and is not a zombie (a zombie holds nothing: it
# waits only for whoever its parent is now to reap it, which may never happen when that parent
# is a script or a subreaper that does not reap). A process that vanishes while being read is
# not alive. The state is the field after the last ')' (the name may hold spaces or parens).
t_alive() {
	local s
	{ s=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
	s=${s##*) }
	[ -n "$s" ] && [[ ${s:0:1} != [ZXx] ]]
}
# t_gpg_pids HOME...: the live processes that have HOME as one argument of their command line:
# the gpg-agent, keyboxd, dirmngr (and any gpg still running) of GNUPGHOME HOME, which gnupg
# starts with "--homedir HOME". The pattern goes through a file, so that grep does not find itself.
t_gpg_pids() {
	local h f pid
	for h in "$@"; do
		[ -n "$h" ] || continue
		for f in $(grep -lzxF -f <(printf '%s\n' "$h") /proc/[0-9]*/cmdline 2>/dev/null); do
			pid=${f#/proc/}
			pid=${pid%/cmdline}
			t_alive "$pid" && echo "$pid"
		done
	done
}
_t_gpg_none() { [ -z "$(t_gpg_pids "$@")" ]; }
# t_gpg_stop HOME...: stops every gnupg daemon of each GNUPGHOME HOME (gpgconf --kill all) and
# waits, at most 10 s, until none of their processes is alive. gpgconf returns once the agent
# has taken the command, not once it has exited: without the wait, an agent still on its way out
# is a leak for spec/run, and its home may be removed under it. Whoever starts an agent calls
# this for it (at exit: at_exit "t_gpg_stop $(printf %q "$HOME")"). Fails, naming the
# survivors on stderr, when some are still alive after 10 s.
t_gpg_stop() {
	local h left
	for h in "$@"; do
		[ -n "$h" ] && gpgconf --homedir "$h" --kill all >/dev/null 2>&1
	done
	wait_until 10 _t_gpg_none "$@" && return 0
	left=$(t_gpg_pids "$@")
	[ -n "$left" ] || return 0
	echo "# t_gpg_stop: still alive 10 s after gpgconf --kill all: $(echo $left)" >&2
	return 1
}
# A TCP port on 127.0.0.1 that no socket uses now, below the kernel's ephemeral range (or above
# it when the range starts low), and not handed out before in this suite. A port inside the range
# could be taken as the local port of any outgoing connection, ours included: a client retrying
# against a port nobody listens on yet can even connect to itself there, and the server started
# next then cannot bind.
pick_port() {
	local lo hi p from to
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { lo=32768 hi=60999; }
	if [ "$lo" -gt 11000 ]; then from=10000 to=$((lo - 1)); else from=$((hi + 1)) to=65535; fi
	while :; do
		p=$(( from + (RANDOM * 32768 + RANDOM) % (to - from + 1) ))
		grep -qx "$p" "$T_DIR/.ports" 2>/dev/null && continue
		ss -Htan "( sport = :$p or dport = :$p )" 2>/dev/null | grep -q . && continue
		echo "$p" >>"$T_DIR/.ports"
		echo "$p"
		return
	done
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
