#!/bin/bash
# The GPG secret key never enters the container: wallet-entry --gnupghome with a GNUPGHOME that
# holds only public keys and whose S.gpg-agent leads to the host's gpg-agent "extra" socket
# (here an Assuan redirect file; in Docker a bind-mounted socket).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash"
fx_setup
E=$CW_BIN/wallet-entry
[ -x "$E" ] || { echo "Bail out! $E not built"; exit 1; }
printf 'agent-%s' "$RANDOM$RANDOM" >"$FX/db"
fx_seal db_pass 1 "$FX/db" && fx_serve_obj v1/objects/db_pass "$FX/sealed/db_pass@1" 1
P=$(pick_port)
fx_server "$P" || { echo "Bail out! test wallet did not start"; exit 1; }
fx_entry_env
unset WALLET_GPG_KEY
export WALLET_URL=https://127.0.0.1:$P

# the host: the secret key and a running agent (on tmpfs: short socket paths)
HOST=$(mktemp -d /dev/shm/cwhost.XXXXXX) CTR=$(mktemp -d /dev/shm/cwctr.XXXXXX)
at_exit "rm -rf $HOST $CTR"
chmod 0700 "$HOST" "$CTR"
G --homedir "$HOST" --import "$FX/client-gpg.asc" && gpg-connect-agent --homedir "$HOST" /bye >/dev/null 2>&1 ||
	{ echo "Bail out! host agent setup failed"; exit 1; }
at_exit "t_gpg_stop $HOST"
t_cond "the host agent offers an extra socket" -S "$HOST/S.gpg-agent.extra"
# the container: public keys only, no agent of its own
G --homedir "$CTR" --import "$FX/client.pub" || { echo "Bail out! import failed"; exit 1; }
t_gpg_stop "$CTR"
rm -f "$CTR"/S.gpg-agent*
t_exit "without the forwarded agent: no secret key, refused" 1 "$E" --gnupghome "$CTR" --fetch db_pass -- true
t_grep "... as a key failure" "No secret key" "$T_DIR/last.out"
t_gpg_stop "$CTR"
rm -f "$CTR"/S.gpg-agent*
printf '%%Assuan%%\nsocket=%s\n' "$HOST/S.gpg-agent.extra" >"$CTR/S.gpg-agent"
t_ok "through the host's extra socket: the secret arrives" \
	"$E" --gnupghome "$CTR" --fetch db_pass --fetch 'db_pass=fd:AGAIN' -- \
	sh -c 'cmp "$DB_PASS_FILE" "$1" && cmp "$AGAIN" "$1"' sh "$FX/db"
t_cond "the container's GNUPGHOME holds no private key" -z "$(ls -A "$CTR/private-keys-v1.d" 2>/dev/null)"
t_exit "no gpg-agent runs for the container's GNUPGHOME" 1 pgrep -f "gpg-agent --homedir $CTR"
t_cond "the container's GNUPGHOME is left in place (it is not wallet-entry's)" -f "$CTR/pubring.kbx"
exit 0
