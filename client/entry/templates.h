/* wallet-entry: the --template SRC=DEST options of one run, around the templates of
 * template.h.
 *
 * Life of a --template in wallet-entry: ent_templates_add (option parsing: reads and parses
 * SRC, parses DEST) -> ent_templates_add_specs (the names it uses join the fetch list, once
 * the command line, the environment and the spec file have given theirs) ->
 * ent_templates_slots (no DEST where another delivery writes: before any request, and again
 * before delivery) -> fetch -> ent_templates_render (all of them, before any delivery) ->
 * ent_templates_deliver
 * -> ent_templates_wipe.
 *
 * Re-rendering on rotation (the watch mode): call ent_templates_render again with a lookup
 * that answers with the new secrets (the parsed templates are kept for the whole run and are
 * not changed by rendering), and, if it succeeds, deliver the new renderings to the same
 * destinations (ent_templates_deliver, or the watch mode's own re-delivery of each
 * ts->v[i].dest) and wipe them. If it fails, nothing was delivered: keep the old ones.
 *
 * Not thread-safe (delivery changes the environment). */
#ifndef ENTRY_TEMPLATES_H
#define ENTRY_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>

#include "dest.h"
#include "secmem.h"
#include "status.h"
#include "template.h"

/* One --template SRC=DEST. dest is a DEST of --fetch (fd:VAR, env:VAR with VAR given, or
 * file:PATH); its name is "--template SRC" (SRC cut at 230 bytes), for messages and as the
 * memfd's name: not an object name. */
struct ent_tpl {
	struct ent_template *t;
	struct ent_spec dest;
};

struct ent_templates {
	struct ent_tpl *v;
	size_t n;
};

/* Parses one --template argument, SRC=DEST (SRC up to the first '='), and reads and parses
 * SRC. CW_ERR_USAGE (err says why) for any fault. */
cw_status ent_templates_add(struct ent_templates *ts, const char *arg, char *err, size_t errsz);

/* Adds to specs what the templates use and specs does not fetch yet: one spec per name, of
 * kind ENT_NONE (fetched, delivered nowhere), with the highest minimum asked for. A name
 * already fetched by a spec of its own or as a member of a group spec is not added (the
 * minimum is checked again at rendering). Call once every --fetch is known. */
cw_status ent_templates_add_specs(const struct ent_templates *ts, struct ent_spec **specs,
                                  size_t *nspecs, char *err, size_t errsz);

/* Adds the slot of each template's DEST to s (dest.h, collisions), named "--template SRC"
 * in messages. CW_ERR_NOMEM or CW_ERR_NAME with err saying why. */
cw_status ent_templates_slots(const struct ent_templates *ts, struct ent_slots *s, char *err,
                              size_t errsz);

/* "SRC:LINE" of the first use of name in a template, for reporting a fetch that failed;
 * false when no template uses it. */
bool ent_templates_where(const struct ent_templates *ts, const char *name, char *buf, size_t bufsz);

/* Renders every template into out[0..ts->n) (calloc'd by the caller, entries {0}). On failure
 * every out[i] is wiped and err says which template, line and why. */
cw_status ent_templates_render(const struct ent_templates *ts, ent_secret_lookup lookup, void *arg,
                               cw_sbuf *out, char *err, size_t errsz);

/* Delivers out[i] to ts->v[i].dest (ent_deliver), recording what it makes in files. */
cw_status ent_templates_deliver(const struct ent_templates *ts, const cw_sbuf *out,
                                const struct ent_opts *o, struct ent_files *files, char *err,
                                size_t errsz);

/* Wipes and frees out[0..n) and the array itself (NULL accepted). */
void ent_templates_wipe(cw_sbuf *out, size_t n);

void ent_templates_free(struct ent_templates *ts);

#endif
