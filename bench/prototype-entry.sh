#!/bin/sh
# The entrypoint of the original prototype, the yardstick for wallet-entry: what a container
# of the prototype did at start. A fresh GNUPGHOME (gpg 2.2 needs one to import a secret key),
# the client's key imported, then one `curl | gpg --decrypt` per object into a file on tmpfs,
# the agent stopped, the home removed, and PROGRAM exec'd. It verifies no signature of its
# own: gpg checks the inner one only when the wallet's public key is given (PROTO_SIGNER_PUB),
# as the benchmarks do, so that gpg succeeds.
# usage: prototype-entry.sh BASEURL CA CERT KEY SECKEY OBJECT... -- PROGRAM [ARG...]
set -e
base=$1 ca=$2 cert=$3 key=$4 sec=$5
shift 5
GNUPGHOME=$(mktemp -d /dev/shm/proto.XXXXXX)
export GNUPGHOME
# Not the prototype's: a run that fails midway (set -e) stops its agent and removes its home
# too, so that a failed benchmark leaves no gpg-agent behind. The exec below replaces the
# shell, so the trap never runs on success, where the prototype's own two lines do it.
trap 'gpgconf --kill gpg-agent 2>/dev/null; rm -rf "$GNUPGHOME"' EXIT
gpg --batch -q --import "$sec" 2>/dev/null
[ -z "${PROTO_SIGNER_PUB:-}" ] || gpg --batch -q --import "$PROTO_SIGNER_PUB" 2>/dev/null
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	out=/dev/shm/$(printf %s "$1" | tr / _).$$
	curl -s --cacert "$ca" --cert "$cert" --key "$key" "$base/$1" |
		gpg --batch -q --trust-model always -d 2>/dev/null >"$out"
	rm -f "$out"
	shift
done
[ "${1:-}" = -- ] && shift
gpgconf --kill gpg-agent
rm -rf "$GNUPGHOME"
exec "${@:-true}"
