#!/bin/bash
# wallet-keygen init: the whole tree, checked with openssl, s_server/s_client and the gpg CLI;
# refusal of an existing directory, --force, and all-or-nothing on failure.
. "$(dirname "$0")/../lib.sh"

command -v wallet-keygen >/dev/null || { t_fail "wallet-keygen is built" "not in $CW_BIN"; exit 1; }
cd "$T_DIR" || exit 1
KG=wallet-keygen
RT=$(mktemp -d /dev/shm/cwkgrt.XXXXXX) || t_bail "no /dev/shm"
at_exit "rm -rf '$RT'"
export XDG_RUNTIME_DIR=$RT

# tree DIR: every path with its mode, sorted, and a checksum of all contents
tree() { (cd "$1" && find . -printf '%m %p\n' | sort && find . -type f -print0 | sort -z | xargs -0 cat | sha256sum); }

t_ok "init --help exits 0" $KG init --help
t_grep "init --help prints its usage" "Usage: wallet-keygen init" "$T_DIR/last.out"
t_ok "'wallet-keygen --help' lists every command" sh -c \
	"$KG --help | grep -q '^  ca ' && $KG --help | grep -q '^  server ' && $KG --help | grep -q '^  client ' && $KG --help | grep -q '^  gpg ' && $KG --help | grep -q '^  init '"

# --- defaults --------------------------------------------------------------------------
t_ok "init with defaults" $KG init --out dep
cat >want.txt <<'W'
700 .
700 ./ca
644 ./ca/ca.crt
600 ./ca/ca.key
700 ./clients
700 ./clients/app1
644 ./clients/app1/ca.crt
644 ./clients/app1/gpg.pub.asc
600 ./clients/app1/gpg.sec.asc
644 ./clients/app1/tls.crt
600 ./clients/app1/tls.key
700 ./wallet
644 ./wallet/ca.crt
644 ./wallet/server.crt
600 ./wallet/server.key
W
sort -o want.txt want.txt
(cd dep && find . -printf '%m %p\n' | sort) >got.txt
t_ok "exactly the expected files and modes" diff -u want.txt got.txt
t_ok "server cert verifies" openssl verify -x509_strict -purpose sslserver -CAfile dep/ca/ca.crt dep/wallet/server.crt
t_ok "client cert verifies" openssl verify -x509_strict -purpose sslclient -CAfile dep/ca/ca.crt dep/clients/app1/tls.crt
t_ok "ca.crt copies are the CA" sh -c "cmp dep/ca/ca.crt dep/wallet/ca.crt && cmp dep/ca/ca.crt dep/clients/app1/ca.crt"
openssl x509 -in dep/wallet/server.crt -noout -text >srv.txt
t_grep "server CN wallet" "Subject: CN = wallet" srv.txt
t_grep "server default SANs" "DNS:localhost, IP Address:127.0.0.1, DNS:wallet" srv.txt
openssl x509 -in dep/clients/app1/tls.crt -noout -subject >cli.txt
t_grep "client CN app1" "CN = app1" cli.txt
t_cond "throwaway GNUPGHOMEs are gone" -z "$(ls -A "$RT")"

# gpg round trip with the client's keys
G=$T_DIR/g1
mkdir -m 700 "$G"
at_exit "t_gpg_stop '$G'"
gpg --homedir "$G" --batch --import dep/clients/app1/gpg.sec.asc >/dev/null 2>&1
gpg --homedir "$G" --batch --with-colons -k >k.txt 2>&1
t_cond "client gpg user ID is the client name" "$(awk -F: '/^uid/ {print $10}' k.txt)" = "app1"
printf 's3cret\n' >m.txt
t_ok "gpg CLI encrypts to the client's public key and its secret key decrypts" sh -c \
	"gpg --homedir '$G' --batch --trust-model always -e -r app1 -o m.gpg m.txt && gpg --homedir '$G' --batch --pinentry-mode error -d m.gpg | cmp -s - m.txt"

# mutual TLS between the wallet and app1 as made by init
port=$(pick_port)
openssl s_server -accept "127.0.0.1:$port" -cert dep/wallet/server.crt -key dep/wallet/server.key \
	-CAfile dep/wallet/ca.crt -Verify 1 -verify_return_error -www -quiet >s.log 2>&1 </dev/null &
srv=$!
at_exit "kill $srv"
t_ok "s_server is listening" wait_until 10 port_open "$port"
get() { printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -connect "127.0.0.1:$port" -quiet \
	-CAfile dep/clients/app1/ca.crt -verify_return_error -verify_hostname wallet "$@" 2>&1; }
get -cert dep/clients/app1/tls.crt -key dep/clients/app1/tls.key >c1.log
t_grep "mTLS handshake wallet <-> app1 completes" "HTTP/1.0 200 ok" c1.log
get >c2.log
t_nogrep "without the client cert it is refused" "HTTP/1.0 200" c2.log

# --- options ---------------------------------------------------------------------------
t_ok "init --server-cn --san --clients" $KG init --out dep2 --server-cn wallet.internal \
	--san DNS:w.example,IP:10.0.0.5 --clients app1,db-2,web.front
t_ok "every client has its five files" sh -c \
	'for c in app1 db-2 web.front; do for f in tls.crt tls.key ca.crt gpg.pub.asc gpg.sec.asc; do [ -s dep2/clients/$c/$f ] || exit 1; done; done'
t_cond "no other client dirs" "$(ls dep2/clients | tr '\n' ' ')" = "app1 db-2 web.front "
openssl x509 -in dep2/wallet/server.crt -noout -text >srv2.txt
t_grep "server SANs given + CN" "DNS:w.example, IP Address:10.0.0.5, DNS:wallet.internal" srv2.txt
openssl x509 -in dep2/clients/web.front/tls.crt -noout -subject >cli2.txt
t_grep "client CN web.front" "CN = web.front" cli2.txt
t_ok "clients of dep2 verify against dep2's CA" openssl verify -CAfile dep2/ca/ca.crt \
	dep2/clients/app1/tls.crt dep2/clients/db-2/tls.crt dep2/clients/web.front/tls.crt
t_exit "...and not against dep's CA" 2 openssl verify -CAfile dep/ca/ca.crt dep2/clients/app1/tls.crt
f1=$(gpg --with-colons --show-keys dep2/clients/app1/gpg.pub.asc 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
f2=$(gpg --with-colons --show-keys dep2/clients/db-2/gpg.pub.asc 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
t_cond "each client has its own gpg key" -n "$f1" -a "$f1" != "$f2"

# --- existing directory: refuse; --force replaces --------------------------------------
before=$(tree dep)
t_exit "init on an existing DIR is refused" 1 $KG init --out dep
t_cond "...with one line on stderr" "$(wc -l <"$T_DIR/last.out")" -eq 1
t_cond "...and nothing changed" "$(tree dep)" = "$before"
mkdir empty
t_exit "init on an existing empty DIR is refused too" 1 $KG init --out empty
echo keep >dep/notes.txt
t_ok "init --force" $KG init --out dep --force
t_cond "...made a new CA" "$(tree dep)" != "$before"
t_ok "...whose certs verify" openssl verify -CAfile dep/ca/ca.crt dep/wallet/server.crt dep/clients/app1/tls.crt
t_grep "...and kept other files" "keep" dep/notes.txt
t_cond "...and left no temp files" -z "$(find dep -name '.tmp-*')"
(cd dep && find . -printf '%m %p\n' | grep -v notes.txt | sort) >got2.txt
t_ok "...with the same files and modes" diff -u want.txt got2.txt

# --- failure half-way: nothing changes -------------------------------------------------
# clients/ is a regular file: ca/ and wallet/ are staged, then clients/app1/ cannot be made.
t_ok "init a tree to break" $KG init --out dep3
rm -rf dep3/wallet dep3/clients && echo x >dep3/clients
before=$(tree dep3)
t_exit "init --force fails half-way" 1 $KG init --out dep3 --force
t_cond "...with one line on stderr" "$(wc -l <"$T_DIR/last.out")" -eq 1
t_cond "...and nothing changed (old CA kept, no wallet/, no temp files)" "$(tree dep3)" = "$before"

# --- bad input -------------------------------------------------------------------------
. "$CW_ROOT/spec/system/keygen_fixture.bash"
bad "init without --out: exit 2" 2 init
bad "init unknown flag: exit 2" 2 init --out bad --days 5
bad "init duplicate client: exit 2" 2 init --out bad --clients app1,app1
bad "init invalid client name: exit 2" 2 init --out bad --clients app1,a/b
bad "init client name '..': exit 2" 2 init --out bad --clients ..
bad "init empty client entry: exit 2" 2 init --out bad --clients app1,,app2
bad "init bad --server-cn: exit 2" 2 init --out bad --server-cn 'my wallet'
bad "init bad --san: exit 2" 2 init --out bad --san IP:nope
t_cond "no throwaway GNUPGHOME left behind" -z "$(ls -A "$RT")"
