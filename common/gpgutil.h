/* gpgme helpers shared by wallet, client and keygen. */
#ifndef CW_GPGUTIL_H
#define CW_GPGUTIL_H

#include <gpgme.h>
#include <stddef.h>

#include "status.h"

/* Initialises gpgme once per process (version check, locale); thread-safe, idempotent.
 * CW_ERR_CRYPTO when gpgme or the OpenPGP engine is unusable. */
cw_status cw_gpg_init(void);

/* A new OpenPGP context on GNUPGHOME home (NULL: the default), binary output, no pinentry
 * (GPGME_PINENTRY_MODE_LOOPBACK with no passphrase callback, so nothing ever prompts).
 * Free with gpgme_release(). */
cw_status cw_gpg_ctx(const char *home, gpgme_ctx_t *out);

/* Creates a fresh GNUPGHOME (mode 0700) on a memory file system: under $XDG_RUNTIME_DIR when it
 * is tmpfs, else /dev/shm, else /run; fails with CW_ERR_IO when none of those is a memory file
 * system (a key must never land on a disk). It holds a gpg-agent.conf with
 * auto-expand-secmem, so that many decryptions at once cannot exhaust the agent's secure
 * memory.
 * path receives it (>= 4096 bytes). */
cw_status cw_gpg_tmphome(const char *prefix, char *path, size_t pathsz);

/* Stops the gpg-agent of GNUPGHOME home, if one runs, and waits (at most 2 s) for its socket in
 * home to vanish, so that no agent outlives the work it was started for. */
void cw_gpg_kill_agent(const char *home);

/* Stops the gpg-agent of GNUPGHOME home (if any runs), then overwrites every regular file in
 * home with zeros and removes the whole tree. Safe to call on a half-made home. */
cw_status cw_gpg_destroy_home(const char *home);

/* Upper-case hex fingerprint compare, constant time, 40 (v4) hex digits. */
int cw_fpr_equal(const char *a, const char *b);

/* Writes gpgme's error for err into buf as one line ("gpgme: <source>: <text>"). */
void cw_gpg_errstr(gpgme_error_t err, char *buf, size_t bufsz);
/* The one error line of a failed gpgme step: "what: gpgme: <source>: <text>", or just "what"
 * when ge is 0. */
void cw_gpg_errfmt(char *buf, size_t bufsz, const char *what, gpgme_error_t ge);

#endif
