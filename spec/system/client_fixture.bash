# Fixture for the client and wallet-entry system tests (sourced after spec/lib.sh).
# Builds, with the openssl and gpg CLIs only: a CA, a server certificate for 127.0.0.1 and a
# client certificate (CN app1); the wallet's GPG signing key, the client's GPG key and an
# impostor's key; sealed objects made exactly as docs/FORMAT.md describes; and serves them with
# `openssl s_server -HTTP`, which answers GET /PATH with the file ./PATH holding a complete HTTP
# response: a "wallet" that can be made to misbehave on purpose (substitution, rollback,
# tampering, another signer).
# It serves both generations of the API (docs/FORMAT.md, "HTTP API"): the v1 paths with their
# X-Wallet-* headers, and the paths of an export, which a client that trusts its signed
# manifest first reads: /signing-key.asc, /manifests/app1 and /objects/FILE/vN/object.{gpg,sig}.
# The fixture keeps one manifest for app1 (the client certificate's CN), listing what
# fx_serve_obj published last under each name; it exists, empty, from fx_setup on.
FX=$T_DIR/fx
FX_CLIENT=app1 # the CN of the client certificate: the name of its manifest
mkdir -p "$FX/pki" "$FX/www/v1/objects" "$FX/www/manifests" "$FX/www/objects"
: >"$FX/mf.entries" # the manifest's objects: "NAME VERSION SIZE SHA256" lines
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
	fx_signing_key "$FX/wallet.asc"
}

# fx_signing_key FILE: serves FILE as the wallet's public signing key, at both of its paths
# (/v1/signing-key and an export's /signing-key.asc)
fx_signing_key() {
	fx_respond "$FX/www/v1/signing-key" "$1" && fx_respond "$FX/www/signing-key.asc" "$1"
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

# fx_http_status URLPATH CODE TEXT: serves an empty answer with that status at URLPATH (s_server
# itself answers "200 ok" and an error text for a file that is missing: a 404 must be written)
fx_http_status() {
	mkdir -p "$(dirname "$FX/www/$1")" &&
		printf 'HTTP/1.0 %s %s\r\nContent-Length: 0\r\n\r\n' "$2" "$3" >"$FX/www/$1"
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
# (v1/objects/NAME, or v1/objects/NAME?version=N), headers VERSION and SIG_BASE.sig, and as the
# files of version N below /objects/ (fx_obj_files). Without ?version=, N = VERSION and the
# manifest then lists NAME at VERSION with the sha256 of SEALED_BASE.gpg (re-signed by
# fx_manifest's default signer): it vouches for whatever is served, so that every attack on an
# object is left to the checks of the object itself. With ?version=N, the manifest is left alone.
fx_serve_obj() {
	local url=$1 base=$2 ver=$3 sigb=${4:-$2} name n
	case $url in
	v1/objects/?*) ;;
	*) t_bail "fx_serve_obj: $url is not below v1/objects/" ;;
	esac
	mkdir -p "$(dirname "$FX/www/$url")"
	fx_respond "$FX/www/$url" "$base.gpg" "X-Wallet-Version: $ver" \
		"X-Wallet-Signature: $(base64 -w0 "$sigb.sig")" || return 1
	name=${url#v1/objects/}
	case $name in
	*'?version='*) n=${name##*'?version='} name=${name%%'?'*} ;;
	*) n=$ver ;;
	esac
	fx_obj_files "$name" "$n" "$base" "$sigb" || return 1
	case $url in *'?version='*) return 0 ;; esac
	fx_mf_entry "$name" "$ver" "$base.gpg" && fx_manifest
}

# fx_obj_files NAME N SEALED_BASE [SIG_BASE]: serves SEALED_BASE.gpg and SIG_BASE.sig as
# /objects/FILE/vN/object.gpg and object.sig (FILE: NAME with '/' written as '@')
fx_obj_files() {
	local d=$FX/www/objects/${1//\//@}/v$2 sigb=${4:-$3}
	mkdir -p "$d" && fx_respond "$d/object.gpg" "$3.gpg" && fx_respond "$d/object.sig" "$sigb.sig"
}

# fx_mf_entry NAME VERSION SEALEDFILE: the manifest lists NAME at VERSION with SEALEDFILE's size
# and sha256 (replacing NAME's entry); takes effect at the next fx_manifest
fx_mf_entry() {
	fx_mf_line "$@" >"$FX/mf.line" || return 1
	awk -v n="$1" '$1 != n' "$FX/mf.entries" | cat - "$FX/mf.line" | LC_ALL=C sort >"$FX/mf.tmp" &&
		mv "$FX/mf.tmp" "$FX/mf.entries"
}

# fx_mf_del NAME: the manifest no longer lists NAME (from the next fx_manifest)
fx_mf_del() {
	awk -v n="$1" '$1 != n' "$FX/mf.entries" >"$FX/mf.tmp" && mv "$FX/mf.tmp" "$FX/mf.entries"
}

fx_mf_line() {
	[ -f "$3" ] || { echo "fx_mf_line: no file $3" >&2; return 1; }
	printf '%s %s %s %s\n' "$1" "$2" "$(stat -c %s "$3")" "$(sha256sum "$3" | cut -d' ' -f1)"
}

# fx_manifest [OPTION]...: signs the manifest (the objects fx_serve_obj and fx_mf_entry listed)
# into /manifests/app1, as the wallet does: a binary signed message, one signature with the one
# notation manifest@containerwallet=app1. The options make it wrong on purpose, for this
# signing only (the next fx_serve_obj signs an honest one again):
#   --key HOME FPR         sign with this key (default $FX_MF_HOME $FX_MF_FPR if set, else the
#                          wallet's; "signing_key" then says FPR, or $FX_MF_SIGNING_KEY if set)
#   --client NAME          "client" in the content (default app1)
#   --notation NAME=VALUE  the signature's notations instead of manifest@containerwallet=app1
#                          (repeatable); --no-notation: none
#   --signed T --expires T Unix seconds (default now, now + 86400); --expired: one hour ago
#   --ahead S              signed by a wallet whose clock runs S seconds ahead (the signature
#                          and "signed" in the future; apply it before --signed/--expires)
#   --format N             "format" (default 1)
#   --entry NAME VERSION SEALEDFILE   list NAME so (added or replacing its entry)
#   --drop NAME            leave NAME out
#   --content FILE         sign FILE as it is instead of the JSON
#   --out FILE             the HTTP response goes to FILE instead of www/manifests/app1
# The content as signed stays in $FX/manifest.json, the signed message in $FX/manifest.gpg.
fx_manifest() {
	local home=${FX_MF_HOME:-$WHOME} fpr=${FX_MF_FPR:-$WFPR} keyid=${FX_MF_SIGNING_KEY:-}
	local client=$FX_CLIENT format=1 now signed expires content="" out=$FX/www/manifests/$FX_CLIENT
	local -a notes=() sigopts=()
	local nonote=0 entries=$FX/mf.sign sep="" name ver size sum n
	local -a faked=()
	now=$(date +%s)
	signed=$now expires=$((now + 86400))
	cp "$FX/mf.entries" "$entries" || return 1
	while [ $# -gt 0 ]; do
		case $1 in
		--key) home=$2 fpr=$3 keyid=${3%!} && shift 2 ;;
		--client) client=$2 && shift ;;
		--notation) notes+=("$2") && shift ;;
		--no-notation) nonote=1 ;;
		--signed) signed=$2 && shift ;;
		--expires) expires=$2 && shift ;;
		--expired) signed=$((now - 90000)) expires=$((now - 3600)) ;;
		--ahead) now=$((now + $2)) && signed=$now expires=$((now + 86400)) &&
			faked=(--faked-system-time "$now!") && shift ;;
		--format) format=$2 && shift ;;
		--entry)
			fx_mf_line "$2" "$3" "$4" >"$FX/mf.line" || return 1
			awk -v n="$2" '$1 != n' "$entries" | cat - "$FX/mf.line" | LC_ALL=C sort >"$entries.tmp" &&
				mv "$entries.tmp" "$entries" && shift 3 ;;
		--drop) awk -v n="$2" '$1 != n' "$entries" >"$entries.tmp" && mv "$entries.tmp" "$entries" &&
			shift ;;
		--content) content=$2 && shift ;;
		--out) out=$2 && shift ;;
		*) t_bail "fx_manifest: unknown option $1" ;;
		esac || return 1
		shift
	done
	[ -n "$keyid" ] || keyid=${fpr%!}
	[ ${#notes[@]} -gt 0 ] || notes=("manifest@containerwallet=$FX_CLIENT")
	[ "$nonote" = 1 ] && notes=()
	for n in "${notes[@]}"; do sigopts+=(--sig-notation "$n"); done
	if [ -n "$content" ]; then
		cp "$content" "$FX/manifest.json" || return 1
	else
		{
			printf '{"format":%s,"client":"%s","signing_key":"%s","signed":%s,"expires":%s,"objects":[' \
				"$format" "$client" "$keyid" "$signed" "$expires"
			while read -r name ver size sum; do
				printf '%s{"name":"%s","version":%s,"size":%s,"sha256":"%s"}' \
					"$sep" "$name" "$ver" "$size" "$sum"
				sep=,
			done <"$entries"
			printf ']}'
		} >"$FX/manifest.json"
	fi
	rm -f "$FX/manifest.gpg"
	G --homedir "$home" "${faked[@]}" -u "$fpr" "${sigopts[@]}" --sign -o "$FX/manifest.gpg" "$FX/manifest.json" ||
		return 1
	mkdir -p "$(dirname "$out")" && fx_respond "$out" "$FX/manifest.gpg"
}

# fx_json URLPATH JSON. An object listing (v1/objects, ?prefix=P) must name the objects, and
# versions, that the manifest lists under P: a client reads groups from the manifest and lists
# with the listing, and the two must tell the same story.
fx_json() {
	case $1 in
	v1/objects | v1/objects\?prefix=*) fx_listing_matches "$1" "$2" ||
		t_bail "fixture: $1 lists other objects than the manifest: $2 vs $(cat "$FX/mf.entries")" ;;
	esac
	printf '%s' "$2" >"$FX/body.json"
	mkdir -p "$(dirname "$FX/www/$1")"
	fx_respond "$FX/www/$1" "$FX/body.json"
}

# fx_listing_matches URLPATH JSON: the listing's "name version" pairs are the manifest's under
# the prefix
fx_listing_matches() {
	local p="" obj
	case $1 in *'?prefix='*) p=${1#*'?prefix='} p=${p//%2F//} p=${p//%2f//} ;; esac
	printf '%s' "$2" | tr '{}' '\n\n' | while read -r obj; do
		case $obj in *'"name"'*) ;; *) continue ;; esac
		printf '%s %s\n' "$(printf '%s' "$obj" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')" \
			"$(printf '%s' "$obj" | sed -n 's/.*"version":\([0-9]*\).*/\1/p')"
	done | LC_ALL=C sort >"$FX/listing.pairs"
	awk -v p="$p" 'index($1, p) == 1 {print $1, $2}' "$FX/mf.entries" | cmp -s - "$FX/listing.pairs"
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

# fx_disk_search MARK OUT STRING...: the regular files of every disk-backed file system (not
# tmpfs, proc and the like) written since the file MARK that hold one of the fixed STRINGs,
# one path a line, into OUT. Complete, not a sample: a file that was not written since MARK
# cannot hold a secret made after it.
fx_disk_search() {
	local mark=$1 out=$2 m mounts
	local -a pats=()
	shift 2
	for m in "$@"; do pats+=(-e "$m"); done
	mounts=$(findmnt -rn -o TARGET,FSTYPE | awk '$2 !~ /^(proc|sysfs|tmpfs|ramfs|devtmpfs|devpts|mqueue|cgroup2?|securityfs|debugfs|tracefs|pstore|bpf|configfs|fusectl|hugetlbfs|autofs|binfmt_misc|nsfs|overlay|squashfs|rpc_pipefs|efivarfs|selinuxfs)$/ {print $1}' | sort -u)
	: >"$out"
	for m in / $mounts; do
		find "$m" -xdev -newer "$mark" -type f -print0 2>/dev/null |
			xargs -0 -r grep -lF "${pats[@]}" >>"$out" 2>/dev/null
	done
}

fx_setup() {
	at_exit "wait_until 10 fx_agents_gone" # registered first: runs last
	command -v gpg >/dev/null && command -v openssl >/dev/null || t_skip_all "gpg/openssl missing"
	fx_pki || { echo "Bail out! fixture: openssl failed"; exit 1; }
	fx_gpg || { echo "Bail out! fixture: gpg failed"; exit 1; }
	at_exit "t_gpg_stop $FX/gpg-wallet $FX/gpg-impostor $FX/gpg-client"
	fx_manifest || { echo "Bail out! fixture: signing the manifest failed"; exit 1; }
}

# fx_core_check DIR PATTERNS DESC ARGS...: runs wallet-entry --supervise ARGS with a PROGRAM
# that waits on a FIFO in DIR, and once PROGRAM runs takes a core image (gcore, into DIR: keep
# it on tmpfs) of the supervising wallet-entry. The image must hold none of the lines of the
# file PATTERNS (fixed strings; a file, so that no secret is on a command line), and, as
# controls, must hold $WALLET_URL (it is whole) and the search must find a planted copy of
# the first pattern. Then PROGRAM is let go and wallet-entry waited for. Skipped (a comment)
# in a sanitizer build: ASan's allocator ignores M_PERTURB, and gcore cannot image a process
# with ASan's shadow memory whole.
fx_core_check() {
	local dir=$1 pat=$2 d=$3 spid
	shift 3
	if [ "${SAN:-0}" = 1 ]; then
		echo "# $d: not applicable to a sanitizer build"
		return 0
	fi
	rm -f "$dir/go" "$dir"/core.*
	mkfifo "$dir/go" || return 1
	"$CW_BIN/wallet-entry" --supervise "$@" -- sh -c 'read -r x <"$1"' sh "$dir/go" >/dev/null 2>&1 &
	spid=$!
	at_exit "kill $spid"
	if wait_until 30 pgrep -P "$spid" && gcore -o "$dir/core" "$spid" >/dev/null 2>&1 &&
		[ -s "$dir/core.$spid" ]; then
		t_exit "$d" 1 grep -qaF -f "$pat" "$dir/core.$spid"
		t_exit "... control: the image holds what it must (WALLET_URL, from the heap)" 0 \
			grep -qF -- "$WALLET_URL" "$dir/core.$spid"
		if { cat "$dir/core.$spid" && head -n 1 "$pat"; } | grep -qaF -f "$pat"; then
			t_pass "... control: the search finds a planted copy"
		else
			t_fail "... control: the search finds a planted copy"
		fi
	else
		t_fail "$d: a core image of the supervising wallet-entry (gcore)"
	fi
	echo go >"$dir/go"
	wait "$spid"
	rm -f "$dir"/core.* "$dir/go"
}
