#!/bin/sh
# Splits the tree that `make install DESTDIR=OUT PREFIX=/usr/local` staged into one tree per
# runtime image, stripped: STAGE/wallet, STAGE/entry, STAGE/keygen. Run in the build stage.
set -eu
out=$1
stage=$2
p=usr/local
pick() { # pick IMAGE FILE...: copy the FILEs (relative to OUT) that exist, keeping symlinks
	img=$1
	shift
	for f in "$@"; do
		[ -e "$out/$f" ] || [ -L "$out/$f" ] || continue
		mkdir -p "$stage/$img/$(dirname "$f")"
		cp -a "$out/$f" "$stage/$img/$f"
	done
}
pick wallet "$p/bin/wallet" "$p/lib/containerwallet"
pick entry "$p/bin/wallet-entry"
for f in "$out/$p"/lib/libwalletclient.so*; do
	[ -e "$f" ] && pick entry "$p/lib/$(basename "$f")"
done
pick keygen "$p/bin/wallet-keygen"
# Strip debug information from the ELF files (not the symlinks).
find "$stage" -type f \( -path '*/bin/*' -o -name '*.so*' \) -exec strip --strip-unneeded {} +
# Everything the images need must be there (make install may have failed on other files).
missing=""
for f in wallet/$p/bin/wallet wallet/$p/lib/containerwallet/libssl.so wallet/$p/lib/containerwallet/libcrypto.so entry/$p/bin/wallet-entry \
	entry/$p/lib/libwalletclient.so.1 keygen/$p/bin/wallet-keygen; do
	[ -e "$stage/$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
	echo "stage.sh: not installed:$missing" >&2
	exit 1
fi
