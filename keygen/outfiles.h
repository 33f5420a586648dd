/* The set of files one wallet-keygen command writes, published as one transaction: every file
 * is written to a temp file beside its target and fsynced first; only then are they renamed
 * into place. Without force an existing target is refused before anything is written (and
 * renameat2 RENAME_NOREPLACE closes the race); with force an existing target is swapped with
 * RENAME_EXCHANGE, so a failure half-way can swap it back. On any failure, every file and
 * directory this call created is removed and replaced files are restored.
 * Directories it creates get mode 0700. Not thread-safe per object. */
#ifndef KG_OUTFILES_H
#define KG_OUTFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "status.h"

#define KG_FILES_MAX 512
#define KG_REL_MAX 256

typedef struct kg_file {
	char rel[KG_REL_MAX]; /* path below the output directory, e.g. "clients/app1/tls.key" */
	unsigned char *data;  /* secure memory when secret, else malloc */
	size_t len;
	mode_t mode;
	bool secret;
} kg_file;

typedef struct kg_files {
	kg_file f[KG_FILES_MAX];
	size_t n;
} kg_files;

/* Copies data in (secret data into secure memory). Initialise the set with kg_files_init. */
void kg_files_init(kg_files *fs);
cw_status kg_files_add(kg_files *fs, const char *rel, const void *data, size_t len, mode_t mode,
                       bool secret);
/* Wipes the secret copies and frees everything. */
void kg_files_free(kg_files *fs);

/* Refuses (CW_ERR_EXISTS, the path in err) when a target exists and force is false; refuses
 * a target that exists and is a directory in any case. Nothing is touched. */
cw_status kg_files_check(const kg_files *fs, const char *outdir, bool force, char *err,
                         size_t errsz);
/* kg_files_check, then the transaction described above. */
cw_status kg_files_publish(const kg_files *fs, const char *outdir, bool force, char *err,
                           size_t errsz);

#endif
