#!/bin/bash
# wallet-entry's second day (issue 10) against the test wallet (openssl s_server, gpg-sealed
# objects): --spec FILE (values, relative paths, precedence of the command line and the
# environment, refusals), --optional (a missing object runs PROGRAM without it; a bad
# signature or an unusable wallet stays fatal), --mode, --print (pipe, tmpfs, a disk file
# refused), env-json, and two deliveries to one place (a usage error before any request, or
# exit 1 once a group's members or a JSON secret's fields are known). At the end: no copy of
# a secret in a file on a disk file system.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash"
fx_setup
E=$CW_BIN/wallet-entry
[ -x "$E" ] || t_bail "$E not built"
MARK=$T_DIR/marker
touch "$MARK"
SHM=$(mktemp -d /dev/shm/cwentry2.XXXXXX)
at_exit "rm -rf $SHM"

# the plaintexts live on tmpfs only, the tests' own copies included
SECRET="day2-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
PW="pw-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
printf '%s' "$SECRET" >"$SHM/db"
printf '%s' "$PW" >"$SHM/pw"
printf '{"user": "app", "password": "%s", "port": 5432, "ratio": 1.50e1, "tls": true, "note": null, "url": "a\\u00e9/b"}' \
	"$PW" >"$SHM/db.json"
printf '{"user": "app", "nested": {"a": 1}}' >"$SHM/nested.json"
printf 'one' >"$SHM/g1" && printf 'two' >"$SHM/g2"
fx_seal db_pass 3 "$SHM/db" && fx_serve_obj v1/objects/db_pass "$FX/sealed/db_pass@3" 3 &&
	fx_seal db.json 1 "$SHM/db.json" && fx_serve_obj v1/objects/db.json "$FX/sealed/db.json@1" 1 &&
	fx_seal nested.json 1 "$SHM/nested.json" &&
	fx_serve_obj v1/objects/nested.json "$FX/sealed/nested.json@1" 1 &&
	fx_seal app1/x 1 "$SHM/g1" && fx_serve_obj v1/objects/app1/x "$FX/sealed/app1@x@1" 1 &&
	fx_seal grp/a/b 1 "$SHM/g1" && fx_serve_obj v1/objects/grp/a/b "$FX/sealed/grp@a@b@1" 1 &&
	fx_seal grp/a_b 1 "$SHM/g2" && fx_serve_obj v1/objects/grp/a_b "$FX/sealed/grp@a_b@1" 1 &&
	fx_seal badsig 1 "$SHM/db" "$XHOME" "$XFPR" &&
	fx_serve_obj v1/objects/badsig "$FX/sealed/badsig@1" 1 || t_bail "fixture: sealing failed"
P=$(pick_port)
DEAD=$(pick_port) # nobody listens there: a request to it would fail with exit 1, not 2
fx_server "$P" || t_bail "test wallet did not start"
fx_entry_env
export WALLET_URL=https://127.0.0.1:$P
# wallet-entry with the fixture's settings removed from the environment
noenv() {
	env -u WALLET_URL -u WALLET_CA -u WALLET_CERT -u WALLET_KEY -u WALLET_GPG_KEY \
		-u WALLET_SIGNER -u WALLET_WAIT "$@"
}

# ---- --spec FILE ----
SD=$T_DIR/spec
mkdir -p "$SD"
# relative paths, taken from the file's directory (not from where wallet-entry runs)
spec() {
	cat >"$SD/$1" <<EOF
{
  "url": ["https://127.0.0.1:$2"],
  "ca": "../fx/pki/ca.crt", "cert": "../fx/pki/client.crt", "key": "../fx/pki/client.key",
  "gpg_key": "../fx/client-gpg.asc",
  "signer": "$WFPR",
  "wait": 0,
  "fetch": ["db_pass", "db.json=env-json:DB_"]$3,
  "command": ["sh", "-c", "cmp \"\$DB_PASS_FILE\" \"\$1\" && [ \"\$DB_PASSWORD\" = \"\$(cat \"\$2\")\" ]", "sh", "$SHM/db", "$SHM/pw"]
}
EOF
}
spec app.json "$P" ""
t_ok "spec file: settings, fetches and command from the file alone" \
	noenv sh -c 'cd / && exec "$1" --spec "$2"' sh "$E" "$SD/app.json"
t_ok "spec file: named by WALLET_SPEC" noenv WALLET_SPEC="$SD/app.json" "$E"
spec dead.json "$DEAD" ', "supervise": true'
t_ok "spec file: the environment wins over it (WALLET_URL, the file's URL is dead)" \
	env WALLET_SPEC="$SD/dead.json" "$E"
t_ok "spec file: the command line wins over it (--url)" \
	noenv "$E" --spec "$SD/dead.json" --url "https://127.0.0.1:$P"
t_exit "... control: the file's dead URL alone fails" 1 noenv "$E" --spec "$SD/dead.json"
t_ok "spec file: --fetch and PROGRAM on the command line replace its fetches and command" \
	"$E" --spec "$SD/dead.json" --fetch db_pass -- sh -c \
	'cmp "$DB_PASS_FILE" "$1" && [ -z "${DB_PASSWORD+set}" ]' sh "$SHM/db"
refused() { # refused DESC JSON MESSAGE
	printf '%s' "$2" >"$SD/bad.json"
	t_exit "spec file: $1 is a usage error, PROGRAM not run" 2 \
		"$E" --spec "$SD/bad.json" -- touch "$T_DIR/ran"
	t_grep "... naming the file and the key" "spec file $SD/bad.json: $3" "$T_DIR/last.out"
	t_cond "... one line" "$(wc -l <"$T_DIR/last.out")" = 1
}
refused "an unknown key" '{"fetch": "db_pass", "fetchh": "x"}' "unknown key 'fetchh'"
refused "a key with '-'" '{"gpg-key": "x"}' "unknown key 'gpg-key' (write '-' as '_')"
refused "a wrong type" '{"supervise": "yes"}' "'supervise' must be true or false"
refused "a list for a single value" '{"ca": ["a", "b"]}' "'ca' takes one value, not a list"
refused "a duplicate key" '{"wait": 1, "wait": 2}' "'wait' appears twice"
refused "trailing data" '{"wait": 1} {}' "invalid JSON at line 1, column 13"
refused "a NUL character" '{"fetch": "db\u0000x"}' "'fetch' holds a NUL character"
refused "a bad fetch" '{"fetch": ["db_pass", "../x"]}' "'fetch': '../x' is not a valid"
t_cond "... PROGRAM never ran" ! -e "$T_DIR/ran"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$SD/big.json"
t_exit "spec file: larger than 1 MiB is a usage error" 2 "$E" --spec "$SD/big.json" -- true
t_grep "... saying so" "larger than 1024 KiB" "$T_DIR/last.out"

# ---- --optional ----
t_ok "optional: a missing object, PROGRAM runs without it" \
	"$E" --optional nothere --optional 'nogroup/' --fetch db_pass -- sh -c \
	'cmp "$DB_PASS_FILE" "$1" && [ -z "${NOTHERE_FILE+set}" ]' sh "$SHM/db"
t_grep "... and one line names it" "wallet-entry: nothere: not in the wallet (--optional): skipped" \
	"$T_DIR/last.out"
t_grep "... and the missing group" "wallet-entry: nogroup/: not in the wallet (--optional): skipped" \
	"$T_DIR/last.out"
t_ok "optional: an object that is there is delivered" \
	"$E" --optional db_pass -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$SHM/db"
t_exit "optional: a bad signature stays fatal, PROGRAM not run" 1 \
	"$E" --optional badsig -- touch "$T_DIR/ran"
t_grep "... as a signature failure" "badsig: bad or missing signature" "$T_DIR/last.out"
t_exit "optional: a wallet that does not answer stays fatal" 1 \
	"$E" --url "https://127.0.0.1:$DEAD" --optional nothere -- touch "$T_DIR/ran"
# a wallet whose signing key is missing answers 404 to every request for it: that is no
# missing object
fx_http_status v1/signing-key 404 'Not Found' && fx_http_status signing-key.asc 404 'Not Found'
t_exit "optional: a 404 for the signing key is no missing object: fatal" 1 \
	"$E" --optional nothere -- touch "$T_DIR/ran"
fx_signing_key "$FX/wallet.asc"
t_cond "... PROGRAM never ran" ! -e "$T_DIR/ran"

# ---- --mode ----
t_ok "mode: --mode 0440 for a file: secret" \
	"$E" --mode 0440 --fetch "db_pass=file:$SHM/m" -- sh -c '[ "$(stat -c %a "$1")" = 440 ]' sh "$SHM/m"
t_ok "mode: and for the members of a group's directory" \
	"$E" --mode 640 --fetch "app1/=file:$SHM" -- sh -c '[ "$(stat -c %a "$1/x")" = 640 ]' sh "$SHM"
t_ok "mode: the default stays 0400" \
	"$E" --fetch "db_pass=file:$SHM/d" -- sh -c '[ "$(stat -c %a "$1")" = 400 ]' sh "$SHM/d"
rm -f "$SHM/m" "$SHM/x" "$SHM/d"
for m in 0666 0602 1400 0800 abc; do
	t_exit "mode: --mode $m is a usage error" 2 "$E" --mode "$m" --fetch "db_pass=file:$SHM/m" -- true
done
t_cond "... nothing was written" ! -e "$SHM/m"

# ---- --print ----
"$E" --print db_pass 2>"$T_DIR/err" | cmp -s - "$SHM/db"
t_cond "print: the secret through a pipe, byte for byte" "${PIPESTATUS[0]}${PIPESTATUS[1]}" = 00
t_ok "print: to a file on tmpfs" sh -c '"$1" --print db_pass >"$2" && cmp "$2" "$3"' sh "$E" "$SHM/p" "$SHM/db"
rm -f "$SHM/p"
t_exit "print: to a file on a disk is refused" 2 sh -c '"$1" --print db_pass >"$2"' sh "$E" "$T_DIR/p"
t_grep "... saying why" "standard output is a file on a disk file system" "$T_DIR/last.out"
t_cond "... and nothing was written" ! -s "$T_DIR/p"
t_ok "print: to a file on a disk with --allow-disk" \
	sh -c '"$1" --allow-disk --print db_pass >"$2" && cmp "$2" "$3"' sh "$E" "$T_DIR/p" "$SHM/db"
shred -u "$T_DIR/p" 2>/dev/null || rm -f "$T_DIR/p"
t_exit "print: no PROGRAM with it" 2 "$E" --print db_pass -- true
t_exit "print: no --fetch with it" 2 "$E" --print db_pass --fetch db.json
t_ok "print: a spec file's fetches and command are left out" \
	sh -c '"$1" --spec "$2" --print db_pass | cmp -s - "$3"' sh "$E" "$SD/app.json" "$SHM/db"
t_exit "print: a missing object fails" 1 sh -c '"$1" --print nothere >/dev/null' sh "$E"
t_grep "... and nothing is printed" "nothing printed" "$T_DIR/last.out"
"$E" --verbose --fetch db_pass --fetch 'db_pass=env:X' --fetch db.json=env-json -- true >"$T_DIR/out" 2>&1
t_nogrep "without --print, the secret is never printed" "$SECRET" "$T_DIR/out"
t_nogrep "... nor a field of env-json" "$PW" "$T_DIR/out"

# ---- env-json ----
t_ok "env-json: one variable per field, PREFIX + the field upper-cased" \
	"$E" --fetch 'db.json=env-json:DB_' -- sh -c \
	'[ "$DB_USER" = app ] && [ "$DB_PASSWORD" = "$(cat "$1")" ] && [ "$DB_PORT" = 5432 ] &&
	 [ "$DB_RATIO" = 1.50e1 ] && [ "$DB_TLS" = true ] && [ "${DB_NOTE-unset}" = "" ] &&
	 [ "$DB_URL" = "$(printf "a\303\251/b")" ]' sh "$SHM/pw"
t_ok "env-json: the default PREFIX is the name upper-cased and _" \
	"$E" --fetch db.json=env-json -- sh -c '[ "$DB_JSON_USER" = app ]'
t_exit "env-json: a nested field is refused, PROGRAM not run" 1 \
	"$E" --fetch nested.json=env-json:N_ -- touch "$T_DIR/ran"
t_grep "... naming the field" "nested.json: env-json: field 'nested' is an object" "$T_DIR/last.out"
t_exit "env-json: a secret that is no JSON is refused" 1 \
	"$E" --fetch db_pass=env-json:N_ -- touch "$T_DIR/ran"
t_grep "... saying so" "db_pass: env-json: not valid JSON" "$T_DIR/last.out"
t_nogrep "... without showing it" "$SECRET" "$T_DIR/last.out"
t_exit "env-json: a group takes none (usage error)" 2 "$E" --fetch 'app1/=env-json:P_' -- true
t_cond "... PROGRAM never ran" ! -e "$T_DIR/ran"

# ---- two deliveries to one place ----
# between names given: a usage error before any request (the URL is dead: a request would
# fail with exit 1)
clash() { # clash DESC MESSAGE FETCH...
	local d=$1 m=$2
	shift 2
	t_exit "collision: $d is a usage error" 2 \
		"$E" --url "https://127.0.0.1:$DEAD" "$@" -- touch "$T_DIR/ran"
	t_grep "... naming both" "$m" "$T_DIR/last.out"
}
clash "db-pass and db_pass to fd:" "db-pass and db_pass both deliver to the variable DB_PASS_FILE" \
	--fetch db-pass --fetch db_pass
clash "two env:X" "a and b both deliver to the variable X" --fetch a=env:X --fetch b=env:X
clash "fd:X and env:X" "a and b both deliver to the variable X" --fetch a=fd:X --fetch b=env:X
clash "two file: to one path" "a and b both deliver to the file $SHM/f" \
	--fetch "a=file:$SHM/f" --fetch "b=file:$SHM/./f"
clash "an --optional one" "db_pass and db-pass both deliver to the variable DB_PASS_FILE" \
	--fetch db_pass --optional db-pass
t_cond "... PROGRAM never ran" ! -e "$T_DIR/ran"
# within a group, once its members are known: exit 1, nothing delivered, PROGRAM not run
t_exit "collision: grp/a/b and grp/a_b in a group's variables: exit 1" 1 \
	"$E" --fetch grp/ -- touch "$T_DIR/ran"
t_grep "... naming both" "grp/a/b and grp/a_b both deliver to the variable GRP_A_B_FILE" "$T_DIR/last.out"
mkdir -p "$SHM/grp"
t_exit "collision: ... and in a group's directory: exit 1" 1 \
	"$E" --fetch "grp/=file:$SHM/grp" -- touch "$T_DIR/ran"
t_grep "... naming both" "grp/a/b and grp/a_b both deliver to the file $SHM/grp/a_b" "$T_DIR/last.out"
t_cond "... and nothing was written there" -z "$(ls -A "$SHM/grp")"
t_exit "collision: an env-json field and another variable: exit 1" 1 \
	"$E" --fetch 'db.json=env-json:DB_' --fetch 'db_pass=env:DB_USER' -- touch "$T_DIR/ran"
t_grep "... naming both" "db.json (field user) and db_pass both deliver to the variable DB_USER" \
	"$T_DIR/last.out"
t_cond "... PROGRAM never ran" ! -e "$T_DIR/ran"
t_ok "no collision: one object to two places" \
	"$E" --fetch db_pass --fetch db_pass=env:P -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$SHM/db"

# ---- after all of them: no copy of a secret in a file on a disk file system ----
# control: a copy planted in a disk file after the marker, which the one search must find
printf 'x%sx' "$PW" >"$T_DIR/control"
fx_disk_search "$MARK" "$T_DIR/hits" "$SECRET" "$PW"
t_grep "control: the search finds a planted copy" "$T_DIR/control" "$T_DIR/hits"
rm -f "$T_DIR/control"
grep -vxF "$T_DIR/control" "$T_DIR/hits" >"$T_DIR/others"
t_cond "no file on a disk file system holds a secret" ! -s "$T_DIR/others"
[ -s "$T_DIR/others" ] && sed 's/^/# found in: /' "$T_DIR/others"
exit 0
