#!/bin/bash
# wallet-keygen renew and sign against real peers: openssl x509/verify/req/ca/asn1parse make and
# read the certificates and CSRs, `wallet serve` serves a renewed server certificate (seen with
# openssl s_client), curl fetches with a renewed client certificate and with a CSR-signed one.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

command -v wallet-keygen >/dev/null || { t_fail "wallet-keygen is built" "not in $CW_BIN"; exit 1; }
cd "$T_DIR" || exit 1
KG=wallet-keygen
. "$CW_ROOT/spec/system/keygen_fixture.bash"

KEYS=$T_DIR/keys
serve_keys "$KEYS" || t_bail "key material"
CA=$KEYS/ca

# what renew must keep: subject, the four extensions and the public key
profile() {
	openssl x509 -in "$1" -noout -subject -nameopt RFC2253 \
		-ext subjectAltName,keyUsage,extendedKeyUsage,basicConstraints 2>&1 &&
		openssl x509 -in "$1" -noout -pubkey
}
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
epoch() { date -ud "$(openssl x509 -in "$1" -noout "-$2" | cut -d= -f2)" +%s; }
days_of() { echo $(( ($(epoch "$1" enddate) - $(epoch "$1" startdate)) / 86400 )); }
key_matches() { [ "$(openssl pkey -in "$2" -pubout)" = "$(openssl x509 -in "$1" -noout -pubkey)" ]; }
x509() { openssl x509 -in "$1" -noout -text >"$T_DIR/x.txt" 2>&1; }
# openssl req -verify exits 0 either way: read what it says
csr_sig_ok() { openssl req -in "$1" -noout -verify 2>&1 | grep -q "self-signature verify OK"; }
clock_past() { [ "$(date +%s)" -gt "$1" ]; }

# --- help ------------------------------------------------------------------------------
t_ok "wallet-keygen --help" $KG --help
t_grep "--help lists renew" "renew" "$T_DIR/last.out"
t_grep "--help lists sign" "sign" "$T_DIR/last.out"
help_same renew sign

# --- renew the server certificate in place ---------------------------------------------
S=$KEYS/wallet/server.crt
cp "$S" server.old
chmod 0640 "$S"
profile "$S" >p.old
# The renewed certificate starts 5 minutes before it is made: wait until that is later than
# the old one's start, so that the new dates can differ.
t_ok "the clock moved past the old notBefore" wait_until 5 clock_past $(( $(epoch "$S" startdate) + 300 ))
t_ok "renew the server certificate in place" $KG renew --ca "$CA" --cert "$S"
t_grep "...says it replaced it" "replaced $S" "$T_DIR/last.out"
profile "$S" >p.new
t_ok "same subject, SANs, keyUsage, extendedKeyUsage, basicConstraints and public key" cmp p.old p.new
t_grep "...the SANs are there to compare" "DNS:localhost, IP Address:127.0.0.1, DNS:wallet" p.new
t_cond "new serial" "$(serial "$S")" != "$(serial server.old)"
t_cond "new notBefore" "$(epoch "$S" startdate)" -gt "$(epoch server.old startdate)"
t_cond "new notAfter" "$(epoch "$S" enddate)" -gt "$(epoch server.old enddate)"
t_cond "default validity: as long as the old one (825 days)" "$(days_of "$S")" -eq 825
t_ok "openssl verify accepts it (x509_strict, sslserver)" \
	openssl verify -x509_strict -purpose sslserver -CAfile "$CA/ca.crt" "$S"
t_ok "server.key still belongs to it" key_matches "$S" "$KEYS/wallet/server.key"
t_cond "its mode is kept (0640)" "$(stat -c %a "$S")" = 640
t_cond "no temp file left" "$(ls -A "$KEYS/wallet" | tr '\n' ' ')" = "ca.crt server.crt server.key "
x509 "$S"
t_grep "still signed with ECDSA-SHA256" "ecdsa-with-SHA256" x.txt
t_grep "new subject key identifier" "X509v3 Subject Key Identifier" x.txt
t_grep "authority key identifier of the CA" \
	"$(openssl x509 -in "$CA/ca.crt" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ')" x.txt

t_ok "renew --days 30 into a new file" $KG renew --ca "$CA" --cert "$S" --days 30 --out short/server.crt
t_grep "...says it created it" "created short/server.crt" "$T_DIR/last.out"
t_cond "...valid 30 days" "$(days_of short/server.crt)" -eq 30
t_cond "...with mode 0644" "$(stat -c %a short/server.crt)" = 644
profile short/server.crt >p.short
t_ok "...same subject, extensions and key" cmp p.old p.short

# --- wallet serve serves the renewed certificate, curl fetches with a renewed client one --
DATA=$T_DIR/data
export WALLET_DATA=$DATA
serve_data "$DATA" "$KEYS" || t_bail "data directory"
echo secret-one | wallet store one --to app1 >/dev/null
echo secret-two | wallet store two --to app2 >/dev/null
A1=$KEYS/clients/app1
cp "$A1/tls.crt" app1.old
t_ok "renew app1's client certificate in place" $KG renew --ca "$CA" --cert "$A1/tls.crt"
profile app1.old >p1.old
profile "$A1/tls.crt" >p1.new
t_ok "...same subject, extensions and key" cmp p1.old p1.new
t_cond "...new serial" "$(serial "$A1/tls.crt")" != "$(serial app1.old)"
t_ok "...openssl verify accepts it (sslclient)" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$CA/ca.crt" "$A1/tls.crt"

serve_start renew --tls-cert "$S" --tls-key "$KEYS/wallet/server.key" --tls-ca "$CA/ca.crt" ||
	t_bail "wallet serve did not start"
timeout 20 openssl s_client -connect "127.0.0.1:$SERVE_PORT" -CAfile "$CA/ca.crt" \
	-cert "$A1/tls.crt" -key "$A1/tls.key" -verify_return_error </dev/null >sc.out 2>&1
t_cond "s_client: wallet serve presents the renewed certificate (its new serial)" \
	"$(openssl x509 -in sc.out -noout -serial 2>/dev/null | cut -d= -f2)" = "$(serial "$S")"
t_grep "s_client: the chain verifies" "Verify return code: 0 (ok)" sc.out
code=$(cfetch "$A1" /v1/objects/one -o one.body -w '%{http_code}')
t_cond "curl with the renewed client certificate: 200" "$code" = 200
code=$(curl -s --cacert "$CA/ca.crt" --cert app1.old --key "$A1/tls.key" -o one.old \
	-w '%{http_code}' "https://127.0.0.1:$SERVE_PORT/v1/objects/one")
t_cond "curl with the old certificate of the same key: 200 as well" "$code" = 200
t_ok "...the same object" cmp one.body one.old

# --- sign: a client certificate for a CSR made where the key lives --------------------
mkdir -p app2
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out app2/tls.key 2>/dev/null
openssl req -new -key app2/tls.key -subj "/O=Evil Org/CN=app2" -out app2.csr \
	-addext basicConstraints=critical,CA:TRUE -addext subjectAltName=DNS:evil.example \
	-addext extendedKeyUsage=serverAuth,codeSigning 2>/dev/null
t_ok "openssl req made a CSR (with extensions it asks for)" csr_sig_ok app2.csr
t_ok "sign it" $KG sign --ca "$CA" --csr app2.csr --out app2/tls.crt
t_grep "...says it created the certificate" "created app2/tls.crt" "$T_DIR/last.out"
t_ok "openssl verify accepts it (x509_strict, sslclient)" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$CA/ca.crt" app2/tls.crt
t_exit "...and not as a server certificate" 2 \
	openssl verify -purpose sslserver -CAfile "$CA/ca.crt" app2/tls.crt
t_ok "...for the CSR's key" key_matches app2/tls.crt app2/tls.key
x509 app2/tls.crt
t_grep "subject is the CN only" "Subject: CN = app2" x.txt
t_grep "CA:FALSE (the CSR asked for CA:TRUE)" "CA:FALSE" x.txt
t_grep "EKU clientAuth" "TLS Web Client Authentication" x.txt
t_nogrep "no serverAuth (the CSR asked for it)" "TLS Web Server Authentication" x.txt
t_nogrep "no codeSigning (the CSR asked for it)" "Code Signing" x.txt
t_nogrep "no subjectAltName (the CSR asked for one)" "Subject Alternative Name" x.txt
t_grep "keyUsage digitalSignature, as 'client' makes it" "Digital Signature" x.txt
t_cond "valid 825 days by default" "$(days_of app2/tls.crt)" -eq 825
openssl x509 -in "$A1/tls.crt" -noout -ext basicConstraints,keyUsage,extendedKeyUsage >e.client
openssl x509 -in app2/tls.crt -noout -ext basicConstraints,keyUsage,extendedKeyUsage >e.signed
t_ok "the same extensions as a certificate of 'wallet-keygen client'" cmp e.client e.signed
code=$(cfetch "$T_DIR/app2" /v1/objects/two -o two.body -w '%{http_code}')
t_cond "curl with the CSR-signed certificate: 200" "$code" = 200
gpg_home app2
gpg --batch --homedir "$GH" --decrypt two.body >two.txt 2>/dev/null
t_cond "...app2's GPG key opens what was sealed to app2" "$(cat two.txt)" = secret-two
code=$(cfetch "$T_DIR/app2" /v1/objects/one -o /dev/null -w '%{http_code}')
t_cond "...but not app1's object: 404" "$code" = 404

for k in "EC -pkeyopt ec_paramgen_curve:P-384" "RSA -pkeyopt rsa_keygen_bits:3072"; do
	openssl genpkey -algorithm $k -out k.pem 2>/dev/null
	openssl req -new -key k.pem -subj /CN=app3 -out k.csr 2>/dev/null
	t_ok "sign a CSR with a ${k%% *} key (${k##*:})" $KG sign --ca "$CA" --csr k.csr --out k.crt --days 7 --force
	t_cond "...valid 7 days" "$(days_of k.crt)" -eq 7
	t_ok "...verifies" openssl verify -purpose sslclient -CAfile "$CA/ca.crt" k.crt
done

# --- renewing an expired certificate that openssl ca made ----------------------------
openssl_ca_conf "$T_DIR/oca" "basicConstraints = CA:FALSE" \
	"keyUsage = critical, digitalSignature, keyEncipherment" \
	"extendedKeyUsage = serverAuth, clientAuth" "subjectAltName = DNS:old.example, IP:10.1.2.3" \
	"nsComment = dropped on renewal" || t_bail "openssl ca configuration"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out old.key 2>/dev/null
openssl req -new -key old.key -subj "/O=Example/CN=old.example" -out old.csr 2>/dev/null
t_ok "openssl ca issues a certificate of 2020 under our CA" openssl ca -batch -config "$T_DIR/oca.cnf" \
	-cert "$CA/ca.crt" -keyfile "$CA/ca.key" -in old.csr -out old.crt -notext -extensions ext \
	-startdate 20200101000000Z -enddate 20210101000000Z
t_exit "...which is expired" 2 openssl verify -CAfile "$CA/ca.crt" old.crt
profile old.crt >po.old
t_ok "renew the expired certificate" $KG renew --ca "$CA" --cert old.crt
profile old.crt >po.new
t_ok "...same subject (O and CN), SANs, critical keyUsage, both EKUs, key" cmp po.old po.new
t_grep "...the subject has both attributes" "subject=O=Example,CN=old.example" po.new
x509 old.crt
t_grep "...keyUsage still critical" "X509v3 Key Usage: critical" x.txt
t_nogrep "...nsComment dropped" "Netscape Comment" x.txt
t_cond "...default validity: the old length (366 days)" "$(days_of old.crt)" -eq 366
t_ok "...valid now" openssl verify -x509_strict -CAfile "$CA/ca.crt" old.crt

# --- renewing the CA itself ----------------------------------------------------------
t_ok "renew the CA's own certificate into a new file" \
	$KG renew --ca "$CA" --cert "$CA/ca.crt" --days 100 --out ca-new.crt
profile "$CA/ca.crt" >pc.old
profile ca-new.crt >pc.new
t_ok "...same subject, CA:TRUE, keyUsage and key" cmp pc.old pc.new
t_cond "...valid 100 days" "$(days_of ca-new.crt)" -eq 100
t_ok "...self-signed again" openssl verify -x509_strict -CAfile ca-new.crt ca-new.crt
t_ok "...certificates of the old CA certificate verify under the new one" \
	openssl verify -CAfile ca-new.crt "$KEYS/clients/app3/tls.crt" app2/tls.crt
t_ok "...and renewed ones under the old one" openssl verify -CAfile "$CA/ca.crt" "$S" "$A1/tls.crt"

# --- refusals: one line on stderr, exit status, nothing written ---------------------
sum() { sha256sum "$@" | cut -d' ' -f1; }
s0=$(sum "$S")
bad "renew with the wrong CA: exit 1" 1 renew --ca "$KEYS/other" --cert "$S"
t_grep "...says so" "not issued by this CA" bad.err
"$KG" ca --out sameca >/dev/null 2>&1 # the same CN as keys/ca, another key
bad "renew with a CA of the same name and another key: exit 1" 1 renew --ca sameca --cert "$S"
t_grep "...its signature does not verify" "does not verify with the CA's key" bad.err
bad "renew --out with the wrong CA writes nothing" 1 renew --ca "$KEYS/other" --cert "$S" --out bad/x.crt
t_cond "...and the certificate is unchanged" "$(sum "$S")" = "$s0"
bad "renew --days 0: exit 2" 2 renew --ca "$CA" --cert "$S" --days 0
bad "renew --days 36501: exit 2" 2 renew --ca "$CA" --cert "$S" --days 36501
bad "renew --days x: exit 2" 2 renew --ca "$CA" --cert "$S" --days x
bad "renew without --cert: exit 2" 2 renew --ca "$CA"
bad "renew without --ca: exit 2" 2 renew --cert "$S"
bad "renew --force is no option: exit 2" 2 renew --ca "$CA" --cert "$S" --force
bad "renew of a missing file: exit 1" 1 renew --ca "$CA" --cert nothere.crt
bad "renew with a missing CA dir: exit 1" 1 renew --ca nothere --cert "$S"
bad "renew of a key file: exit 1" 1 renew --ca "$CA" --cert "$KEYS/wallet/server.key"
bad "renew --out over an existing file: exit 1" 1 renew --ca "$CA" --cert "$S" --out "$A1/tls.crt"
cat "$S" "$CA/ca.crt" >chain.crt
bad "renew of a file with two certificates: exit 1" 1 renew --ca "$CA" --cert chain.crt
cat "$S" "$KEYS/wallet/server.key" >combined.pem
c0=$(sum combined.pem)
bad "renew of a file that also holds the key: exit 1" 1 renew --ca "$CA" --cert combined.pem
t_grep "...says why" "more than one PEM block" bad.err
t_cond "...and the file (with its key) is unchanged" "$(sum combined.pem)" = "$c0"
openssl req -new -key old.key -subj /CN=sub-ca -out sub.csr 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >sub.ext
openssl x509 -req -in sub.csr -CA "$CA/ca.crt" -CAkey "$CA/ca.key" -CAcreateserial -days 2 \
	-extfile sub.ext -out sub.crt 2>/dev/null
bad "renew of an intermediate CA: exit 1" 1 renew --ca "$CA" --cert sub.crt
t_grep "...says so" "intermediate" bad.err
t_cond "after all refusals the certificate is unchanged" "$(sum "$S")" = "$s0"

# A real CSR with its signature bytes altered: the last byte of the DER lies in the signature.
openssl req -new -key app2/tls.key -subj /CN=app2 -outform DER -out good.der 2>/dev/null
n=$(stat -c %s good.der)
{ head -c $((n - 4)) good.der; printf '\x55'; tail -c 3 good.der; } >badsig.der
openssl req -inform DER -in badsig.der -out badsig.csr 2>/dev/null
t_exit "openssl req -verify refuses the altered CSR too" 1 csr_sig_ok badsig.csr
bad "sign a CSR with a bad signature: exit 1" 1 sign --ca "$CA" --csr badsig.csr --out bad/x.crt
t_grep "...says the signature does not verify" "signature does not verify" bad.err
for cn in "a b" "a/b" ".." "app1;x"; do
	openssl req -new -key app2/tls.key -subj "/CN=$cn" -out cn.csr 2>/dev/null
	bad "sign a CSR whose CN is '$cn': exit 1" 1 sign --ca "$CA" --csr cn.csr --out bad/x.crt
done
t_grep "...names the client-name rules" "[A-Za-z0-9._-]" bad.err

# openssl req refuses a CN over 64 characters: build such a CSR with asn1parse -genconf, sign
# its CertificationRequestInfo with openssl dgst and wrap both in a CertificationRequest.
# csr_cn CN OUT: a P-256 CSR for app2/tls.key with subject CN=CN
csr_cn() {
	local pub sig
	pub=$(openssl pkey -in app2/tls.key -pubout -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n')
	cat >body.cnf <<-EOF
		[cri]
		version = INTEGER:0
		subject = SEQUENCE:subject
		spki = SEQUENCE:spki
		attributes = IMPLICIT:0C,SEQUENCE:none
		[subject]
		rdn = SET:rdn
		[rdn]
		atv = SEQUENCE:atv
		[atv]
		type = OID:commonName
		value = UTF8String:$1
		[spki]
		alg = SEQUENCE:alg
		key = FORMAT:HEX,BITSTRING:$pub
		[alg]
		a = OID:id-ecPublicKey
		c = OID:prime256v1
		[none]
	EOF
	{ echo "asn1 = SEQUENCE:cri"; cat body.cnf; } >cri.cnf
	openssl asn1parse -genconf cri.cnf -noout -out cri.der >/dev/null &&
		openssl dgst -sha256 -sign app2/tls.key -out cri.sig cri.der || return 1
	sig=$(od -An -v -tx1 cri.sig | tr -d ' \n')
	{
		echo "asn1 = SEQUENCE:csr"
		cat body.cnf
		printf '[csr]\ncri = SEQUENCE:cri\nalg = SEQUENCE:sigalg\nsig = FORMAT:HEX,BITSTRING:%s\n' "$sig"
		printf '[sigalg]\na = OID:ecdsa-with-SHA256\n'
	} >csr.cnf
	openssl asn1parse -genconf csr.cnf -noout -out csr.der >/dev/null &&
		openssl req -inform DER -in csr.der -out "$2"
}
c64=$(printf 'a%.0s' $(seq 64))
csr_cn "$c64" cn64.csr
t_ok "a hand-made CSR with a 64-character CN: openssl accepts its signature" csr_sig_ok cn64.csr
t_ok "...and sign issues it" $KG sign --ca "$CA" --csr cn64.csr --out cn64.crt
openssl x509 -in cn64.crt -noout -subject >cn64.subj
t_grep "...with that CN" "CN = $c64" cn64.subj
csr_cn "${c64}b" cn65.csr
t_ok "the same with 65 characters: openssl accepts its signature" csr_sig_ok cn65.csr
bad "...but sign refuses the CN: exit 1" 1 sign --ca "$CA" --csr cn65.csr --out bad/x.crt
t_grep "...saying why" "65 bytes" bad.err

openssl req -new -key app2/tls.key -subj /CN=app1/CN=app2 -out two.csr 2>/dev/null
bad "sign a CSR with two CNs: exit 1" 1 sign --ca "$CA" --csr two.csr --out bad/x.crt
openssl req -new -key app2/tls.key -subj /O=NoName -out nocn.csr 2>/dev/null
bad "sign a CSR without a CN: exit 1" 1 sign --ca "$CA" --csr nocn.csr --out bad/x.crt
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out r2048.key 2>/dev/null
openssl req -new -key r2048.key -subj /CN=app2 -out r2048.csr 2>/dev/null
bad "sign a CSR with an RSA 2048 key: exit 1" 1 sign --ca "$CA" --csr r2048.csr --out bad/x.crt
t_grep "...names the accepted keys" "P-256, P-384, RSA of 3072 or 4096 bits" bad.err
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.key 2>/dev/null
openssl req -new -key p521.key -subj /CN=app2 -out p521.csr 2>/dev/null
bad "sign a CSR with a P-521 key: exit 1" 1 sign --ca "$CA" --csr p521.csr --out bad/x.crt
openssl genpkey -algorithm ED25519 -out ed.key 2>/dev/null
openssl req -new -key ed.key -subj /CN=app2 -out ed.csr 2>/dev/null
bad "sign a CSR with an Ed25519 key: exit 1" 1 sign --ca "$CA" --csr ed.csr --out bad/x.crt
openssl req -new -sha1 -key app2/tls.key -subj /CN=app2 -out sha1.csr 2>/dev/null
bad "sign a CSR signed with SHA-1: exit 1" 1 sign --ca "$CA" --csr sha1.csr --out bad/x.crt
bad "sign a certificate instead of a CSR: exit 1" 1 sign --ca "$CA" --csr "$S" --out bad/x.crt
bad "sign a missing CSR: exit 1" 1 sign --ca "$CA" --csr nothere.csr --out bad/x.crt
bad "sign with a missing CA dir: exit 1" 1 sign --ca nothere --csr app2.csr --out bad/x.crt
bad "sign with the CA of another key: exit 1" 1 sign --ca "$KEYS/wallet" --csr app2.csr --out bad/x.crt
bad "sign --days 0: exit 2" 2 sign --ca "$CA" --csr app2.csr --out bad/x.crt --days 0
bad "sign without --out: exit 2" 2 sign --ca "$CA" --csr app2.csr
bad "sign without --csr: exit 2" 2 sign --ca "$CA" --out bad/x.crt
a2=$(sum app2/tls.crt)
bad "sign over an existing file: exit 1" 1 sign --ca "$CA" --csr app2.csr --out app2/tls.crt
t_grep "...points to --force" "use --force" bad.err
t_cond "...which is unchanged" "$(sum app2/tls.crt)" = "$a2"
t_ok "sign --force replaces it" $KG sign --ca "$CA" --csr app2.csr --out app2/tls.crt --force
t_cond "...with a new certificate" "$(sum app2/tls.crt)" != "$a2"
t_ok "...which verifies" openssl verify -purpose sslclient -CAfile "$CA/ca.crt" app2/tls.crt
