/* wallet-entry --spec FILE: a JSON object that holds what the command line holds. Its keys
 * are the long names of the option table (options.c), '-' written as '_', so that every
 * option, those added later included, is a key with no code of its own here; and "command",
 * the program and its arguments. The values are checked against the rows: a flag takes true
 * or false, an option with an argument a string (or an integer, when the argument is a
 * number: a row whose arg is SECONDS, N, UID or GID), a repeatable option one of those or a
 * list of them. Options that print and exit (help, version) and "spec" itself are not keys.
 * Relative paths of the rows that name a file are taken from the file's directory (the SRC
 * of a "template" too).
 * options.c decides what the file's values give way to (docs: wallet-entry(1), PRECEDENCE). */
#ifndef ENTRY_SPECFILE_H
#define ENTRY_SPECFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* The file is read whole, up to this size. */
#define ENT_SPECFILE_MAX ((size_t)1 << 20)

/* The values of one key, as strings (a flag set to true: none). */
struct ent_specfile_key {
	size_t row; /* index into ent_options */
	char **vals;
	size_t n;
};

struct ent_specfile {
	struct ent_specfile_key *keys; /* in the file's order; a flag set to false is left out */
	size_t nkeys;
	char **command; /* NULL-terminated; NULL when the file has no "command" */
	size_t ncommand;
};

/* Parses text[0..len), the content of the spec file named file (for messages, and whose
 * directory relative paths are taken from). On CW_ERR_USAGE err is one line that names the
 * file and, where there is one, the key; CW_ERR_NOMEM when out of memory. */
cw_status ent_specfile_parse(const char *text, size_t len, const char *file,
                             struct ent_specfile **out, char *err, size_t errsz);

/* Reads the regular file path (through symbolic links: orchestrators mount files through
 * them) and parses it. */
cw_status ent_specfile_load(const char *path, struct ent_specfile **out, char *err, size_t errsz);

/* The values of row in f, or NULL. */
const struct ent_specfile_key *ent_specfile_find(const struct ent_specfile *f, size_t row);

/* NULL is accepted. */
void ent_specfile_free(struct ent_specfile *f);

#endif
