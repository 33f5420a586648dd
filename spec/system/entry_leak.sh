#!/bin/bash
# After wallet-entry ran with every destination: no file on a disk file system holds the
# secret, the throwaway GNUPGHOME is gone and no gpg-agent of it is left running.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash"
fx_setup
E=$CW_BIN/wallet-entry
[ -x "$E" ] || { echo "Bail out! $E not built"; exit 1; }

# The whole-file-system search looks only at files modified after this marker. That is
# complete, not a shortcut: the secret is generated after the marker, so a file that has not
# been written since cannot contain it.
MARK=$T_DIR/marker
touch "$MARK"
SHM=$(mktemp -d /dev/shm/cwleak.XXXXXX)
at_exit "rm -rf $SHM"
SECRET="leak-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
# plaintext only on tmpfs, even the test's own copy
printf '%s' "$SECRET" >"$SHM/plain"
fx_seal db_pass 1 "$SHM/plain" && fx_serve_obj v1/objects/db_pass "$FX/sealed/db_pass@1" 1
# a JSON secret for env-json, whose field values become variables. The memory check looks
# for the value's last 40 bytes (in a file on tmpfs): a copy freed unwiped keeps them, even
# where the allocator wrote its own pointers over the first ones.
JSECRET="json-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
printf '%s' "$JSECRET" >"$SHM/jfull"
printf '%s' "${JSECRET: -40}" >"$SHM/jplain"
printf '{"user": "u", "port": 5432, "password": "%s"}' "$JSECRET" >"$SHM/jdoc"
fx_seal db.json 1 "$SHM/jdoc" && fx_serve_obj v1/objects/db.json "$FX/sealed/db.json@1" 1
fx_entry_env
# the throwaway GNUPGHOME goes under XDG_RUNTIME_DIR when that is tmpfs: a private one here
export XDG_RUNTIME_DIR=$SHM/xdg
mkdir -m 0700 "$XDG_RUNTIME_DIR"
P=$(pick_port)

fx_server "$P" || { echo "Bail out! test wallet did not start"; exit 1; }

# 1. The wallet answers 503 for the object at first (wallet-entry keeps retrying within
#    --wait): meanwhile it holds the key, so the checks below can fail. Then the object is
#    served and the run completes. Once per OpenPGP engine: gnupg makes a throwaway GNUPGHOME
#    and a gpg-agent; rnp must make neither, nor run any process. (The object at both of its
#    paths: the v1 one and the sealed bytes of the version the manifest lists.)
OBJ_PATHS="v1/objects/db_pass objects/db_pass/v1/object.gpg"
leak_run() {
	local eng=$1 epid home log=$T_DIR/run-$1.log p
	for p in $OBJ_PATHS; do
		cp "$FX/www/$p" "$FX/www/$p.real" && fx_http_status "$p" 503 'Service Unavailable'
	done
	"$E" --openpgp "$eng" --verbose --url "https://127.0.0.1:$P" --wait 60 --fetch db_pass \
		--fetch 'db_pass=env:DBP' --fetch "db_pass=file:$SHM/f" -- \
		sh -c 'cat "$DB_PASS_FILE" "$1" | sha256sum; printf "%s" "$DBP" | wc -c' sh "$SHM/f" \
		>"$log" 2>&1 &
	epid=$!
	at_exit "kill $epid"
	# the key is imported before the object is asked for: it is held from here on
	t_ok "$eng: wallet-entry is retrying" wait_until 30 grep -q 'retrying' "$log"
	if [ "$eng" = gnupg ]; then
		home=$(ls -d "$XDG_RUNTIME_DIR"/walletclient-* 2>/dev/null | head -n 1)
		t_cond "gnupg: the throwaway GNUPGHOME is on the memory file system" -n "$home"
		t_ok "gnupg: its gpg-agent runs while wallet-entry holds the key" \
			pgrep -f "gpg-agent --homedir $home"
	else
		home=$XDG_RUNTIME_DIR/none
		t_cond "rnp: no GNUPGHOME while wallet-entry holds the key" -z "$(ls -A "$XDG_RUNTIME_DIR")"
		t_cond "rnp: no new walletclient home anywhere in /dev/shm" \
			-z "$(find /dev/shm -maxdepth 2 -name 'walletclient-*' -newer "$MARK" 2>/dev/null)"
		t_cond "rnp: wallet-entry runs no other process (no gpg, no gpg-agent)" \
			-z "$(pgrep -P "$epid")"
	fi
	for p in $OBJ_PATHS; do mv "$FX/www/$p.real" "$FX/www/$p"; done
	wait "$epid"
	t_cond "$eng: the run succeeded" "$?" = 0
	t_cond "$eng: the throwaway GNUPGHOME is gone" ! -e "$home"
	t_cond "$eng: nothing is left under XDG_RUNTIME_DIR" -z "$(ls -A "$XDG_RUNTIME_DIR")"
	t_exit "$eng: no gpg-agent of it is left running" 1 pgrep -f "gpg-agent --homedir $home"
	t_grep "$eng: PROGRAM got the secret (length printed)" "${#SECRET}" "$log"
	rm -f "$SHM/f"
}
leak_run gnupg
leak_run rnp

# 2. the same under --supervise, and a refused fetch (wrong pin) that must clean up too
export WALLET_URL=https://127.0.0.1:$P
for eng in gnupg rnp; do
	t_ok "$eng: --supervise run (PROGRAM reads the memfd and the file)" \
		env WALLET_OPENPGP=$eng "$E" --supervise --fetch db_pass --fetch "db_pass=file:$SHM/g" -- \
		sh -c 'cmp "$DB_PASS_FILE" "$1" && cmp "$2" "$1"' sh "$SHM/plain" "$SHM/g"
	t_cond "$eng: --supervise removed the file: secret" ! -e "$SHM/g"
	t_exit "$eng: a refused fetch" 1 env WALLET_OPENPGP=$eng WALLET_SIGNER="$XFPR" "$E" --fetch db_pass -- true
	t_cond "$eng: no GNUPGHOME left after either" -z "$(ls -A "$XDG_RUNTIME_DIR")"
	t_exit "$eng: no gpg-agent of a throwaway home is left" 1 pgrep -f "gpg-agent --homedir $XDG_RUNTIME_DIR/"
done

# 3. wallet-entry's own memory once the secrets are handed over: --supervise keeps it alive
#    as PROGRAM's parent. A core image of it (gcore, written to tmpfs) holds no copy of the
#    secret: what the library held is wiped, and what librnp freed unwiped is overwritten
#    (M_PERTURB) or below the stack (scrubbed). env-json reads the JSON secret where it lies,
#    in locked memory, and the values it set are wiped like env:'s.
#    Not in a sanitizer build (fx_core_check says why).
cat "$SHM/plain" >"$SHM/pat" && echo >>"$SHM/pat" && cat "$SHM/jplain" >>"$SHM/pat"
for eng in gnupg rnp; do
	fx_core_check "$SHM" "$SHM/pat" \
		"$eng: no copy of the secret nor of the env-json field's value in wallet-entry's memory after the fetch" \
		--openpgp "$eng" --fetch db_pass --fetch 'db_pass=env:DBP' --fetch 'db.json=env-json:J_'
done

# 4. search every regular file on every disk-backed file system written since the marker
# control: a copy planted in a disk file after the marker, which the one search must find
printf 'x%sx' "$SECRET" >"$T_DIR/control"
fx_disk_search "$MARK" "$T_DIR/hits" "$SECRET" "$JSECRET"
t_grep "control: the search finds a planted copy" "$T_DIR/control" "$T_DIR/hits"
rm -f "$T_DIR/control"
grep -vxF "$T_DIR/control" "$T_DIR/hits" >"$T_DIR/others"
t_cond "no file on a disk file system contains the secret" ! -s "$T_DIR/others"
[ -s "$T_DIR/others" ] && sed 's/^/# found in: /' "$T_DIR/others"
exit 0
