# Fixture for the client and wallet-entry system tests (sourced after spec/lib.sh).
# Builds, with the openssl and gpg CLIs only: a CA, a server certificate for 127.0.0.1 and a
# client certificate (CN app1); the wallet's GPG signing key, the client's GPG key and an
# impostor's key; sealed objects made exactly as docs/FORMAT.md describes; and serves them with
# `openssl s_server -HTTP`, which answers GET /PATH with the file ./PATH holding a complete HTTP
# response: a "wallet" that can be made to misbehave on purpose (substitution, rollback,
# tampering, another signer).
FX=$T_DIR/fx
mkdir -p "$FX/pki" "$FX/www/v1/objects"
export GNUPGHOME=$FX/nohome # gpg must never touch a real home
G() { gpg --batch --quiet --no-tty --pinentry-mode loopback --passphrase '' "$@"; }

fx_pki() {
	local d=$FX/pki
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=test-ca -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=wallet \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/s.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/s.ext" -out "$d/server.crt" 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=app1 \
		-keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null || return 1
	printf 'extendedKeyUsage=clientAuth\n' >"$d/c.ext"
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/c.ext" -out "$d/client.crt" 2>/dev/null
}

# fx_key HOME UID: an ed25519 signing primary with a cv25519 encryption subkey; prints the fpr
fx_key() {
	mkdir -p -m 0700 "$1"
	G --homedir "$1" --quick-gen-key "$2" ed25519 sign never || return 1
	local fpr
	fpr=$(G --homedir "$1" --with-colons --list-keys "$2" | awk -F: '/^fpr/ {print $10; exit}')
	G --homedir "$1" --quick-add-key "$fpr" cv25519 encr never || return 1
	echo "$fpr"
}

fx_gpg() {
	WHOME=$FX/gpg-wallet CHOME=$FX/gpg-client XHOME=$FX/gpg-impostor
	WFPR=$(fx_key "$WHOME" wallet) && CFPR=$(fx_key "$CHOME" app1) &&
		XFPR=$(fx_key "$XHOME" impostor) || return 1
	G --homedir "$CHOME" --armor --export-secret-keys "$CFPR" >"$FX/client-gpg.asc" &&
		G --homedir "$CHOME" --export "$CFPR" >"$FX/client.pub" &&
		G --homedir "$WHOME" --import "$FX/client.pub" &&
		G --homedir "$XHOME" --import "$FX/client.pub" &&
		G --homedir "$WHOME" --armor --export "$WFPR" >"$FX/wallet.asc" &&
		G --homedir "$XHOME" --armor --export "$XFPR" >"$FX/impostor.asc" || return 1
	t_gpg_stop "$CHOME"
	fx_respond "$FX/www/v1/signing-key" "$FX/wallet.asc"
}

# fx_respond FILE BODYFILE [HEADER...]: writes a complete HTTP response to FILE
fx_respond() {
	local f=$1 body=$2 h
	shift 2
	{
		printf 'HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n'
		printf 'Content-Length: %s\r\n' "$(stat -c %s "$body")"
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf '\r\n'
		cat "$body"
	} >"$f.tmp" && mv "$f.tmp" "$f"
}

# fx_seal NAME VERSION CONTENTFILE [SIGNER_HOME SIGNER_FPR]: seals like the wallet does into
# $FX/sealed/NAME@VERSION.{gpg,sig}
fx_seal() {
	local home=${4:-$WHOME} fpr=${5:-$WFPR} out=$FX/sealed/${1//\//@}@$2
	mkdir -p "$FX/sealed"
	rm -f "$out.gpg" "$out.sig"
	G --homedir "$home" --trust-model always -u "$fpr" -r "$CFPR" \
		--sig-notation "name@containerwallet=$1" --sig-notation "version@containerwallet=$2" \
		--sig-notation "created@containerwallet=2026-11-22T16:40:37Z" \
		--sign --encrypt -o "$out.gpg" "$3" &&
		G --homedir "$home" -u "$fpr" --detach-sign -o "$out.sig" "$out.gpg"
}

# fx_serve_obj URLPATH SEALED_BASE VERSION [SIG_BASE]: publishes a sealed object at URLPATH
# (below the web root, query string included)
fx_serve_obj() {
	local sigb=${4:-$2}
	mkdir -p "$(dirname "$FX/www/$1")"
	fx_respond "$FX/www/$1" "$2.gpg" "X-Wallet-Version: $3" \
		"X-Wallet-Signature: $(base64 -w0 "$sigb.sig")"
}

# fx_json URLPATH JSON
fx_json() {
	printf '%s' "$2" >"$FX/body.json"
	mkdir -p "$(dirname "$FX/www/$1")"
	fx_respond "$FX/www/$1" "$FX/body.json"
}

# fx_server PORT: s_server -HTTP on 127.0.0.1:PORT demanding a client certificate
fx_server() {
	(cd "$FX/www" && exec openssl s_server -quiet -HTTP -accept "127.0.0.1:$1" \
		-cert "$FX/pki/server.crt" -key "$FX/pki/server.key" -CAfile "$FX/pki/ca.crt" \
		-Verify 1 -verify_return_error </dev/null >>"$FX/server-$1.log" 2>&1) &
	local pid=$!
	at_exit "kill $pid"
	eval "FX_PID_$1=$pid"
	wait_until 10 port_open "$1"
}

fx_stop_server() {
	local v=FX_PID_$1
	kill "${!v}" 2>/dev/null
	wait "${!v}" 2>/dev/null
	return 0
}

# Common wallet-entry options for the fixture.
fx_entry_env() {
	export WALLET_CA=$FX/pki/ca.crt WALLET_CERT=$FX/pki/client.crt WALLET_KEY=$FX/pki/client.key
	export WALLET_GPG_KEY=$FX/client-gpg.asc WALLET_SIGNER=$WFPR WALLET_WAIT=0
}

# True when no gpg-agent started by this suite is alive (a zombie is not): the agents of the
# throwaway homes wallet-entry makes and stops itself included. The fixture's own homes are
# stopped with t_gpg_stop.
fx_agents_gone() {
	local f pid
	[ -n "${CW_SUITE_TOKEN:-}" ] || return 0
	for f in $(grep -lzx "CW_SUITE_TOKEN=$CW_SUITE_TOKEN" /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		t_alive "$pid" && grep -qa '^gpg-agent' "/proc/$pid/cmdline" 2>/dev/null && return 1
	done
	return 0
}

fx_setup() {
	at_exit "wait_until 10 fx_agents_gone" # registered first: runs last
	command -v gpg >/dev/null && command -v openssl >/dev/null || t_skip_all "gpg/openssl missing"
	fx_pki || { echo "Bail out! fixture: openssl failed"; exit 1; }
	fx_gpg || { echo "Bail out! fixture: gpg failed"; exit 1; }
	at_exit "t_gpg_stop $FX/gpg-wallet $FX/gpg-impostor $FX/gpg-client"
}
