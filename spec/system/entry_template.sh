#!/bin/bash
# wallet-entry --template against the real thing (wallet-keygen init, wallet store, wallet
# serve with its audit log), with each OpenPGP engine: a text template with JSON fields
# rendered to file:, fd: and env:; names used only in templates are fetched, and a name both
# fetched and used is fetched once (the server's audit log counts); an unknown name, a missing
# key, a non-object secret and bad syntax give one line naming the template and its line,
# PROGRAM is not run and nothing is on disk; a template's DEST where another delivery writes is
# refused, a spec file's template reads a relative SRC next to it, --print takes no template;
# --supervise removes a rendered file; a core image of a supervising wallet-entry holds no copy
# of what it rendered.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash" # fx_agents_gone, fx_core_check
. "$(dirname "$0")/serve_common.sh"     # serve_keys, serve_data, serve_start
at_exit "wait_until 10 fx_agents_gone"
E=$CW_BIN/wallet-entry
[ -x "$E" ] || t_bail "wallet-entry not built"
export GNUPGHOME=$T_DIR/nohome WALLET_DATA=$T_DIR/data
KEYS=$T_DIR/keys TPL=$T_DIR/tpl # templates hold no secret: on disk
SHM=$(mktemp -d /dev/shm/cwtpl.XXXXXX)
at_exit "rm -rf $SHM"
mkdir -p "$TPL"
serve_keys "$KEYS" && serve_data "$WALLET_DATA" "$KEYS" || t_bail "wallet setup failed"
at_exit "t_gpg_stop $WALLET_DATA/gnupg"
rnd() { od -An -tx1 -N12 /dev/urandom | tr -d ' \n'; }
PASS="pw-$(rnd)" USERV="user-$(rnd)" FIELD="field-$(rnd)" GRP="grp-$(rnd)"
# the plaintext only on tmpfs. "esc" is written with a \u escape: its decoded text, a-FIELD,
# exists only where a rendering put it.
printf '%s' "$PASS" >"$SHM/db"
printf '{"db":{"user":"%s","port":5432,"tls":true,"hosts":["h0","h1"]},"esc":"a\\u002d%s",' \
	"$USERV" "$FIELD" >"$SHM/cfg"
printf '"a.b":"dotted","opts":{ "x" : [1, 2] }}' >>"$SHM/cfg"
printf '%s' "$GRP" >"$SHM/grp"
printf 'bin\0ary' >"$SHM/bin"
store() { wallet store "$1" --to app1 <"$2" >/dev/null; }
store db_pass "$SHM/db" && store db_pass "$SHM/db" && store cfg "$SHM/cfg" &&
	store app1/a "$SHM/grp" && store bin "$SHM/bin" || t_bail "wallet store failed"
FPR=$(sed -n 's/.*"signing_key":"\([0-9A-F]*\)".*/\1/p' "$WALLET_DATA/wallet.json")
AUDIT=$T_DIR/audit.log
serve_start main --tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" \
	--tls-ca "$KEYS/wallet/ca.crt" --audit-log "$AUDIT" || t_bail "wallet serve did not start"
C=$KEYS/clients/app1
export WALLET_URL=https://127.0.0.1:$SERVE_PORT WALLET_CA=$C/ca.crt WALLET_CERT=$C/tls.crt \
	WALLET_KEY=$C/tls.key WALLET_GPG_KEY=$C/gpg.sec.asc WALLET_SIGNER=$FPR WALLET_WAIT=0

cat >"$TPL/app.tmpl" <<'EOF'
# app config
password={{ secret "db_pass" }}
user = {{ secret "cfg" "db.user" }}
port={{secret "cfg" "db.port"}} tls={{ secret "cfg"
  "db.tls" }}
host={{ secret "cfg" "db.hosts.1" }}
dotted={{ secret "cfg" "a\.b" }} esc={{ secret "cfg" "esc" }}
opts={{ secret "cfg" "opts" }}
braces={{ "{{" }} }}
EOF
printf '# app config\npassword=%s\nuser = %s\nport=5432 tls=true\nhost=h1\n' "$PASS" "$USERV" \
	>"$SHM/app.want"
printf 'dotted=dotted esc=a-%s\nopts={"x":[1,2]}\nbraces={{ }}\n' "$FIELD" >>"$SHM/app.want"

# --help and the man page
t_ok "--help names --template" "$E" --help
t_grep "... with its syntax" '{{ secret "NAME" "KEY" }}' "$T_DIR/last.out"
t_ok "the man page has a TEMPLATES section" grep -q '^\.SH TEMPLATES' "$CW_BUILD/man/wallet-entry.1"

# 1. rendered to each destination, with each engine
for eng in rnp gnupg; do
	export WALLET_OPENPGP=$eng
	t_ok "$eng: text and JSON fields rendered to file: on tmpfs" \
		"$E" --template "$TPL/app.tmpl=file:$SHM/app.conf" -- cmp "$SHM/app.conf" "$SHM/app.want"
	t_cond "$eng: ... mode 0400" "$(stat -c %a "$SHM/app.conf" 2>/dev/null)" = 400
	rm -f "$SHM/app.conf"
	t_ok "$eng: ... to fd: (a sealed memfd)" "$E" --template "$TPL/app.tmpl=fd:APP_CONF" -- \
		sh -c 'cmp "$APP_CONF" "$1" && ! (printf x >>"$APP_CONF") 2>/dev/null' sh "$SHM/app.want"
	t_ok "$eng: ... to env:" "$E" --template "$TPL/app.tmpl=env:APP_CONF" -- \
		sh -c 'printf "%s" "$APP_CONF" | cmp - "$1"' sh "$SHM/app.want"
	t_ok "$eng: one template to three destinations at once" "$E" \
		--template "$TPL/app.tmpl=fd:A" --template "$TPL/app.tmpl=env:B" \
		--template "$TPL/app.tmpl=file:$SHM/c" -- \
		sh -c 'cmp "$A" "$1" && printf "%s" "$B" | cmp - "$1" && cmp "$2" "$1"' sh "$SHM/app.want" "$SHM/c"
	rm -f "$SHM/c"
done
unset WALLET_OPENPGP

# 2. what is fetched: names used only in templates, once each, one request per object
#    (the audit log shows the server's side; a fetch of app1/a afterwards marks where the
#    lines of this run end). An object comes by its version's path, or as the latest
#    version, asked for with the manifest (pipelined) and checked against it.
obj_gets() { grep -cE "\"path\":\"(/objects/$1/v[0-9]+/object.gpg|/v1/objects/$1)\"" "$AUDIT"; }
t_ok "names used only in a template are fetched (--verbose)" \
	"$E" --verbose --template "$TPL/app.tmpl=fd:X" -- true
t_cond "... db_pass verified once" "$(grep -c '^wallet-entry: db_pass: version 2 verified' "$T_DIR/last.out")" = 1
t_cond "... cfg verified once (used seven times)" "$(grep -c '^wallet-entry: cfg: version 1 verified' "$T_DIR/last.out")" = 1
t_nogrep "... and no secret in wallet-entry's output" "$PASS" "$T_DIR/last.out"
: >"$AUDIT.mark"
before_db=$(obj_gets db_pass) before_cfg=$(obj_gets cfg)
t_ok "a name both fetched and used in a template" "$E" --verbose --fetch db_pass \
	--template "$TPL/app.tmpl=fd:X" -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$SHM/db"
t_cond "... is verified once" "$(grep -c '^wallet-entry: db_pass: version 2 verified' "$T_DIR/last.out")" = 1
"$E" --fetch app1/a -- true >/dev/null 2>&1
wait_until 10 grep -qE '"path":"(/objects/app1@a/|/v1/objects/app1/a")' "$AUDIT"
t_cond "... and asked of the server once (audit log)" "$(($(obj_gets db_pass) - before_db))" = 1
t_cond "... cfg too, used only in the template" "$(($(obj_gets cfg) - before_cfg))" = 1
printf 'g={{ secret "app1/a" }}' >"$TPL/grp.tmpl"
t_ok "a member of a fetched group used in a template" "$E" --verbose --fetch "app1/=file:$SHM" \
	--template "$TPL/grp.tmpl=env:G" -- sh -c '[ "$G" = "g=$1" ] && cmp "$2/a" "$3"' sh "$GRP" "$SHM" "$SHM/grp"
t_cond "... is fetched once, with its group" "$(grep -c '^wallet-entry: app1/a: version 1 verified' "$T_DIR/last.out")" = 1
rm -f "$SHM/a"
printf 'static text {{ "only" }}' >"$TPL/static.tmpl"
t_ok "a template without secrets needs no wallet" env -u WALLET_URL "$E" \
	--template "$TPL/static.tmpl=env:S" -- sh -c '[ "$S" = "static text only" ]'
printf 'p={{ secret "db_pass@2" }}' >"$TPL/min2.tmpl"
printf 'p={{ secret "db_pass@3" }}' >"$TPL/min3.tmpl"
t_ok "NAME@MINVERSION met" "$E" --template "$TPL/min2.tmpl=env:P" -- sh -c '[ "$P" = "p=$1" ]' sh "$PASS"

# 3. errors: one line naming the template and its line, PROGRAM not run, nothing on disk
# fails CODE DESC TEMPLATE-TEXT EXPECTED-LINE: the template goes to file:, next to a --fetch to
# file:, and PROGRAM would leave a mark
# (a fetch that fails is followed by the usual summary line, "N of M fetches failed")
fails() {
	FN=$((FN + 1))
	local code=$1 d=$2 want=$4 n=$FN
	printf '%s' "$3" >"$TPL/bad$n.tmpl"
	t_exit "$d: exit $code" "$code" "$E" --fetch "db_pass=file:$SHM/db.out" \
		--template "$TPL/bad$n.tmpl=file:$SHM/bad.out" -- touch "$T_DIR/ran"
	t_cond "... one line" "$(grep -cv 'fetches failed; not running' "$T_DIR/last.out")" = 1
	t_grep "... naming the template and line: $(printf '%s' "$want" | sed "s|TPL|bad$n.tmpl|")" \
		"wallet-entry: $TPL/bad$n.tmpl:$want" "$T_DIR/last.out"
	t_cond "... PROGRAM not run, nothing delivered" ! -e "$T_DIR/ran" -o -e "$SHM/db.out" -o -e "$SHM/bad.out"
	t_nogrep "... no secret in the message" "$PASS" "$T_DIR/last.out"
	t_nogrep "... not a field of one either" "$USERV" "$T_DIR/last.out"
}
FN=0
fails 1 "a name the wallet does not have" $'a\nb\n{{ secret "nope" }}' '3: nope: not found'
fails 1 "a missing key" $'x\n{{ secret "cfg" "db.pass" }}' '2: cfg: KEY "db.pass": no field "pass"'
fails 1 "a field below a string" '{{ secret "cfg" "db.user.x" }}' \
	'1: cfg: KEY "db.user.x": "user" is a string, not an object'
fails 1 "a key on a secret that is not JSON" $'\n\n\n{{ secret "db_pass" "k" }}' \
	'4: db_pass: not a JSON object (KEY "k" needs one)'
fails 1 "a version older than asked for" 'p={{ secret "db_pass@3" }}' \
	'1: db_pass: version 2 is older than the required minimum 3'
fails 2 "bad syntax" $'line 1\n{{ secret "db_pass" ' "2: '{{' without '}}'"
fails 2 "an unknown action" $'\n{{ env "HOME" }}' "2: unknown action 'env' (secret, or a \"string\")"
fails 2 "an invalid name" '{{ secret "../x" }}' "1: '../x' is not a valid object name or group"
printf 'x={{ secret "bin" }}' >"$TPL/bin.tmpl"
t_exit "a rendering with a NUL byte to env:: refused" 1 "$E" --template "$TPL/bin.tmpl=env:X" -- touch "$T_DIR/ran"
t_grep "... saying why" "cannot carry a secret that contains a NUL byte" "$T_DIR/last.out"
t_ok "... the same to fd:, byte for byte" "$E" --template "$TPL/bin.tmpl=fd:X" -- \
	sh -c 'printf "x=bin\0ary" | cmp - "$X"'
t_exit "a missing template file: usage error" 2 "$E" --template "$TPL/none=fd:X" -- touch "$T_DIR/ran"
t_grep "... naming it" "$TPL/none: No such file or directory" "$T_DIR/last.out"
t_exit "DEST file: on a disk: usage error" 2 "$E" --template "$TPL/app.tmpl=file:$T_DIR/out" -- touch "$T_DIR/ran"
t_exit "DEST fd: without a variable: usage error" 2 "$E" --template "$TPL/app.tmpl=fd" -- true
t_cond "no PROGRAM ran, nothing written to a disk" ! -e "$T_DIR/ran" -o -e "$T_DIR/out"

# 3b. with the other options: a template's DEST where another delivery writes is refused
#     (before any request when the names given collide, before delivery when a group's
#     members do); a spec file's "template" reads a relative SRC next to the spec file;
#     --print takes no template
t_exit "a template's DEST where a --fetch delivers: usage error" 2 "$E" --fetch db_pass=env:CONF \
	--template "$TPL/app.tmpl=env:CONF" -- touch "$T_DIR/ran"
t_grep "... naming both" "db_pass and --template $TPL/app.tmpl both deliver to the variable CONF" "$T_DIR/last.out"
t_exit "two templates to one file: usage error" 2 "$E" --template "$TPL/app.tmpl=file:$SHM/two" \
	--template "$TPL/grp.tmpl=file:$SHM//two" -- touch "$T_DIR/ran"
t_grep "... naming both" "--template $TPL/app.tmpl and --template $TPL/grp.tmpl both deliver to the file $SHM/two" "$T_DIR/last.out"
t_exit "a template's DEST where a group's member delivers: exit 1" 1 "$E" --fetch app1/ \
	--template "$TPL/app.tmpl=file:$SHM/g.conf" --template "$TPL/app.tmpl=fd:APP1_A_FILE" -- touch "$T_DIR/ran"
t_grep "... naming both, once the members are known" \
	"app1/a and --template $TPL/app.tmpl both deliver to the variable APP1_A_FILE; not running touch" "$T_DIR/last.out"
t_cond "... nothing delivered, PROGRAM not run" ! -e "$SHM/g.conf" -o -e "$T_DIR/ran"
t_ok "the names a template uses claim no place of their own (db_pass: not DB_PASS_FILE)" \
	"$E" --fetch "cfg=fd:DB_PASS_FILE" --template "$TPL/min2.tmpl=env:P" -- \
	sh -c '[ "$P" = "p=$1" ] && [ -e "$DB_PASS_FILE" ]' sh "$PASS"
mkdir -p "$T_DIR/specdir" && cp "$TPL/app.tmpl" "$T_DIR/specdir/rel.tmpl"
printf '{"template": ["rel.tmpl=file:%s/s.conf"], "command": ["cmp", "%s/s.conf", "%s"]}' \
	"$SHM" "$SHM" "$SHM/app.want" >"$T_DIR/specdir/spec.json"
t_ok "a spec file's template with a relative SRC (read next to the spec file)" \
	sh -c 'cd / && exec "$1" --spec "$2"' sh "$E" "$T_DIR/specdir/spec.json"
rm -f "$SHM/s.conf"
t_exit "--print with --template: usage error" 2 "$E" --print db_pass --template "$TPL/app.tmpl=env:X"
t_grep "... saying so" "--print cannot be combined with --template" "$T_DIR/last.out"
t_ok "--print leaves the spec file's template out" sh -c \
	'"$1" --spec "$2" --print db_pass | cmp - "$3"' sh "$E" "$T_DIR/specdir/spec.json" "$SHM/db"
t_cond "no PROGRAM ran" ! -e "$T_DIR/ran"

# 4. --supervise: the rendered file is removed when PROGRAM exits
t_ok "--supervise: PROGRAM reads the rendered file" "$E" --supervise \
	--template "$TPL/app.tmpl=file:$SHM/sup.conf" -- cmp "$SHM/sup.conf" "$SHM/app.want"
t_cond "... which is gone afterwards" ! -e "$SHM/sup.conf"

# 5. wallet-entry's own memory after it handed the renderings over: a supervising
#    wallet-entry lives on as PROGRAM's parent. Its core image holds no copy of a secret, of a
#    JSON field as decoded (a-FIELD, which only a rendering holds) or of a rendered line.
printf 'a-%s\n' "$FIELD" >"$SHM/pat"
printf '%s\n' "$PASS" "$USERV" "password=$PASS" >>"$SHM/pat"
for eng in rnp gnupg; do
	fx_core_check "$SHM" "$SHM/pat" \
		"$eng: no secret, decoded field or rendered line in wallet-entry's memory" \
		--openpgp "$eng" --template "$TPL/app.tmpl=fd:A" --template "$TPL/app.tmpl=env:B" \
		--template "$TPL/app.tmpl=file:$SHM/m.conf"
	t_cond "$eng: ... the rendered file is removed at the end" ! -e "$SHM/m.conf"
done
exit 0
