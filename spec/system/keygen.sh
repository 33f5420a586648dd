#!/bin/bash
# wallet-keygen ca/server/client against real peers: openssl verify, x509, s_server/s_client.
. "$(dirname "$0")/../lib.sh"

command -v wallet-keygen >/dev/null || { t_fail "wallet-keygen is built" "not in $CW_BIN"; exit 1; }
cd "$T_DIR" || exit 1
KG=wallet-keygen
. "$CW_ROOT/spec/system/keygen_fixture.bash"

# x509 FILE: the text form, for greps
x509() { openssl x509 -in "$1" -noout -text >"$T_DIR/x.txt" 2>&1; }
mode_of() { stat -c %a "$1"; }
# days between notBefore and notAfter of a certificate
days_of() {
	local nb na
	nb=$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)
	na=$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)
	echo $(( ($(date -ud "$na" +%s) - $(date -ud "$nb" +%s)) / 86400 ))
}
# bits of the (positive) serial number
serial_bits() {
	local s b d
	s=$(openssl x509 -in "$1" -noout -serial | cut -d= -f2 | sed 's/^0*//')
	case "$s" in -*|'') echo 0; return ;; esac
	d=$((16#${s:0:1}))
	b=$(( (${#s} - 1) * 4 ))
	while [ "$d" -gt 0 ]; do b=$((b + 1)); d=$((d >> 1)); done
	echo "$b"
}

# --- help ------------------------------------------------------------------------------
t_ok "wallet-keygen --help" $KG --help
t_grep "--help lists the commands" "server" "$T_DIR/last.out"
help_same ca server client

# --- ca --------------------------------------------------------------------------------
t_ok "ca with defaults" $KG ca --out pki/ca
t_cond "ca.crt written" -s pki/ca/ca.crt
t_cond "ca.key is 0600" "$(mode_of pki/ca/ca.key)" = 600
t_cond "new CA dir is 0700" "$(mode_of pki/ca)" = 700
t_cond "new parent dir is 0700" "$(mode_of pki)" = 700
x509 pki/ca/ca.crt
t_grep "CA: basicConstraints critical" "X509v3 Basic Constraints: critical" x.txt
t_grep "CA: CA:TRUE" "CA:TRUE" x.txt
t_grep "CA: keyUsage keyCertSign, cRLSign" "Certificate Sign, CRL Sign" x.txt
t_grep "CA: subject key identifier" "X509v3 Subject Key Identifier" x.txt
t_grep "CA: default subject" "Subject: CN = containerwallet CA" x.txt
t_grep "CA: P-256 key" "NIST CURVE: P-256" x.txt
t_grep "CA: ECDSA-SHA256" "ecdsa-with-SHA256" x.txt
t_cond "CA: valid 10 years" "$(days_of pki/ca/ca.crt)" -eq 3650
t_cond "CA: serial >= 64 bits" "$(serial_bits pki/ca/ca.crt)" -ge 64
t_ok "CA: openssl verify accepts the self-signed CA" openssl verify -x509_strict -CAfile pki/ca/ca.crt pki/ca/ca.crt

# --- server ----------------------------------------------------------------------------
t_ok "server with defaults" $KG server --ca pki/ca --out pki/wallet --cn wallet
t_cond "server.key is 0600" "$(mode_of pki/wallet/server.key)" = 600
t_ok "server dir has a copy of ca.crt" cmp -s pki/ca/ca.crt pki/wallet/ca.crt
t_ok "openssl verify accepts the server cert (x509_strict, sslserver)" \
	openssl verify -x509_strict -purpose sslserver -CAfile pki/ca/ca.crt pki/wallet/server.crt
t_exit "the server cert is not a client cert (EKU)" 2 \
	openssl verify -purpose sslclient -CAfile pki/ca/ca.crt pki/wallet/server.crt
x509 pki/wallet/server.crt
t_grep "server: EKU serverAuth" "TLS Web Server Authentication" x.txt
t_nogrep "server: no clientAuth" "TLS Web Client Authentication" x.txt
t_grep "server: default SANs + CN" "DNS:localhost, IP Address:127.0.0.1, DNS:wallet" x.txt
t_grep "server: keyUsage digitalSignature" "Digital Signature" x.txt
t_grep "server: authority key identifier" "X509v3 Authority Key Identifier" x.txt
t_grep "server: CA:FALSE" "CA:FALSE" x.txt
t_cond "server: valid 825 days" "$(days_of pki/wallet/server.crt)" -eq 825
t_cond "server: serial >= 64 bits" "$(serial_bits pki/wallet/server.crt)" -ge 64

t_ok "server with --san, --key rsa3072, --days 30" $KG server --ca pki/ca --out pki/w2 \
	--cn wallet.internal --san DNS:w.example,IP:10.9.8.7,IP:::1 --key rsa3072 --days 30
x509 pki/w2/server.crt
t_grep "server: SANs given + CN" \
	"DNS:w.example, IP Address:10.9.8.7, IP Address:0:0:0:0:0:0:0:1, DNS:wallet.internal" x.txt
t_grep "server: RSA 3072 key" "Public-Key: (3072 bit)" x.txt
t_grep "server: RSA key has keyEncipherment" "Digital Signature, Key Encipherment" x.txt
t_cond "server: valid 30 days" "$(days_of pki/w2/server.crt)" -eq 30
t_ok "server: RSA leaf verifies" openssl verify -x509_strict -CAfile pki/ca/ca.crt pki/w2/server.crt

# --- client ----------------------------------------------------------------------------
t_ok "client app1" $KG client --ca pki/ca --out pki/app1 --cn app1
t_cond "tls.key is 0600" "$(mode_of pki/app1/tls.key)" = 600
t_ok "client dir has a copy of ca.crt" cmp -s pki/ca/ca.crt pki/app1/ca.crt
t_ok "openssl verify accepts the client cert (x509_strict, sslclient)" \
	openssl verify -x509_strict -purpose sslclient -CAfile pki/ca/ca.crt pki/app1/tls.crt
x509 pki/app1/tls.crt
t_grep "client: subject CN = client name" "Subject: CN = app1" x.txt
t_grep "client: EKU clientAuth" "TLS Web Client Authentication" x.txt
t_nogrep "client: no SAN" "Subject Alternative Name" x.txt
t_cond "client: valid 825 days" "$(days_of pki/app1/tls.crt)" -eq 825
t_cond "client: serial >= 64 bits" "$(serial_bits pki/app1/tls.crt)" -ge 64
s1=$(openssl x509 -in pki/app1/tls.crt -noout -serial)
s2=$(openssl x509 -in pki/wallet/server.crt -noout -serial)
t_cond "serials differ" "$s1" != "$s2"

t_ok "client with --key ec384" $KG client --ca pki/ca --out pki/app2 --cn app2 --key ec384
x509 pki/app2/tls.crt
t_grep "client: P-384 key" "NIST CURVE: P-384" x.txt
t_ok "client with --key rsa4096 under an ec384 CA" sh -c \
	"$KG ca --out pki/ca384 --key ec384 >/dev/null && $KG client --ca pki/ca384 --out pki/app3 --cn app3 --key rsa4096"
x509 pki/app3/tls.crt
t_grep "client: RSA 4096 key" "Public-Key: (4096 bit)" x.txt
t_ok "client under the ec384 CA verifies" openssl verify -CAfile pki/ca384/ca.crt pki/app3/tls.crt
t_exit "...and not under another CA" 2 openssl verify -CAfile pki/ca/ca.crt pki/app3/tls.crt

# every private key is valid and belongs to its certificate
key_matches() { openssl pkey -in "$2" -noout -check >/dev/null 2>&1 &&
	[ "$(openssl pkey -in "$2" -pubout)" = "$(openssl x509 -in "$1" -noout -pubkey)" ]; }
for p in pki/ca/ca pki/wallet/server pki/w2/server pki/app1/tls pki/app2/tls pki/app3/tls; do
	c=$p.crt k=$p.key
	t_ok "$k is valid and matches $c" key_matches "$c" "$k"
done

# --- mutual TLS between the generated server and client ---------------------------------
port=$(pick_port)
openssl s_server -accept "127.0.0.1:$port" -cert pki/wallet/server.crt -key pki/wallet/server.key \
	-CAfile pki/ca/ca.crt -Verify 1 -verify_return_error -www -quiet >s_server.log 2>&1 </dev/null &
srv=$!
at_exit "kill $srv"
t_ok "s_server is listening" wait_until 10 port_open "$port"
get() { printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -connect "127.0.0.1:$port" -quiet \
	-CAfile pki/ca/ca.crt -verify_return_error "$@" 2>&1; }
get -servername wallet -verify_hostname wallet -cert pki/app1/tls.crt -key pki/app1/tls.key >c1.log
t_grep "mTLS handshake with the client cert completes (TLS 1.3)" "HTTP/1.0 200 ok" c1.log
t_grep "server saw the client certificate" "Subject: CN=app1" c1.log
get -tls1_2 -servername localhost -verify_hostname localhost -cert pki/app1/tls.crt \
	-key pki/app1/tls.key >c2.log
t_grep "mTLS handshake with the client cert completes (TLS 1.2)" "HTTP/1.0 200 ok" c2.log
get -verify_ip 127.0.0.1 >c3.log
t_nogrep "handshake without a client cert is refused (TLS 1.3)" "HTTP/1.0 200" c3.log
t_grep "...with alert certificate required" "certificate required" c3.log
get -tls1_2 >c4.log
t_nogrep "handshake without a client cert is refused (TLS 1.2)" "HTTP/1.0 200" c4.log
get -cert pki/app3/tls.crt -key pki/app3/tls.key >c5.log
t_nogrep "a client cert from another CA is refused" "HTTP/1.0 200" c5.log
get -cert pki/app1/tls.crt -key pki/app1/tls.key >c6.log
t_grep "the server still answers afterwards" "HTTP/1.0 200 ok" c6.log

# --- never overwrite without --force ---------------------------------------------------
sum_before=$(cat pki/ca/ca.crt pki/ca/ca.key | sha256sum)
t_exit "ca over an existing CA is refused" 1 $KG ca --out pki/ca
t_cond "...with one line on stderr" "$(wc -l <"$T_DIR/last.out")" -eq 1
t_grep "...naming the file" "already exists" "$T_DIR/last.out"
t_cond "...and the CA is unchanged" "$(cat pki/ca/ca.crt pki/ca/ca.key | sha256sum)" = "$sum_before"
t_exit "client over an existing client is refused" 1 $KG client --ca pki/ca --out pki/app1 --cn app1
t_ok "ca --force replaces it" $KG ca --out pki/ca --force
t_cond "...with a new CA" "$(cat pki/ca/ca.crt pki/ca/ca.key | sha256sum)" != "$sum_before"
t_cond "...key still 0600" "$(mode_of pki/ca/ca.key)" = 600
t_cond "...no temp files left" "$(ls -A pki/ca | tr '\n' ' ')" = "ca.crt ca.key "
t_ok "client --force re-issues under the new CA" $KG client --ca pki/ca --out pki/app1 --cn app1 --force
t_ok "...and it verifies against the new CA" openssl verify -CAfile pki/ca/ca.crt pki/app1/tls.crt

# --- bad input: exit status, exactly one line on stderr, nothing written ---------------
bad "no command: exit 2" 2
bad "unknown command: exit 2" 2 frobnicate --out bad
bad "unknown flag: exit 2" 2 ca --out bad --frob
bad "unknown short flag: exit 2" 2 ca --out bad -x
bad "flag without its value: exit 2" 2 ca --out
bad "flag given twice: exit 2" 2 ca --out bad --out bad
bad "positional argument: exit 2" 2 ca --out bad extra
bad "ca without --out: exit 2" 2 ca
bad "bad --days 0: exit 2" 2 ca --out bad --days 0
bad "bad --days abc: exit 2" 2 ca --out bad --days abc
bad "bad --days 36501: exit 2" 2 ca --out bad --days 36501
bad "bad --key: exit 2" 2 ca --out bad --key rsa1024
bad "bad CA --cn: exit 2" 2 ca --out bad --cn 'x,O=evil'
bad "missing CA dir: exit 1" 1 server --ca nonexistent --out bad --cn wallet
bad "CA dir without ca.key: exit 1" 1 client --ca pki/wallet --out bad --cn app1
bad "bad SAN type: exit 2" 2 server --ca pki/ca --out bad --cn wallet --san URI:https://x
bad "bad SAN IP: exit 2" 2 server --ca pki/ca --out bad --cn wallet --san IP:1.2.3.400
bad "bad SAN DNS: exit 2" 2 server --ca pki/ca --out bad --cn wallet --san DNS:a_b.example
bad "empty SAN entry: exit 2" 2 server --ca pki/ca --out bad --cn wallet --san DNS:a,,IP:1.2.3.4
bad "bad server CN: exit 2" 2 server --ca pki/ca --out bad --cn 'wallet server'
bad "server without --cn: exit 2" 2 server --ca pki/ca --out bad
bad "invalid client name a/b: exit 2" 2 client --ca pki/ca --out bad --cn a/b
bad "invalid client name '..': exit 2" 2 client --ca pki/ca --out bad --cn ..
bad "client name with a newline: still one line" 2 client --ca pki/ca --out bad --cn "$(printf 'a\nb')"
bad "--san on client: exit 2" 2 client --ca pki/ca --out bad --cn app1 --san DNS:x
bad "bad --days on client: exit 2" 2 client --ca pki/ca --out bad --cn app1 --days -5
printf 'not a key\n' >notakey
mkdir -p brokenca && cp pki/ca/ca.crt brokenca/ && cp notakey brokenca/ca.key
bad "unreadable CA key: exit 1" 1 server --ca brokenca --out bad --cn wallet
cp pki/ca384/ca.key brokenca/ca.key
bad "CA key of another CA: exit 1" 1 server --ca brokenca --out bad --cn wallet
t_grep "...says the key does not belong" "does not belong" bad.err
cp pki/app1/tls.crt brokenca/ca.crt && cp pki/app1/tls.key brokenca/ca.key
bad "a leaf as CA: exit 1" 1 client --ca brokenca --out bad --cn app9
t_grep "...says it is not a CA" "not a CA" bad.err
