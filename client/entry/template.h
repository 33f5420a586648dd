/* wallet-entry: templates (--template SRC=DEST). A template is a text file in which every
 * action between "{{" and "}}" is replaced when it is rendered:
 *
 *   {{ secret "NAME" }}         the bytes of secret NAME as they are
 *   {{ secret "NAME" "KEY" }}   a field of secret NAME, a JSON object: a string field gives its
 *                               text (decoded, without quotes), a number, true, false as written,
 *                               an object or array its compact JSON; null is an error
 *   {{ "TEXT" }}                TEXT itself: {{ "{{" }} writes "{{"
 *
 * Text outside actions is copied byte for byte ("}}" there is plain text). White space
 * (space, tab, newline) inside "{{ }}" is free. NAME is NAME[@MINVERSION] of --fetch (no
 * group); the secret must be at least MINVERSION. KEY is a path: "db.user" is field user of
 * field db; a segment of digits picks that element (from 0) when the value there is an
 * array ("hosts.0"), and is a field name otherwise. Inside the quotes, \" is a quote and \\ a
 * backslash; in KEY, \. is a dot that belongs to a field name ("a\.b" is the field "a.b").
 * Nothing else may follow a backslash. An empty field name cannot be reached.
 *
 * A template file is at most ENT_TEMPLATE_MAX bytes, with no NUL byte (any other byte is
 * copied as it is: UTF-8 is not required); a rendering at most ENT_TEMPLATE_OUT_MAX bytes,
 * built in secure memory (cw_sbuf). Errors are one line, "SRC:LINE: what", with the line of
 * the action ("{{"); they name secrets and keys, never a secret's content.
 *
 * The --template options of a run (reading SRC, fetching what it names, delivering the
 * renderings, rendering again on rotation) are in templates.h. A parsed template is read-only
 * while it is rendered: rendering is thread-safe as long as the lookup is. */
#ifndef ENTRY_TEMPLATE_H
#define ENTRY_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "name.h"
#include "secmem.h"
#include "status.h"

#define ENT_TEMPLATE_MAX ((size_t)1 << 20)      /* largest template file */
#define ENT_TEMPLATE_OUT_MAX ((size_t)64 << 20) /* largest rendering */

/* A parsed template (opaque). */
struct ent_template;

/* A secret a template uses, once per name: the highest MINVERSION asked for and the line of
 * its first use. */
struct ent_template_use {
	char name[CW_NAME_MAX + 1];
	uint64_t min_version;
	size_t line;
};

/* Parses text[0..len) (which need not be NUL-terminated); label names it in errors (the file
 * name). On failure err holds "LABEL:LINE: what" and the status is CW_ERR_USAGE (syntax), or
 * CW_ERR_TOOBIG / CW_ERR_NOMEM. The caller frees *out with ent_template_free. */
cw_status ent_template_parse(const char *label, const char *text, size_t len,
                             struct ent_template **out, char *err, size_t errsz);
/* Reads file path (symbolic links followed: a Kubernetes ConfigMap is made of them) and
 * parses it with path as its label. */
cw_status ent_template_load(const char *path, struct ent_template **out, char *err, size_t errsz);
void ent_template_free(struct ent_template *t);

const char *ent_template_label(const struct ent_template *t);
size_t ent_template_nuses(const struct ent_template *t);
const struct ent_template_use *ent_template_use(const struct ent_template *t, size_t i);

/* Gives the secret called name: its bytes (valid until rendering returns) and version.
 * CW_ERR_NOTFOUND when there is none; any other failure is reported as such. */
typedef cw_status (*ent_secret_lookup)(void *arg, const char *name, const unsigned char **data,
                                       size_t *len, uint64_t *version);

/* Renders t into out (initialised with {0}; cleared first). The result is followed by a NUL
 * byte that out->len does not count (an env: delivery needs a C string). On failure out is
 * wiped and err says "LABEL:LINE: what". */
cw_status ent_template_render(const struct ent_template *t, ent_secret_lookup lookup, void *arg,
                              cw_sbuf *out, char *err, size_t errsz);

#endif
