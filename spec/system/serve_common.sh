# Shared setup of the serve*.sh suites (sourced after spec/lib.sh). Run as a suite itself
# (spec/run runs every spec/system/*.sh) it checks the key material it makes.
#   serve_keys DIR             key material: DIR/ca, DIR/wallet/{server.crt,server.key,ca.crt},
#                              DIR/clients/{app1,app2,app3}/{tls.crt,tls.key,ca.crt,gpg.pub.asc,
#                              gpg.sec.asc}, plus DIR/other (a foreign CA) and its client app1
#   serve_data DIR KEYS        an initialised data directory with app1..app3 registered
#   serve_start NAME ARGS...   starts `wallet serve` in the background, waits until it answers;
#                              sets SERVE_PID, SERVE_PORT, SERVE_HPORT; stopped at exit
#   cfetch CLIENT PATH [curl args]  curl with CLIENT's certificate against the TLS port
#   serve_world                the keys, data directory and client settings of a suite
#                              that runs wallet serve with wallet-entry (below)

# serve_world: what the suites that run wallet serve with wallet-entry share: GNUPGHOME a home
# that must never be used, key material in KEYS=$T_DIR/keys, an initialised data directory
# D=$T_DIR/data (WALLET_DATA; its gpg-agent stopped at exit), the server's TLS options in the
# array TLS, nginx present (mirror.bash), and app1's client settings exported (WALLET_CA,
# WALLET_CERT, WALLET_KEY, WALLET_GPG_KEY, WALLET_SIGNER); C is app1's key directory. Any
# failure ends the suite.
serve_world() {
	export GNUPGHOME=$T_DIR/nohome
	KEYS=$T_DIR/keys D=$T_DIR/data
	serve_keys "$KEYS" || t_bail "key material"
	serve_data "$D" "$KEYS" || t_bail "data directory"
	export WALLET_DATA=$D
	at_exit "t_gpg_stop $D/gnupg"
	command -v nginx >/dev/null || t_bail "nginx missing (scripts/deps.sh test)"
	TLS=(--tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" --tls-ca "$KEYS/ca/ca.crt")
	C=$KEYS/clients/app1
	export WALLET_CA=$KEYS/ca/ca.crt WALLET_CERT=$C/tls.crt WALLET_KEY=$C/tls.key
	export WALLET_GPG_KEY=$C/gpg.sec.asc
	WALLET_SIGNER=$(wallet signing-key --fingerprint) || t_bail "the signing key's fingerprint"
	export WALLET_SIGNER
}

# wallet-keygen when it can (the project's own tool); the openssl and gpg CLIs otherwise.
serve_keys() {
	local k=$1 c
	if ! wallet-keygen init --out "$k" --clients app1,app2,app3 >/dev/null 2>&1; then
		rm -rf "$k"
		mkdir -p "$k/ca" "$k/wallet"
		_ssl_ca "$k/ca"
		_ssl_leaf "$k/ca" "$k/wallet/server" wallet serverAuth "DNS:localhost,IP:127.0.0.1"
		mv "$k/wallet/server.crt.tmp" "$k/wallet/server.crt"
		cp "$k/ca/ca.crt" "$k/wallet/ca.crt"
		for c in app1 app2 app3; do
			mkdir -p "$k/clients/$c"
			_ssl_leaf "$k/ca" "$k/clients/$c/tls" "$c" clientAuth ""
			mv "$k/clients/$c/tls.crt.tmp" "$k/clients/$c/tls.crt"
			cp "$k/ca/ca.crt" "$k/clients/$c/ca.crt"
			_gpg_pair "$c" "$k/clients/$c"
		done
	fi
	# a foreign CA issuing a certificate with the same client name
	mkdir -p "$k/other" "$k/rogue"
	_ssl_ca "$k/other"
	_ssl_leaf "$k/other" "$k/rogue/tls" app1 clientAuth ""
	mv "$k/rogue/tls.crt.tmp" "$k/rogue/tls.crt"
}
_ssl_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$1/ca.key" -out "$1/ca.crt" -subj "/CN=test CA $RANDOM" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
# _ssl_leaf CADIR OUTBASE CN EKU SAN
_ssl_leaf() {
	local ext="$T_DIR/ext.$$"
	printf 'extendedKeyUsage=%s\n' "$4" >"$ext"
	[ -n "$5" ] && printf 'subjectAltName=%s\n' "$5" >>"$ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$2.key" \
		-out "$2.csr" -subj "/CN=$3" 2>/dev/null &&
		openssl x509 -req -in "$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial \
			-days 2 -extfile "$ext" -out "$2.crt.tmp" 2>/dev/null
	rm -f "$2.csr" "$ext"
}
_gpg_pair() {
	local h
	h=$(mktemp -d /dev/shm/cwgpg.XXXXXX)
	gpg --batch --homedir "$h" --passphrase '' --quick-gen-key "$1" ed25519 sign never 2>/dev/null
	local fpr
	fpr=$(gpg --homedir "$h" --with-colons --list-keys "$1" 2>/dev/null |
		awk -F: '/^fpr/{print $10; exit}')
	gpg --batch --homedir "$h" --passphrase '' --quick-add-key "$fpr" cv25519 encr never 2>/dev/null
	gpg --homedir "$h" --armor --export "$1" >"$2/gpg.pub.asc" 2>/dev/null
	gpg --homedir "$h" --batch --armor --export-secret-keys "$1" >"$2/gpg.sec.asc" 2>/dev/null
	t_gpg_stop "$h"
	rm -rf "$h"
}

serve_data() {
	local d=$1 k=$2 c
	WALLET_DATA=$d wallet init >/dev/null || return 1
	for c in app1 app2 app3; do
		WALLET_DATA=$d wallet importkey "$c" <"$k/clients/$c/gpg.pub.asc" >/dev/null || return 1
	done
}

# A picked port can still be taken (a client's ephemeral port): retry then with others.
serve_start() {
	local log=$T_DIR/serve-$1.log try
	shift
	for try in 1 2 3; do
		SERVE_PORT=$(pick_port)
		SERVE_HPORT=$(pick_port)
		while [ "$SERVE_HPORT" = "$SERVE_PORT" ]; do SERVE_HPORT=$(pick_port); done
		wallet serve --listen "127.0.0.1:$SERVE_PORT" \
			--health-listen "127.0.0.1:$SERVE_HPORT" "$@" 2>"$log" &
		SERVE_PID=$!
		at_exit "kill -9 $SERVE_PID"
		wait_until 20 serve_up && return 0
		grep -q 'cannot listen' "$log" || break
	done
	return 1
}
serve_up() {
	kill -0 "$SERVE_PID" 2>/dev/null || return 2
	curl -sf "http://127.0.0.1:$SERVE_HPORT/healthz" >/dev/null
}
# serve_metric SAMPLE: the value of the /metrics sample SAMPLE (the name with its labels, as
# printed: wallet_tls_sessions, wallet_tls_handshakes_total{kind="full"}); "" when absent
serve_metric() {
	curl -s --max-time 10 "http://127.0.0.1:$SERVE_HPORT/metrics" | awk -v s="$1" '$1 == s {print $2}'
}

# cfetch CLIENTDIR PATH [curl args...]: prints the body; -w etc. may be added. Counts its
# calls in $T_DIR/cfetch.count (one line each), also from subshells.
cfetch() {
	local c=$1 p=$2
	shift 2
	echo "$p" >>"$T_DIR/cfetch.count"
	curl -s --path-as-is --cacert "$KEYS/ca/ca.crt" --cert "$c/tls.crt" --key "$c/tls.key" \
		"$@" "https://127.0.0.1:$SERVE_PORT$p"
}

# gpg_home CLIENT: a throwaway GNUPGHOME in /dev/shm with CLIENT's secret key, in $GH.
# (Not through $(...): a cleanup registered in a subshell would never run.)
gpg_home() {
	GH=$(mktemp -d /dev/shm/cwtest-gpg.XXXXXX)
	at_exit "t_gpg_stop $GH; rm -rf $GH"
	gpg --batch --homedir "$GH" --import "$KEYS/clients/$1/gpg.sec.asc" 2>/dev/null
}

# As a suite: the key material the serve tests use is what they assume.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	. "$(dirname "$0")/../lib.sh"
	KEYS=$T_DIR/keys
	serve_keys "$KEYS"
	t_ok "server certificate chains to the CA" \
		openssl verify -CAfile "$KEYS/ca/ca.crt" -purpose sslserver "$KEYS/wallet/server.crt"
	for c in app1 app2 app3; do
		t_ok "$c certificate chains to the CA" \
			openssl verify -CAfile "$KEYS/ca/ca.crt" -purpose sslclient "$KEYS/clients/$c/tls.crt"
		openssl x509 -noout -subject -nameopt RFC2253 -in "$KEYS/clients/$c/tls.crt" >"$T_DIR/subj"
		t_grep "$c certificate CN" "CN=$c" "$T_DIR/subj"
		t_grep "$c has a secret GPG key" "BEGIN PGP PRIVATE KEY BLOCK" "$KEYS/clients/$c/gpg.sec.asc"
	done
	t_exit "foreign client certificate does not chain to the CA" 2 \
		openssl verify -CAfile "$KEYS/ca/ca.crt" "$KEYS/rogue/tls.crt"
fi
