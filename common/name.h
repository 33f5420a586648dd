/* The object-name grammar (docs/DESIGN.md), shared by wallet, client and keygen.
 *   1..255 bytes; segments of [A-Za-z0-9._-]+ separated by '/';
 *   no empty, "." or ".." segment; no leading '/'.
 * A client name (the CN of a client certificate) is a single segment of at most 64 bytes. */
#ifndef CW_NAME_H
#define CW_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_NAME_MAX 255
#define CW_CLIENT_NAME_MAX 64

/* len is explicit so that an embedded NUL is caught. Pure, thread-safe. */
bool cw_name_valid(const char *name, size_t len);
/* A group prefix: a valid name followed by one '/' ("app1/"). */
bool cw_group_valid(const char *prefix, size_t len);
bool cw_client_name_valid(const char *name, size_t len);

/* Maps a valid name to a single file-name component: '/' becomes '@', which the grammar
 * forbids, so the mapping is one-to-one. out must hold CW_NAME_MAX + 1 bytes.
 * Returns false for an invalid name. */
bool cw_name_to_file(const char *name, char *out, size_t outsz);
/* The inverse; false when file is not the image of a valid name. */
bool cw_name_from_file(const char *file, char *out, size_t outsz);

/* FNV-1a of a NUL-terminated name: the slot of a name in a table keyed by names (the
 * server's caches). Not for anything an attacker must not be able to collide. */
uint32_t cw_name_hash(const char *name);

/* Object versions are 1 .. CW_VERSION_MAX (they fit in a JSON number exactly). */
#define CW_VERSION_MAX 9007199254740991ULL

/* The one parser of a version number, wherever one arrives (CLI, NAME@N, a query, a
 * signature notation, a directory name): len bytes of decimal digits, no sign, no leading
 * zero, no white space, 1 .. CW_VERSION_MAX. len is explicit so that an embedded NUL is
 * caught. Sets *out only on success. Pure, thread-safe. */
bool cw_version_parse(const char *s, size_t len, uint64_t *out);

#endif
