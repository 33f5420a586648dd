/* OpenPGP key pairs with gpgme, made in a throwaway GNUPGHOME on a memory file system that is
 * wiped and removed (its gpg-agent stopped) before kg_gpg_generate returns.
 * Not thread-safe per object; separate calls may run in parallel. */
#ifndef KG_GPGKEY_H
#define KG_GPGKEY_H

#include <stddef.h>

#include "args.h"
#include "secmem.h"
#include "status.h"

/* ASCII-armored exports, both in secure memory (the public one too: it costs nothing). */
typedef struct kg_gpg_keys {
	cw_sbuf pub;
	cw_sbuf sec;
	char fpr[41]; /* primary key fingerprint, upper-case hex */
} kg_gpg_keys;

/* Makes a primary key for signing and certification with an encryption subkey (ed25519 +
 * cv25519, or rsa4096 + rsa4096), no expiry, user ID = uid. passphrase NULL: the secret key is
 * not protected; otherwise it is protected with these bytes (and the export stays protected).
 * On failure out is empty and err holds one line. */
cw_status kg_gpg_generate(const char *uid, kg_gpgalgo algo, const cw_sbuf *passphrase,
                          kg_gpg_keys *out, char *err, size_t errsz);
void kg_gpg_keys_free(kg_gpg_keys *k);

/* The passphrase of --passphrase-file: the file's first line without its line end, read into
 * secure memory. CW_ERR_NOTFOUND / CW_ERR_IO when unreadable, CW_ERR_KEY when empty or when it
 * holds a NUL byte. */
cw_status kg_read_passphrase(const char *path, cw_sbuf *out, char *err, size_t errsz);

#endif
