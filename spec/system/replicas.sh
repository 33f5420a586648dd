#!/bin/bash
# Untrusted replicas and mirrors (docs/DESIGN.md, property 10), end to end with real servers:
# wallet serve as the writer and as replicas of exports, nginx as a static mirror. A frozen
# replica is accepted until its manifest expires and refused after; a replica that withholds a
# group member, and mirrors that serve tampered, substituted or rolled-back bytes, are
# refused, PROGRAM not run, and wallet-entry moves on to the next URL at once. Both engines.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"
. "$(dirname "$0")/mirror.bash"
serve_world
export WALLET_WAIT=0

wallet refresh --ttl 10 >/dev/null
printf 'first' | wallet store db_pass --to app1 >/dev/null
printf 'a1' | wallet store app1/a --to app1 >/dev/null
printf 'b1' | wallet store app1/b --to app1 >/dev/null
FROZEN=$T_DIR/frozen
wallet export "$FROZEN" >/dev/null || t_bail "export"
frozen_expires=$(gpg --batch --homedir "$T_DIR/v" --import "$D/signing-key.asc" 2>/dev/null;
	gpg --batch --homedir "$T_DIR/v" --decrypt "$FROZEN/manifests/app1" 2>/dev/null | jq .expires)
at_exit "t_gpg_stop $T_DIR/v"

# the writer (it signs the manifests again every few seconds) and a live export of it
LIVE=$T_DIR/live
serve_start writer "${TLS[@]}" --export "$LIVE" --audit-log "$T_DIR/audit.log" || t_bail "writer"
W=https://127.0.0.1:$SERVE_PORT
replica() { # NAME DIR: a wallet serve of DIR; sets its URL in $URL
	serve_start "$1" --data "$2" "${TLS[@]}" || t_bail "replica $1"
	URL=https://127.0.0.1:$SERVE_PORT
}
replica frozen "$FROZEN"
R_FROZEN=$URL
mirror_start "$LIVE" "$KEYS" || t_bail "nginx"
M_LIVE=https://127.0.0.1:$MIRROR_PORT

printf 'second' | wallet store db_pass --to app1 >/dev/null
live_has() { jq -e '.objects[] | select(.name == "db_pass" and .version == 2)' \
	< <(gpg --batch --homedir "$T_DIR/v" --decrypt "$LIVE/manifests/app1" 2>/dev/null) >/dev/null; }
wait_until 10 live_has || t_bail "the writer did not export the new version"

# fetch URLS NAME: runs wallet-entry; PROGRAM prints the secret (file $T_DIR/got), or marks
# that it ran
fetch() {
	local dest=$T_DIR/shm/secret
	rm -rf "$T_DIR/got" "$T_DIR/ran" "$T_DIR/shm/grp"
	case "$2" in */) dest=$T_DIR/shm/grp && mkdir -p "$dest" ;; esac
	wallet-entry --url "$1" --fetch "$2=file:$dest" --allow-disk \
		-- sh -c "touch '$T_DIR/ran'; cat '$dest' >'$T_DIR/got'" >"$T_DIR/out" 2>&1
}
mkdir -p "$T_DIR/shm"
refused_by() { # DESC URLS NAME REASON: exit 1, PROGRAM not run, REASON in the one line
	fetch "$2" "$3"
	local rc=$?
	if [ "$rc" -eq 1 ] && [ ! -e "$T_DIR/ran" ] && grep -qF -- "$4" "$T_DIR/out"; then
		t_pass "$1"
	else
		t_fail "$1" "exit $rc, ran: $([ -e "$T_DIR/ran" ] && echo yes || echo no)" "$(cat "$T_DIR/out")"
	fi
}
got() { # DESC URLS NAME CONTENT
	fetch "$2" "$3"
	local rc=$?
	if [ "$rc" -eq 0 ] && [ "$(cat "$T_DIR/got" 2>/dev/null)" = "$4" ]; then t_pass "$1"; else
		t_fail "$1" "exit $rc, got '$(cat "$T_DIR/got" 2>/dev/null)'" "$(cat "$T_DIR/out")"; fi
}

# tampered, substituted and rolled-back copies, as replicas and as static mirrors
copy_of() { rm -rf "$2" && cp -a "$1" "$2"; }
TAMP=$T_DIR/tampered SUBST=$T_DIR/substituted ROLL=$T_DIR/rolledback HOLD=$T_DIR/withholding
copy_of "$LIVE" "$TAMP"
printf '\x55' | dd of="$TAMP/objects/db_pass/v2/object.gpg" bs=1 seek=60 conv=notrunc status=none
copy_of "$LIVE" "$SUBST"
cp "$LIVE/objects/app1@a/v1/object.gpg" "$SUBST/objects/db_pass/v2/object.gpg"
copy_of "$LIVE" "$ROLL"
cp "$LIVE/objects/db_pass/v1/object.gpg" "$ROLL/objects/db_pass/v2/object.gpg"
copy_of "$LIVE" "$HOLD"
rm -rf "$HOLD/objects/app1@b"
HUGE=$T_DIR/huge
copy_of "$LIVE" "$HUGE"
head -c $((64 << 20)) /dev/zero >"$HUGE/objects/db_pass/v2/object.gpg"
replica tampered "$TAMP"; R_TAMP=$URL
replica substituted "$SUBST"; R_SUBST=$URL
replica rolledback "$ROLL"; R_ROLL=$URL
replica withholding "$HOLD"; R_HOLD=$URL
mirror_start "$TAMP" "$KEYS" || t_bail "nginx"; M_TAMP=https://127.0.0.1:$MIRROR_PORT
mirror_start "$SUBST" "$KEYS" || t_bail "nginx"; M_SUBST=https://127.0.0.1:$MIRROR_PORT
mirror_start "$ROLL" "$KEYS" || t_bail "nginx"; M_ROLL=https://127.0.0.1:$MIRROR_PORT
mirror_start "$HOLD" "$KEYS" || t_bail "nginx"; M_HOLD=https://127.0.0.1:$MIRROR_PORT
mirror_start "$HUGE" "$KEYS" || t_bail "nginx"; M_HUGE=https://127.0.0.1:$MIRROR_PORT
HUGE_LOG=$(dirname "$(grep -l "root $HUGE;" "$T_DIR"/nginx.*/nginx.conf)")/logs/access.log

for engine in rnp gnupg; do
	export WALLET_OPENPGP=$engine
	got "$engine: the writer serves the new version" "$W" db_pass second
	got "$engine: nginx serving the writer's live export: the new version (text/plain ignored)" \
		"$M_LIVE" db_pass second
	got "$engine: a frozen replica is accepted before its manifest expires (its version)" \
		"$R_FROZEN" db_pass first
	for kind in tampered substituted rolled-back; do
		case $kind in
		tampered) r=$R_TAMP m=$M_TAMP ;;
		substituted) r=$R_SUBST m=$M_SUBST ;;
		rolled-back) r=$R_ROLL m=$M_ROLL ;;
		esac
		# wallet serve checks what it loads against meta.json: on such a copy it refuses to
		# serve (500) where nginx serves the bytes; the client refuses both
		refused_by "$engine: $kind bytes from a replica: refused" "$r" db_pass "$r: "
		refused_by "$engine: $kind bytes from a static mirror: refused" "$m" db_pass "does not match the manifest"
	done
	refused_by "$engine: 64 MiB served for a listed object: refused" "$M_HUGE" db_pass "does not match the manifest"
	sent=$(awk '$7 ~ /db_pass\/v2\/object.gpg/ {print $10}' "$HUGE_LOG" | tail -n 1)
	t_cond "$engine: ...after reading no more than its listed size (nginx sent $sent bytes)" \
		"${sent:-0}" -lt $((8 << 20))
	refused_by "$engine: a replica withholding a group member: the group fetch fails" \
		"$R_HOLD" app1/ "withholds app1/b"
	refused_by "$engine: a static mirror withholding one: the same" "$M_HOLD" app1/ "withholds app1/b"
	got "$engine: a tampering replica first, then the writer: failover at once" "$R_TAMP,$W" db_pass second
	rm -rf "$T_DIR/shm/grp" && mkdir -p "$T_DIR/shm/grp"
	wallet-entry --url "$M_HOLD,$M_LIVE" --fetch "app1/=file:$T_DIR/shm/grp" --allow-disk \
		-- sh -c "cat '$T_DIR/shm/grp/a' '$T_DIR/shm/grp/b'" >"$T_DIR/got" 2>"$T_DIR/out"
	t_cond "$engine: a withholding mirror first, then the live one: the whole group" \
		"$(cat "$T_DIR/got")" = a1b1
	t_grep "$engine: ...saying why it left the first" "withholds app1/b v1, which the manifest lists; trying the next wallet URL" "$T_DIR/out"
	refused_by "$engine: only bad URLs: one line naming each, PROGRAM not run" \
		"$R_TAMP,$M_SUBST" db_pass "$R_TAMP: served db_pass v2 does not match the manifest"
	t_grep "$engine: ...the second URL too" "$M_SUBST: served db_pass v2" "$T_DIR/out"
done

# what the manifest costs: one request per run, whatever the number of secrets
mkdir -p "$T_DIR/shm/g2"
before=$(wc -l <"$T_DIR/audit.log")
t_ok "one run fetches three secrets from the writer" env WALLET_OPENPGP=rnp wallet-entry \
	--url "$W" --fetch db_pass --fetch "app1/=file:$T_DIR/shm/g2" --allow-disk -- true
tail -n +"$((before + 1))" "$T_DIR/audit.log" >"$T_DIR/run.log"
t_cond "one run for three secrets: one manifest request" "$(grep -c '"/manifests/app1"' "$T_DIR/run.log")" = 1
# (by its version's path, or as the latest version sent with the manifest's request)
t_cond "...one request per object" "$(grep -cE '"/(v1/)?objects/' "$T_DIR/run.log")" = 3
t_cond "...and the signing key: five in all" "$(wc -l <"$T_DIR/run.log")" = 5

# a program that keeps one client handle sees a new version without a new handle
cat >"$T_DIR/longlived.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <walletclient.h>
/* argv[1] URL, argv[2] NAME, argv[3] the version to wait for: fetches with one handle until
 * the version shows (at most 30 s), printing each version seen. */
int main(int argc, char **argv)
{
	wallet_config *cfg = NULL;
	wallet_client *c = NULL;
	if (argc != 4 || wallet_config_new(&cfg) || wallet_config_add_url(cfg, argv[1]) ||
	    wallet_config_set_ca(cfg, getenv("WALLET_CA")) ||
	    wallet_config_set_cert(cfg, getenv("WALLET_CERT"), getenv("WALLET_KEY")) ||
	    wallet_config_set_signer(cfg, getenv("WALLET_SIGNER")) ||
	    wallet_config_set_gpg_key_file(cfg, getenv("WALLET_GPG_KEY")) ||
	    wallet_client_new(cfg, &c))
		return 2;
	unsigned long long want = strtoull(argv[3], NULL, 10), got = 0;
	for (time_t end = time(NULL) + 30; got != want && time(NULL) < end;) {
		wallet_secret *s = NULL;
		if (wallet_fetch(c, argv[2], 0, &s) != WALLET_OK)
			return 1;
		if (wallet_secret_version(s) != got) {
			printf("%llu\n", got = wallet_secret_version(s));
			fflush(stdout);
		}
		wallet_secret_free(s);
		struct timespec ts = {0, 200000000};
		nanosleep(&ts, NULL);
	}
	wallet_client_free(c);
	wallet_config_free(cfg);
	return got == want ? 0 : 1;
}
C
SANF=()
[ "${SAN:-0}" = 1 ] && SANF=(-fsanitize=address,undefined)
t_ok "a long-lived client program builds against the library" \
	cc -o "$T_DIR/longlived" "$T_DIR/longlived.c" -I"$CW_BUILD/include" -L"$CW_LIB" \
	-Wl,-rpath,"$CW_LIB" -lwalletclient "${SANF[@]}"
"$T_DIR/longlived" "$W" db_pass 3 >"$T_DIR/ll.out" 2>&1 &
llpid=$!
wait_until 20 grep -qx 2 "$T_DIR/ll.out" || t_fail "the long-lived program saw version 2" "$(cat "$T_DIR/ll.out")"
printf 'third' | wallet store db_pass --to app1 >/dev/null
wait "$llpid"
t_cond "...and, with the same handle, version 3 once stored" "$?:$(tail -n 1 "$T_DIR/ll.out")" = 0:3

# the frozen replica's manifest expires (10 s lifetime, 30 s allowance): refused, failover
expired() { [ "$(date +%s)" -gt $((frozen_expires + 30)) ]; }
t_ok "the frozen replica's manifest expires" wait_until 90 expired
for engine in rnp gnupg; do
	export WALLET_OPENPGP=$engine
	refused_by "$engine: the frozen replica after its expiry: refused" "$R_FROZEN" db_pass "manifest expired"
	got "$engine: the frozen replica first, then a fresh URL: the latest version" \
		"$R_FROZEN,$M_LIVE" db_pass third
done
t_cond "no secret key in any export" "$(find "$LIVE" "$FROZEN" -name 'private-keys-v1.d' | wc -l)" = 0
