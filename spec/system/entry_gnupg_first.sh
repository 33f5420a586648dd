#!/bin/bash
# The gnupg engine opens several objects at once (2 gpg runs per CPU), and a key file's key is
# imported into a fresh throwaway GNUPGHOME. gpg-agent rewrites an imported secret key file in
# place the first time it uses it (GnuPG 2.2 converts it to its own format), so a decryption
# that read the file meanwhile failed now and then with "Unmatched parentheses in
# S-expression". The client's first decryption therefore runs alone. A gpg on PATH in front of
# the real one logs when each decryption starts and ends.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/client_fixture.bash"
fx_setup
E=$CW_BIN/wallet-entry
[ -x "$E" ] || { echo "Bail out! $E not built"; exit 1; }
REAL_GPG=$(command -v gpg) || t_bail "no gpg"

N=6
for i in $(seq 1 "$N"); do
	printf 'secret-%s' "$i" >"$T_DIR/plain$i"
	fx_seal "s$i" 1 "$T_DIR/plain$i" && fx_serve_obj "v1/objects/s$i" "$FX/sealed/s$i@1" 1 ||
		t_bail "sealing s$i failed"
done
P=$(pick_port)
fx_server "$P" || t_bail "test wallet did not start"
fx_entry_env
export WALLET_URL=https://127.0.0.1:$P

# the logging gpg: a line before and after each decryption (monotonic enough: the clock
# in nanoseconds of one machine), the real gpg in between with every descriptor it was given
LOG=$T_DIR/decrypt.log
mkdir -p "$T_DIR/bin"
cat >"$T_DIR/bin/gpg" <<EOF
#!/bin/bash
case " \$* " in *" --decrypt "*) d=1 ;; *) d=0 ;; esac
[ \$d = 1 ] && echo "start \$(date +%s%N) \$\$" >>"$LOG"
"$REAL_GPG" "\$@"
rc=\$?
[ \$d = 1 ] && echo "end \$(date +%s%N) \$\$" >>"$LOG"
exit \$rc
EOF
chmod +x "$T_DIR/bin/gpg"

fetches=()
for i in $(seq 1 "$N"); do fetches+=(--fetch "s$i=env:S$i"); done
: >"$LOG"
t_ok "gnupg: $N objects at once" env PATH="$T_DIR/bin:$PATH" "$E" --openpgp gnupg "${fetches[@]}" \
	-- sh -c 'printf "%s %s %s %s %s %s" "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" >"$1"' sh "$T_DIR/out"
t_cond "... PROGRAM got every secret" "$(cat "$T_DIR/out" 2>/dev/null)" = \
	"secret-1 secret-2 secret-3 secret-4 secret-5 secret-6"
t_cond "... $N decryptions, each one gpg run" "$(grep -c '^start ' "$LOG")" = "$N"
# the first decryption to start ended before any other started
first=$(sort -k2,2n "$LOG" | awk '$1 == "start" {print $3; exit}')
first_end=$(awk -v p="$first" '$1 == "end" && $3 == p {print $2}' "$LOG")
later=$(awk -v p="$first" -v e="$first_end" '$1 == "start" && $3 != p && $2 < e' "$LOG")
t_cond "... the first decryption ran alone" -n "$first_end" -a -z "$later"

exit 0
