#!/bin/bash
# entry_attacks.sh with the gnupg engine (gpg processes through gpgme, a throwaway GNUPGHOME);
# entry_attacks.sh itself runs with the default engine for a key file, rnp. Both engines must
# refuse every attack with the same reasons.
export WALLET_OPENPGP=gnupg
exec bash "$(dirname "$0")/entry_attacks.sh"
