#!/bin/bash
# wallet-keygen gpg against the real gpg CLI: import, encrypt to the public key, decrypt with
# the secret key; passphrase protection; the throwaway GNUPGHOME and its agent are gone after.
. "$(dirname "$0")/../lib.sh"

command -v wallet-keygen >/dev/null || { t_fail "wallet-keygen is built" "not in $CW_BIN"; exit 1; }
command -v gpg >/dev/null || t_bail "no gpg (make deps)"
cd "$T_DIR" || exit 1
KG=wallet-keygen

# wallet-keygen makes its GNUPGHOME under $XDG_RUNTIME_DIR when that is a tmpfs: give it one of
# its own, so that we can check it is left empty.
RT=$(mktemp -d /dev/shm/cwkgrt.XXXXXX) || t_bail "no /dev/shm"
at_exit "rm -rf '$RT'"
export XDG_RUNTIME_DIR=$RT
# home VAR NAME: a fresh gpg home for the CLI side, its path into VAR; its agent is stopped at
# exit. Not through $(...): the stop registered in a subshell would be lost, and the agent left
# to notice its removed home on its own.
home() {
	mkdir -m 700 "$T_DIR/$2"
	at_exit "t_gpg_stop '$T_DIR/$2'"
	printf -v "$1" '%s' "$T_DIR/$2"
}
no_leftovers() {
	[ -z "$(ls -A "$RT")" ] && ! pgrep -f "gpg-agent --homedir $RT" >/dev/null
}

t_ok "gpg --help exits 0" $KG gpg --help
t_grep "gpg --help prints its usage" "Usage: wallet-keygen gpg" "$T_DIR/last.out"

# --- default: ed25519 + cv25519, no passphrase -----------------------------------------
t_ok "gpg --name app1" $KG gpg --out keys --name app1
t_grep "prints the fingerprint" "fingerprint " "$T_DIR/last.out"
fpr=$(sed -n 's/^fingerprint //p' "$T_DIR/last.out")
t_cond "public key written" -s keys/app1.pub.asc
t_grep "public key is armored" "BEGIN PGP PUBLIC KEY BLOCK" keys/app1.pub.asc
t_grep "secret key is armored" "BEGIN PGP PRIVATE KEY BLOCK" keys/app1.sec.asc
t_cond "secret key is 0600" "$(stat -c %a keys/app1.sec.asc)" = 600
t_cond "new dir is 0700" "$(stat -c %a keys)" = 700
t_ok "throwaway GNUPGHOME removed and its agent stopped" no_leftovers

home A pubonly
home B secret
t_ok "gpg imports the public key" gpg --homedir "$A" --batch --import keys/app1.pub.asc
t_ok "gpg imports the secret key" gpg --homedir "$B" --batch --import keys/app1.sec.asc
gpg --homedir "$B" --batch --with-colons -K >klist.txt 2>&1
t_cond "primary: ed25519" "$(awk -F: '/^sec/ {print $3 "/" $4 "/" $17}' klist.txt)" = "255/22/ed25519"
t_cond "primary fingerprint is the one printed" "$(awk -F: '/^fpr/ {print $10; exit}' klist.txt)" = "$fpr"
t_cond "primary has no expiry" -z "$(awk -F: '/^sec/ {print $7}' klist.txt)"
t_cond "primary usage is sign, certify" "$(awk -F: '/^sec/ {print $12}' klist.txt)" = "scESC"
t_cond "subkey: cv25519 for encryption" "$(awk -F: '/^ssb/ {print $4 "/" $12 "/" $17}' klist.txt)" = "18/e/cv25519"
t_cond "user ID is the name" "$(awk -F: '/^uid/ {print $10}' klist.txt)" = "app1"
printf 'the secret message\n' >msg.txt
t_ok "gpg CLI encrypts to the public key" gpg --homedir "$A" --batch --trust-model always \
	-e -r "$fpr" -o msg.gpg msg.txt
t_ok "the secret key decrypts it without a passphrase" gpg --homedir "$B" --batch \
	--pinentry-mode error -d -o msg.out msg.gpg
t_ok "...to the same bytes" cmp -s msg.txt msg.out
t_exit "the public-only home cannot decrypt" 2 gpg --homedir "$A" --batch -d msg.gpg
gpg --homedir "$A" --batch --trust-model always -s -u "$fpr" -o /dev/null msg.txt >/dev/null 2>&1
t_ok "the secret key signs, gpg verifies with the public key" sh -c \
	"gpg --homedir '$B' --batch --pinentry-mode error -s -o msg.sig msg.txt && gpg --homedir '$A' --batch --verify msg.sig"

# --- refusal, --force ------------------------------------------------------------------
sum=$(sha256sum <keys/app1.sec.asc)
t_exit "gpg over existing keys is refused" 1 $KG gpg --out keys --name app1
t_cond "...with one line on stderr" "$(wc -l <"$T_DIR/last.out")" -eq 1
t_cond "...keys unchanged" "$(sha256sum <keys/app1.sec.asc)" = "$sum"
t_ok "gpg --force replaces them" $KG gpg --out keys --name app1 --force
t_cond "...with a new key" "$(sha256sum <keys/app1.sec.asc)" != "$sum"
t_cond "...no temp files left" "$(ls -A keys | tr '\n' ' ')" = "app1.pub.asc app1.sec.asc "

# --- passphrase ------------------------------------------------------------------------
printf 'correct horse battery\n' >pass.txt
t_ok "gpg --passphrase-file" $KG gpg --out pkeys --name app2 --passphrase-file pass.txt
home C protected
t_ok "gpg imports the protected secret key" gpg --homedir "$C" --batch --pinentry-mode loopback \
	--passphrase-file pass.txt --import pkeys/app2.sec.asc pkeys/app2.pub.asc
gpg --homedir "$C" --batch --trust-model always -e -r app2 -o p.gpg msg.txt >/dev/null 2>&1
t_exit "without the passphrase it does not decrypt" 2 gpg --homedir "$C" --batch \
	--pinentry-mode error -d p.gpg
t_exit "with a wrong passphrase it does not decrypt" 2 gpg --homedir "$C" --batch \
	--pinentry-mode loopback --passphrase wrong -d p.gpg
t_ok "with the passphrase it decrypts" gpg --homedir "$C" --batch --pinentry-mode loopback \
	--passphrase-file pass.txt -d -o p.out p.gpg
t_ok "...to the same bytes" cmp -s msg.txt p.out
t_ok "no leftovers after the passphrase run" no_leftovers

# --- rsa4096 ---------------------------------------------------------------------------
t_ok "gpg --algo rsa4096" $KG gpg --out rkeys --name app3 --algo rsa4096
home D rsa
gpg --homedir "$D" --batch --import rkeys/app3.sec.asc >/dev/null 2>&1
gpg --homedir "$D" --batch --with-colons -K >rlist.txt 2>&1
t_cond "primary: rsa4096, sign+certify" "$(awk -F: '/^sec/ {print $3 "/" $4 "/" $12}' rlist.txt)" = "4096/1/scESC"
t_cond "subkey: rsa4096 for encryption" "$(awk -F: '/^ssb/ {print $3 "/" $4 "/" $12}' rlist.txt)" = "4096/1/e"
gpg --homedir "$D" --batch --trust-model always -e -r app3 -o r.gpg msg.txt >/dev/null 2>&1
t_ok "rsa4096: encrypt and decrypt" sh -c "gpg --homedir '$D' --batch --pinentry-mode error -d r.gpg | cmp -s - msg.txt"

# --- bad input -------------------------------------------------------------------------
. "$CW_ROOT/spec/system/keygen_fixture.bash"
: >empty.txt
bad "gpg without --name: exit 2" 2 gpg --out bad
bad "gpg without --out: exit 2" 2 gpg --name app1
bad "gpg bad --algo: exit 2" 2 gpg --out bad --name app1 --algo dsa
bad "gpg bad --name: exit 2" 2 gpg --out bad --name 'app 1'
bad "gpg --name with a slash: exit 2" 2 gpg --out bad --name ../evil
bad "gpg unknown flag: exit 2" 2 gpg --out bad --name app1 --expire 1y
bad "gpg missing passphrase file: exit 1" 1 gpg --out bad --name app1 --passphrase-file nonexistent
bad "gpg empty passphrase file: exit 1" 1 gpg --out bad --name app1 --passphrase-file empty.txt
t_ok "no leftovers after the failures" no_leftovers
