#!/bin/bash
# wallet rotate-signing-key (docs/DESIGN.md, "Keys that change"): a new signing subkey under
# the same primary key. gpg is the peer that reads the published key and checks what was
# signed; wallet-entry and a long-lived libwalletclient user (rotate_client.c) keep the pin
# they had, with each OpenPGP engine; a running wallet serve serves the new key at once; the
# primary key kept off the data directory; forged "rotations" refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"
. "$(dirname "$0")/client_fixture.bash" # the scripted wallet of the forgeries, at the end
E=$CW_BIN/wallet-entry
for b in "$E" "$CW_BIN/wallet"; do [ -x "$b" ] || t_bail "$(basename "$b") not built"; done
KEYS=$T_DIR/keys D=$T_DIR/data
serve_keys "$KEYS" || t_bail "key material"
serve_data "$D" "$KEYS" || t_bail "data directory"
export WALLET_DATA=$D
at_exit "t_gpg_stop $D/gnupg"
SHM=$(mktemp -d /dev/shm/cwrotate.XXXXXX)
at_exit "rm -rf $SHM"
PEER=$T_DIR/peer # gpg, the peer: a keyring of its own for what it is shown
mkdir -m 0700 "$PEER"
at_exit "t_gpg_stop $PEER"
pg() { gpg --batch --quiet --no-tty --homedir "$PEER" "$@"; }
# the fingerprints of a key file's primary (pub) or signing subkeys (sub, usage s)
key_fprs() { # FILE pub|sub
	pg --with-colons --show-keys "$1" 2>/dev/null |
		awk -F: -v k="$2" '$1 == "pub" || $1 == "sub" {w = $1 == k && (k == "pub" || $12 ~ /s/)}
			$1 == "fpr" && w {print $10; w = 0}'
}
# the fingerprint of the (sub)key that made a signature, as gpg reports it (VALIDSIG), and its
# primary's: "SIGNER PRIMARY"
sig_maker() { # SIG [DATA] (no DATA: a signed message)
	pg --status-fd 1 --verify "$@" 2>/dev/null | awk '$2 == "VALIDSIG" {print $3, $NF}'
}
keyfetches() { grep -cE '"path":"(/v1/signing-key|/signing-key.asc)"' "$T_DIR/audit.log"; }
keyfetches_reach() { [ "$(keyfetches)" -ge "$1" ]; }
# store NAME: a new version of NAME for app1, from $SHM/NAME (made, random, if missing)
store() {
	[ -f "$SHM/$1" ] || printf '%s-%s' "$1" "$RANDOM$RANDOM" >"$SHM/$1"
	wallet store "$1" --to app1 <"$SHM/$1" >/dev/null
}
# new_subkey FILE: the subkey a rotation's output line names
new_subkey() { sed -n 's/.*new signing subkey \([0-9A-F]\{40\}\) .*/\1/p' "$1"; }
store old || t_bail "store"
FPR=$(wallet signing-key --fingerprint)
A1=$KEYS/clients/app1
serve_start main --data "$D" --tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" \
	--tls-ca "$KEYS/ca/ca.crt" --audit-log "$T_DIR/audit.log" || t_bail "wallet serve"
MAIN_PID=$SERVE_PID
export WALLET_URL=https://127.0.0.1:$SERVE_PORT WALLET_CA=$A1/ca.crt WALLET_CERT=$A1/tls.crt \
	WALLET_KEY=$A1/tls.key WALLET_GPG_KEY=$A1/gpg.sec.asc WALLET_SIGNER=$FPR WALLET_WAIT=0

wallet rotate-signing-key --help >"$T_DIR/h1" && wallet help rotate-signing-key >"$T_DIR/h2"
t_ok "rotate-signing-key --help and 'help rotate-signing-key' print the same" cmp -s "$T_DIR/h1" "$T_DIR/h2"
t_grep "...its usage" "Usage: wallet [--data DIR] rotate-signing-key [--primary-key FILE]" "$T_DIR/h1"
t_exit "an operand: usage error" 2 wallet rotate-signing-key now
t_exit "an unknown option: usage error" 2 wallet rotate-signing-key --force
t_exit "signing-key --signed-by a short fingerprint: usage error" 2 wallet signing-key --signed-by ABCD
t_exit "signing-key with two of its options: usage error" 2 wallet signing-key --list --fingerprint
t_ok "before: signing-key --list" wallet signing-key --list
t_cond "...one line: the primary signs, its secret here" \
	"$(awk '{print $1, $2, $4, $5}' "$T_DIR/last.out" | tr '\n' ';')" = "primary $FPR signs secret:here;"
cfetch "$A1" /v1/signing-key -o "$T_DIR/key0.asc"
t_cond "...and serve serves the key without subkeys" "$(key_fprs "$T_DIR/key0.asc" sub)" = ""

# ---- one rotation ----
t_ok "rotate-signing-key" wallet rotate-signing-key
NEW=$(new_subkey "$T_DIR/last.out")
t_cond "...names the new subkey and what signed before" \
	"$(grep -c "^signing key $FPR: new signing subkey [0-9A-F]\{40\} (signed before: $FPR)$" "$T_DIR/last.out")" = 1
t_cond "gpg: the published key has the same primary" "$(key_fprs "$D/signing-key.asc" pub)" = "$FPR"
t_cond "gpg: ...and the new subkey under it, for signing" "$(key_fprs "$D/signing-key.asc" sub)" = "$NEW"
t_cond "gpg: ...so does the wallet's keyring" "$(gpg --batch --homedir "$D/gnupg" --with-colons \
	--list-keys "$FPR" 2>/dev/null | awk -F: '$1 == "fpr" {print $10}' | tr '\n' ' ')" = "$FPR $NEW "
t_cond "signing-key --fingerprint is still the pin" "$(wallet signing-key --fingerprint)" = "$FPR"
wallet signing-key --list >"$T_DIR/list"
t_cond "signing-key --list: the primary verifies, the new subkey signs" \
	"$(awk '{print $1, $2, $4}' "$T_DIR/list" | tr '\n' ';')" = "primary $FPR verifies;subkey $NEW signs;"
wallet signing-key >"$T_DIR/armored"
t_cond "signing-key: the armored key holds both" \
	"$(key_fprs "$T_DIR/armored" pub) $(key_fprs "$T_DIR/armored" sub)" = "$FPR $NEW"

cfetch "$A1" /v1/signing-key -o "$T_DIR/key1.asc"
t_ok "the running serve serves the new key at once (/v1/signing-key)" cmp -s "$T_DIR/key1.asc" "$D/signing-key.asc"
t_cond "...which holds the new subkey" "$(key_fprs "$T_DIR/key1.asc" sub)" = "$NEW"
t_cond "...at /signing-key.asc too" "$(cfetch "$A1" /signing-key.asc | md5sum)" = "$(md5sum <"$D/signing-key.asc")"
t_ok "...without a restart" kill -0 "$MAIN_PID"

store new
pg --import "$T_DIR/key1.asc"
t_cond "gpg: an object stored before was signed by the primary, and verifies" \
	"$(sig_maker "$D/objects/old/v1/object.sig" "$D/objects/old/v1/object.gpg")" = "$FPR $FPR"
t_cond "gpg: one stored after, by the new subkey of the same primary" \
	"$(sig_maker "$D/objects/new/v1/object.sig" "$D/objects/new/v1/object.gpg")" = "$NEW $FPR"
t_cond "gpg: the manifest, signed again at rotation, by the new subkey" \
	"$(sig_maker "$D/manifests/app1")" = "$NEW $FPR"
t_ok "checkintegrity: both objects verify" wallet checkintegrity
t_cond "...each of them" "$(grep -cE '^OK object (old|new) v1$' "$T_DIR/last.out")" = 2
wallet signing-key --signed-by "$FPR" >"$T_DIR/by0"
t_cond "signing-key --signed-by the primary: the object stored before" "$(cat "$T_DIR/by0")" = "object old v1"
wallet signing-key --signed-by "$NEW" >"$T_DIR/by1"
t_cond "signing-key --signed-by the subkey: the object stored after, and every manifest" \
	"$(tr '\n' ';' <"$T_DIR/by1")" = "object new v1;manifest app1;manifest app2;manifest app3;"

for engine in rnp gnupg; do
	t_ok "wallet-entry ($engine), the pin of before: the object stored before" \
		env WALLET_OPENPGP=$engine "$E" --fetch old -- sh -c 'cmp "$OLD_FILE" "$1"' sh "$SHM/old"
	t_ok "wallet-entry ($engine), the pin of before: the object stored after" \
		env WALLET_OPENPGP=$engine "$E" --fetch new -- sh -c 'cmp "$NEW_FILE" "$1"' sh "$SHM/new"
done
t_ok "wallet export" wallet export "$T_DIR/export"
t_cond "...carries the new key" "$(key_fprs "$T_DIR/export/signing-key.asc" sub)" = "$NEW"

# ---- long-lived clients across a rotation ----
SANLD=()
[ "${SAN:-0}" = 1 ] && SANLD=(-fsanitize=address,undefined)
cc -std=c11 -Wall -Werror -I"$CW_BUILD/include" -o "$T_DIR/rotate_client" \
	"$CW_ROOT/spec/system/rotate_client.c" -L"$CW_LIB" -lwalletclient -Wl,-rpath,"$CW_LIB" \
	"${SANLD[@]}" || t_bail "rotate_client does not build"
# client_start NAME ENGINE: a long-lived client reading commands from fd IN_NAME, answering on
# fd OUT_NAME (ask NAME COMMAND prints the answer); at exit its input closes, and it frees its
# client (a gnupg engine's throwaway GNUPGHOME and agent with it) and exits
client_start() {
	mkfifo "$T_DIR/$1.in" "$T_DIR/$1.out"
	WALLET_OPENPGP=$2 "$T_DIR/rotate_client" <"$T_DIR/$1.in" >"$T_DIR/$1.out" 2>"$T_DIR/$1.err" &
	eval "PID_$1=$!; exec {IN_$1}>\"$T_DIR/$1.in\" {OUT_$1}<\"$T_DIR/$1.out\""
	at_exit "client_stop $1"
}
client_stop() {
	local i=IN_$1 p=PID_$1
	eval "exec {$i}>&-"
	wait_until 10 eval "! kill -0 ${!p} 2>/dev/null" || kill "${!p}"
}
ask() {
	local i=IN_$1 o=OUT_$1 ans=""
	echo "$2" >&"${!i}"
	read -r -t 60 ans <&"${!o}"
	echo "$ans"
}
# asked NAME COMMAND WANT DESC: the answer is WANT, and it took exactly one more fetch of the
# signing key than before when KEYS=1 (none when KEYS=0)
asked() {
	local before ans n
	before=$(keyfetches)
	ans=$(ask "$1" "$2")
	wait_until 5 keyfetches_reach $((before + $5))
	n=$(($(keyfetches) - before))
	if [[ $ans == $3 ]] && [ "$n" = "$5" ]; then t_pass "$4"; else
		t_fail "$4" "answer: $ans (want $3)" "signing-key fetches: $n (want $5)" "$(tail -n 3 "$T_DIR/$1.err")"; fi
}
# clients PREFIX NAME: a long-lived client per engine, each fetching NAME (and the key) first
clients() {
	for engine in rnp gnupg; do
		client_start "$1$engine" $engine
		asked "$1$engine" "fetch $2 $SHM/$2" "ok $2 v1" "long-lived client ($engine): first fetch" 1
	done
}
clients c new
wallet rotate-signing-key >"$T_DIR/rot2" || t_fail "second rotation"
NEW2=$(new_subkey "$T_DIR/rot2")
t_cond "a second rotation: the published key holds both subkeys" \
	"$(key_fprs "$D/signing-key.asc" sub | tr '\n' ' ')" = "$NEW $NEW2 "
store third
for engine in rnp gnupg; do
	asked "c$engine" "fetchv third 1 $SHM/third" "ok third v1" \
		"long-lived client ($engine): signed by a subkey it never saw: fetches the key once, verifies" 1
	asked "c$engine" "fetch new $SHM/new" "ok new v1" \
		"long-lived client ($engine): what the subkey before signed still verifies (no fetch)" 0
done

# a stale copy of the key (without the newest subkey) served to clients that lack it: one
# fetch per request, then the refusal; no loop
clients s third
cp "$D/signing-key.asc" "$T_DIR/key2.asc"
wallet rotate-signing-key >"$T_DIR/rot3" || t_fail "third rotation"
store fourth
cp "$D/signing-key.asc" "$T_DIR/key3.asc"
cp "$T_DIR/key2.asc" "$D/signing-key.asc.tmp" && mv "$D/signing-key.asc.tmp" "$D/signing-key.asc"
t_cond "serve serves the stale copy put in place (as a stale replica would)" \
	"$(cfetch "$A1" /v1/signing-key | md5sum)" = "$(md5sum <"$T_DIR/key2.asc")"
for engine in rnp gnupg; do
	asked "s$engine" "fetchv fourth 1 $SHM/fourth" "error bad or missing signature: *signature not good*" \
		"long-lived client ($engine), stale key served: refused after one fetch of the key" 1
done
cp "$T_DIR/key3.asc" "$D/signing-key.asc.tmp" && mv "$D/signing-key.asc.tmp" "$D/signing-key.asc"
t_ok "a fresh wallet-entry with the current key: the object the newest subkey signed" \
	"$E" --fetch fourth -- sh -c 'cmp "$FOURTH_FILE" "$1"' sh "$SHM/fourth"

# ---- the primary key off the data directory (wallet(1), rotate-signing-key) ----
G1=$D/gnupg
gpg --batch --quiet --homedir "$G1" --armor --export-secret-keys "$FPR" >"$SHM/primary.sec.asc"
t_ok "gpg --delete-secret-keys 'FPR!': the primary's secret part goes" \
	gpg --batch --yes --quiet --homedir "$G1" --delete-secret-keys "$FPR!"
gpgconf --homedir "$G1" --kill gpg-agent
primary_secret() { gpg --batch --homedir "$G1" --with-colons --list-secret-keys "$FPR" 2>/dev/null |
	awk -F: '$1 == "sec" {print $15}'; }
t_cond "...gpg lists it as a stub (sec#), the subkeys keep theirs" "$(primary_secret)" = "#"
t_ok "store still works (signed by the newest subkey)" store fifth
t_ok "...and checkintegrity passes" wallet checkintegrity
cp "$D/signing-key.asc" "$T_DIR/key4.asc"
wallet rotate-signing-key >"$T_DIR/o" 2>"$T_DIR/e"
rc=$?
t_cond "rotation without the primary: exit 1, one line" "$rc:$(wc -l <"$T_DIR/e")" = "1:1"
t_grep "...naming the option" "give it with --primary-key FILE" "$T_DIR/e"
t_ok "...and nothing changed" cmp -s "$D/signing-key.asc" "$T_DIR/key4.asc"
gpg --batch --quiet --homedir "$G1" --armor --export-secret-subkeys "$FPR" >"$SHM/subkeys.sec.asc"
one_line() { # DESC WANT CMD...: exit 1, one line holding WANT
	local d=$1 want=$2 rc
	shift 2
	"$@" >"$T_DIR/o" 2>"$T_DIR/e"
	rc=$?
	if [ "$rc:$(wc -l <"$T_DIR/e")" = "1:1" ] && grep -qF -- "$want" "$T_DIR/e"; then t_pass "$d"; else
		t_fail "$d" "exit $rc" "$(cat "$T_DIR/e")"; fi
}
one_line "--primary-key with the subkeys only: refused" "holds no secret part of the primary key" \
	wallet rotate-signing-key --primary-key "$SHM/subkeys.sec.asc"
one_line "--primary-key with another key: refused" "holds another key than the wallet's" \
	wallet rotate-signing-key --primary-key "$A1/gpg.sec.asc"
one_line "--primary-key with a missing file: refused" "No such file" \
	wallet rotate-signing-key --primary-key "$SHM/nothing"
t_ok "rotation with --primary-key FILE" wallet rotate-signing-key --primary-key "$SHM/primary.sec.asc"
NEW5=$(new_subkey "$T_DIR/last.out")
t_cond "...the published key holds the new subkey" "$(key_fprs "$D/signing-key.asc" sub | tail -n 1)" = "$NEW5"
t_cond "...the primary's secret part stays out of the data directory" "$(primary_secret)" = "#"
t_cond "...no throwaway GNUPGHOME is left" "$(ls -d /dev/shm/walletrotate-* "${XDG_RUNTIME_DIR:-/nonexistent}"/walletrotate-* 2>/dev/null | wc -l)" = 0
t_ok "rotation with --primary-key - (standard input)" \
	wallet rotate-signing-key --primary-key - <"$SHM/primary.sec.asc"
NEW6=$(new_subkey "$T_DIR/last.out")
store sixth
pg --import "$D/signing-key.asc"
t_cond "gpg: what was stored next is signed by that subkey" \
	"$(sig_maker "$D/objects/sixth/v1/object.sig" "$D/objects/sixth/v1/object.gpg")" = "$NEW6 $FPR"
for engine in rnp gnupg; do
	t_ok "wallet-entry ($engine), the pin of before, after an offline rotation" \
		env WALLET_OPENPGP=$engine "$E" --fetch sixth --fetch old -- \
		sh -c 'cmp "$SIXTH_FILE" "$1" && cmp "$OLD_FILE" "$2"' sh "$SHM/sixth" "$SHM/old"
done
t_ok "checkintegrity after all of it" wallet checkintegrity
t_cond "...every object verifies" "$(grep -c '^OK object ' "$T_DIR/last.out")" = 6

# ---- a compromised subkey (wallet(1)): revoked where the primary lives, published ----
OFF=$SHM/offline # the operator's GNUPGHOME that holds the primary
mkdir -m 0700 "$OFF"
at_exit "t_gpg_stop $OFF"
gpg --batch --quiet --homedir "$OFF" --import "$SHM/primary.sec.asc" &&
	wallet signing-key | gpg --batch --quiet --homedir "$OFF" --import ||
	t_bail "offline GNUPGHOME"
# gpg --edit-key FPR; gpg> key NEW; gpg> revkey (reason 1: compromised); gpg> save
t_ok "gpg: the first subkey revoked as compromised, where the primary is" sh -c \
	"printf 'key %s\nrevkey\ny\n1\n\ny\nsave\n' '$NEW' | gpg --batch --quiet --homedir '$OFF' \
		--command-fd 0 --pinentry-mode loopback --passphrase '' --edit-key '$FPR'"
# (umask 077: what gpg writes into the data directory stays private, as checkintegrity demands)
gpg --batch --homedir "$OFF" --armor --export "$FPR" |
	(umask 077 && gpg --batch --quiet --homedir "$G1" --import)
t_ok "wallet refresh publishes it" wallet refresh
sub_validity() { pg --with-colons --show-keys "$D/signing-key.asc" 2>/dev/null |
	awk -F: -v f="$1" '$1 == "sub" {v = $2} $1 == "fpr" && $10 == f {print v}'; }
t_cond "gpg: the published key says the subkey is revoked" "$(sub_validity "$NEW")" = r
t_cond "signing-key --list: revoked" "$(awk -v f="$NEW" '$2 == f {print $4}' <(wallet signing-key --list))" = revoked
wallet checkintegrity >"$T_DIR/ci" 2>&1
rc=$?
t_cond "checkintegrity: exit 1, one ERROR: the object the revoked subkey signed" \
	"$rc:$(grep '^ERROR' "$T_DIR/ci" | cut -d: -f1 | tr '\n' ';')" = "1:ERROR object new v1;"
t_cond "signing-key --signed-by names it (what to store again)" \
	"$(wallet signing-key --signed-by "$NEW")" = "object new v1"
for engine in rnp gnupg; do
	WALLET_OPENPGP=$engine "$E" --fetch new -- true >"$T_DIR/out" 2>&1
	t_cond "wallet-entry ($engine): what the revoked subkey signed is refused" "$?" = 1
done
store new && wallet rm new --version 1 >/dev/null
t_ok "stored again, the version it signed removed: checkintegrity passes" wallet checkintegrity
for engine in rnp gnupg; do
	t_ok "wallet-entry ($engine): the version stored again" \
		env WALLET_OPENPGP=$engine "$E" --fetch new -- sh -c 'cmp "$NEW_FILE" "$1"' sh "$SHM/new"
done

# ---- forged rotations, from a scripted wallet (client_fixture.bash) ----
fx_setup
S=$FX/sealed
printf 'forged' >"$FX/db"
fx_entry_env
P=$(pick_port)
fx_server "$P" || t_bail "fixture server"
export WALLET_URL=https://127.0.0.1:$P
# pgp_packets FILE N...: packets N... (0-based) of a binary OpenPGP file, concatenated
pgp_packets() {
	perl -e '
		local $/; open(my $f, "<:raw", shift) or die; my $d = <$f>; my @p; my $i = 0;
		while ($i < length $d) {
			my $h = ord substr($d, $i, 1); my ($hl, $bl);
			die "not a packet" unless $h & 0x80;
			if ($h & 0x40) {
				my $o = ord substr($d, $i + 1, 1);
				if ($o < 192) { ($hl, $bl) = (2, $o) }
				elsif ($o < 224) { ($hl, $bl) = (3, (($o - 192) << 8) + ord(substr($d, $i + 2, 1)) + 192) }
				elsif ($o == 255) { ($hl, $bl) = (6, unpack("N", substr($d, $i + 2, 4))) }
				else { die "partial length" }
			} else {
				my $t = $h & 3;
				if ($t == 0) { ($hl, $bl) = (2, ord substr($d, $i + 1, 1)) }
				elsif ($t == 1) { ($hl, $bl) = (3, unpack("n", substr($d, $i + 1, 2))) }
				elsif ($t == 2) { ($hl, $bl) = (5, unpack("N", substr($d, $i + 1, 4))) }
				else { die "indeterminate length" }
			}
			push @p, substr($d, $i, $hl + $bl); $i += $hl + $bl;
		}
		binmode STDOUT; print $p[$_] for @ARGV;' "$@"
}
# the impostor gets a signing subkey of its own; the wallet's key is then shown with that
# subkey under it, bound by the impostor (forged1) or not bound at all (forged2)
G --homedir "$XHOME" --quick-add-key "$XFPR" ed25519 sign never &&
	XSUB=$(G --homedir "$XHOME" --with-colons --list-keys "$XFPR" | awk -F: '$1 == "fpr" {f = $10} END {print f}') &&
	G --homedir "$WHOME" --export "$WFPR" >"$FX/w.bin" && G --homedir "$XHOME" --export "$XFPR" >"$FX/x.bin" ||
	t_bail "impostor subkey"
# wallet: primary, user ID, self-signature, encryption subkey, binding (0-4); impostor: the
# same, then its signing subkey and binding (5, 6)
t_cond "the packets are where the forgery expects them" \
	"$(pg --list-packets "$FX/x.bin" 2>/dev/null | grep -c '^:public sub key packet:')" = 2
{ cat "$FX/w.bin"; pgp_packets "$FX/x.bin" 5 6; } | pg --enarmor >"$FX/forged1.asc"
{ cat "$FX/w.bin"; pgp_packets "$FX/x.bin" 5; } | pg --enarmor >"$FX/forged2.asc"
sed -i 's/ARMORED FILE/PUBLIC KEY BLOCK/' "$FX/forged1.asc" "$FX/forged2.asc"
t_cond "gpg: the forged key's subkey binding is refused" \
	"$(key_fprs "$FX/forged1.asc" sub | grep -c "$XSUB")" = 0
# the control: a subkey the wallet's own primary binds, signing the object and the manifest
G --homedir "$WHOME" --quick-add-key "$WFPR" ed25519 sign never &&
	WSUB=$(G --homedir "$WHOME" --with-colons --list-keys "$WFPR" | awk -F: '$1 == "fpr" {f = $10} END {print f}') &&
	G --homedir "$WHOME" --armor --export "$WFPR" >"$FX/rotated.asc" &&
	fx_seal db_pass 6 "$FX/db" "$WHOME" "$WSUB!" &&
	FX_MF_HOME=$WHOME FX_MF_FPR="$WSUB!" FX_MF_SIGNING_KEY=$WFPR fx_serve_obj v1/objects/db_pass "$S/db_pass@6" 6 &&
	fx_signing_key "$FX/rotated.asc" || t_bail "genuine subkey"
for engine in rnp gnupg; do
	t_ok "$engine: a new subkey bound by the pinned primary, the key fetched fresh: accepted" \
		env WALLET_OPENPGP=$engine "$E" --fetch db_pass -- sh -c 'cmp "$DB_PASS_FILE" "$1"' sh "$FX/db"
done
# what the impostor's subkey signs: the object and the manifest
fx_seal db_pass 7 "$FX/db" "$XHOME" "$XSUB!" &&
	FX_MF_HOME=$XHOME FX_MF_FPR="$XSUB!" FX_MF_SIGNING_KEY=$WFPR fx_serve_obj v1/objects/db_pass "$S/db_pass@7" 7 ||
	t_bail "forged object"
for engine in rnp gnupg; do
	for k in forged1 forged2; do
		fx_signing_key "$FX/$k.asc"
		WALLET_OPENPGP=$engine "$E" --fetch db_pass -- true >"$T_DIR/out" 2>&1
		rc=$?
		t_cond "$engine: a subkey $([ $k = forged1 ] && echo "bound by another primary" || echo "bound by no one") under the pinned key: refused" \
			"$rc:$(grep -c 'manifest: signature not good' "$T_DIR/out")" = 1:2
	done
	fx_signing_key "$FX/wallet.asc"
	WALLET_OPENPGP=$engine "$E" --fetch db_pass -- true >"$T_DIR/out" 2>&1
	rc=$?
	t_cond "$engine: the genuine key, and a subkey of another primary signed: refused" \
		"$rc:$(grep -c 'manifest: signature not good' "$T_DIR/out")" = 1:2
done
exit 0
