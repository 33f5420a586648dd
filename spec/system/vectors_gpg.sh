#!/bin/bash
# The committed known-answer vectors (spec/vectors) against the plain gpg CLI, the fallback
# docs/FORMAT.md promises: with the client's secret key, `gpg --decrypt` of every positive
# object gives exactly the expected plaintext, signed by the wallet key with the object's name
# and version as notations; `gpg --verify` of each detached signature succeeds with the wallet
# key, and fails for the tampered and forged ones.
# CW_VECTORS=DIR checks another set instead (the output of spec/vectors/make-vectors.sh).
# Then the format-2 set (spec/vectors/v2, or CW_VECTORS_V2=DIR: the output of
# make-vectors-v2.sh): each object decrypts to its plaintext, its detached signature verifies
# and carries the name, version and created notations; app1's manifest shows the notation
# manifest@containerwallet = app1 and JSON that names app1 and lists the objects.
. "$(dirname "$0")/../lib.sh"

command -v gpg >/dev/null || t_bail "no gpg (make deps)"
V=${CW_VECTORS:-$CW_ROOT/spec/vectors}
[ -s "$V/vectors.txt" ] || t_bail "no $V/vectors.txt"
WFPR=$(cat "$V/keys/wallet.fpr")

# H: the client's home (its secret key, the wallet's public key); HX: the wallet's and the
# forger's public keys only. Their gpg-agents are stopped, and waited for, at the end.
H=$T_DIR/gnupg
HX=$T_DIR/gnupg-forger
mkdir -m 0700 "$H" "$HX"
export GNUPGHOME=$H # gpg must never touch a real home
XFPR=$(gpg --batch --with-colons --show-keys "$V/keys/forger.pub.asc" 2>/dev/null |
	awk -F: '/^fpr/ {print $10; exit}')
agents_gone() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' 2>/dev/null <"$f" | grep -q -e "gpg-agent.*--homedir $H " \
			-e "gpg-agent.*--homedir $HX " || continue
		[ "$(awk '{print $3}' "${f%/cmdline}/stat" 2>/dev/null)" = Z ] && continue
		return 1
	done
	return 0
}
stop_agents() {
	gpgconf --homedir "$H" --kill all && gpgconf --homedir "$HX" --kill all &&
		wait_until 10 agents_gone
}
at_exit "wait_until 10 agents_gone" # registered first: runs last
at_exit "gpgconf --homedir '$H' --kill all; gpgconf --homedir '$HX' --kill all"

G() { gpg --batch --no-tty --pinentry-mode error --trust-model always "$@"; }
t_ok "gpg imports the client's secret key" G --homedir "$H" --import "$V/keys/client.sec.asc"
t_ok "gpg imports the wallet's public key" G --homedir "$H" --import "$V/keys/wallet.pub.asc"
t_cond "the wallet key has the pinned fingerprint" \
	"$(G --homedir "$H" --with-colons -k "$WFPR" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')" = "$WFPR"
t_ok "the other home imports the wallet's and the forger's public keys" \
	G --homedir "$HX" --import "$V/keys/wallet.pub.asc" "$V/keys/forger.pub.asc"

# signed_by STATUSFILE FPR: a good signature whose primary key is FPR (VALIDSIG's last field)
signed_by() { awk -v f="$2" '$2 == "VALIDSIG" && $NF == f {ok = 1} END {exit !ok}' "$1"; }
# notation STATUSFILE NAME: the value of a notation
notation() {
	awk -v n="$2" '$2 == "NOTATION_NAME" {cur = $3} $2 == "NOTATION_DATA" && cur == n {print $3; cur = ""}' "$1"
}

# --- positive objects --------------------------------------------------------------------
# every object of a positive case once: dir, name, signed version, plaintext file
n=0
while read -r id dir name served _ _ expect plain; do
	case "$id" in '' | '#'*) continue ;; esac
	[ "$expect" = OK ] || continue
	grep -qx "$dir" "$T_DIR/seen" 2>/dev/null && continue
	echo "$dir" >>"$T_DIR/seen"
	n=$((n + 1))
	out=$T_DIR/$n.out st=$T_DIR/$n.status
	t_ok "$dir: gpg --decrypt succeeds" G --homedir "$H" --status-file "$st" -o "$out" \
		-d "$V/$dir/object.gpg"
	t_ok "$dir: the plaintext is exactly $plain" cmp "$V/$plain" "$out"
	t_cond "$dir: plaintext sha256" "$(sha256sum <"$out" | cut -d' ' -f1)" = \
		"$(sha256sum <"$V/$plain" | cut -d' ' -f1)"
	t_ok "$dir: the inner signature is good and by the wallet key" signed_by "$st" "$WFPR"
	t_cond "$dir: notation name@containerwallet" "$(notation "$st" name@containerwallet)" = "$name"
	t_cond "$dir: notation version@containerwallet" \
		"$(notation "$st" version@containerwallet)" = "$served"
	t_ok "$dir: gpg --verify of the detached signature succeeds" G --homedir "$H" \
		--status-file "$st.sig" --verify "$V/$dir/object.sig" "$V/$dir/object.gpg"
	t_ok "$dir: ...made by the wallet key" signed_by "$st.sig" "$WFPR"
done <"$V/vectors.txt"
t_cond "the positive objects are the five of README.md" "$n" -eq 5

# --- negative objects --------------------------------------------------------------------
t_exit "tampered: gpg --verify fails (bad signature)" 1 G --homedir "$H" \
	--status-file "$T_DIR/t.status" --verify "$V/negative/tampered/object.sig" \
	"$V/negative/tampered/object.gpg"
t_grep "tampered: gpg reports BADSIG" "[GNUPG:] BADSIG" "$T_DIR/t.status"
t_ok "tampered: the original bytes still verify with that signature" G --homedir "$H" \
	--verify "$V/negative/tampered/object.sig" "$V/objects/db_pass/v1/object.gpg"

# without the forger's key gpg cannot check it at all (exit 2); with it, the signature is good
# but not the wallet's
t_exit "forged: gpg --verify fails with the wallet key alone" 2 G --homedir "$H" \
	--status-file "$T_DIR/f.status" --verify "$V/negative/forged/object.sig" \
	"$V/negative/forged/object.gpg"
t_grep "forged: made by another key (NO_PUBKEY)" "[GNUPG:] NO_PUBKEY" "$T_DIR/f.status"
G --homedir "$HX" --status-file "$T_DIR/fx.status" --verify "$V/negative/forged/object.sig" \
	"$V/negative/forged/object.gpg" >/dev/null 2>&1
t_ok "forged: with the forger's key known, the signature is the forger's" \
	signed_by "$T_DIR/fx.status" "$XFPR"
t_exit "forged: ...and not the wallet's" 1 signed_by "$T_DIR/fx.status" "$WFPR"

# inner-forged: the detached signature is the wallet's, the inner one is not
t_ok "inner-forged: the detached signature verifies with the wallet key" G --homedir "$H" \
	--status-file "$T_DIR/i.status" --verify "$V/negative/inner-forged/object.sig" \
	"$V/negative/inner-forged/object.gpg"
t_ok "inner-forged: ...made by the wallet key" signed_by "$T_DIR/i.status" "$WFPR"
G --homedir "$H" --status-file "$T_DIR/id.status" -o "$T_DIR/id.out" \
	-d "$V/negative/inner-forged/object.gpg" >/dev/null 2>&1
t_grep "inner-forged: the inner signature is by an unknown key" "[GNUPG:] NO_PUBKEY" \
	"$T_DIR/id.status"
t_exit "inner-forged: ...not by the wallet key" 1 signed_by "$T_DIR/id.status" "$WFPR"

# --- format 2 (spec/vectors/v2) ----------------------------------------------------------
# Its own client key and wallet key, imported into the same home (gpg picks by key id).
V2=${CW_VECTORS_V2:-$CW_ROOT/spec/vectors/v2}
W2FPR=$(cat "$V2/keys/wallet.fpr")
t_ok "v2: gpg imports the client's secret key" G --homedir "$H" --import "$V2/keys/client.sec.asc"
t_ok "v2: gpg imports the wallet's public key" G --homedir "$H" --import "$V2/keys/wallet.pub.asc"
n=0
for dd in "$V2"/objects/*/v*; do
	[ -d "$dd" ] || continue
	d=${dd#"$V2"/}
	n=$((n + 1))
	file=${d#objects/}
	file=${file%/v*}
	name=${file//@//} # the file name maps '/' to '@'
	ver=${d##*/v}
	out=$T_DIR/v2.$n.out st=$T_DIR/v2.$n.status
	t_ok "v2 $d: gpg --decrypt succeeds" G --homedir "$H" --status-file "$st" -o "$out" \
		-d "$V2/$d/object.gpg"
	t_ok "v2 $d: the plaintext is exactly plain/$file" cmp "$V2/plain/$file" "$out"
	t_ok "v2 $d: the inner signature is good and by the wallet key" signed_by "$st" "$W2FPR"
	t_cond "v2 $d: inner notation name@containerwallet" \
		"$(notation "$st" name@containerwallet)" = "$name"
	t_ok "v2 $d: gpg --verify of the detached signature succeeds" G --homedir "$H" \
		--status-file "$st.sig" --verify "$V2/$d/object.sig" "$V2/$d/object.gpg"
	t_ok "v2 $d: ...made by the wallet key" signed_by "$st.sig" "$W2FPR"
	t_grep "v2 $d: the detached signature has NOTATION_NAME name@containerwallet" \
		"[GNUPG:] NOTATION_NAME name@containerwallet" "$st.sig"
	t_cond "v2 $d: ...whose NOTATION_DATA is the name" \
		"$(notation "$st.sig" name@containerwallet)" = "$name"
	t_cond "v2 $d: ...and version@containerwallet the version" \
		"$(notation "$st.sig" version@containerwallet)" = "$ver"
	t_cond "v2 $d: ...and a created@containerwallet notation" \
		-n "$(notation "$st.sig" created@containerwallet)"
done
t_cond "v2: the objects are the two of README.md" "$n" -eq 2
# DIR/object.gpg (the sealed bytes) sha256, for the manifest's list
sha() { sha256sum <"$V2/$1/object.gpg" | cut -d' ' -f1; }
st=$T_DIR/v2.mf.status
t_ok "v2 manifests/app1: gpg --decrypt succeeds" G --homedir "$H" --status-file "$st" \
	-o "$T_DIR/v2.mf.json" -d "$V2/manifests/app1"
t_ok "v2 manifests/app1: signed by the wallet key" signed_by "$st" "$W2FPR"
t_cond "v2 manifests/app1: NOTATION_DATA app1 (manifest@containerwallet)" \
	"$(notation "$st" manifest@containerwallet)" = app1
t_grep "v2 manifests/app1: its JSON names app1" '"client":"app1"' "$T_DIR/v2.mf.json"
t_grep "v2 manifests/app1: ...lists db_pass with its sha256" \
	"\"name\":\"db_pass\",\"version\":1,\"size\":$(stat -c %s "$V2/objects/db_pass/v1/object.gpg"),\"sha256\":\"$(sha objects/db_pass/v1)\"" \
	"$T_DIR/v2.mf.json"
t_grep "v2 manifests/app1: ...and app1/api_key with its sha256" \
	"\"name\":\"app1/api_key\",\"version\":1,\"size\":$(stat -c %s "$V2/objects/app1@api_key/v1/object.gpg"),\"sha256\":\"$(sha objects/app1@api_key/v1)\"" \
	"$T_DIR/v2.mf.json"
G --homedir "$H" --status-file "$T_DIR/v2.app2.status" -o "$T_DIR/v2.app2.json" \
	-d "$V2/negative/manifest-app2" >/dev/null 2>&1
t_cond "v2 negative/manifest-app2: another client's (notation app2)" \
	"$(notation "$T_DIR/v2.app2.status" manifest@containerwallet)" = app2
t_exit "v2 negative/manifest-flipped: gpg --decrypt fails (bad signature)" 1 G --homedir "$H" \
	--status-file "$T_DIR/v2.flip.status" -o "$T_DIR/v2.flip.json" \
	-d "$V2/negative/manifest-flipped"
t_grep "v2 negative/manifest-flipped: gpg reports BADSIG" "[GNUPG:] BADSIG" "$T_DIR/v2.flip.status"

t_ok "the gpg-agents are stopped and gone" stop_agents
