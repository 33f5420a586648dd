/* wallet-entry: JSON inside a secret, read where it lies. A scanner, not a tree: a value is
 * a span of the secret's own buffer (locked memory the library owns), so nothing of the
 * secret is copied into heap memory that would keep it after being freed. What has to be
 * decoded (a string's escapes) is decoded into a cw_sbuf, which is secure memory.
 *
 * The grammar is RFC 8259, strictly: one value with optional white space around it, strings
 * of valid UTF-8 without control characters, \u escapes with surrogates only in pairs,
 * numbers as the RFC writes them, nesting at most ENT_JSON_MAX_DEPTH deep. Duplicate member
 * names are not refused by ent_json_parse; ent_json_member reports them for the name it is
 * asked for, so that a lookup is never ambiguous.
 *
 * Used by templates ({{ secret "NAME" "KEY" }}) and meant for every other reader of JSON
 * secrets in wallet-entry (env-json). Every function is pure and thread-safe; none allocates
 * except into the cw_sbuf it is given. */
#ifndef ENTRY_JSONSECRET_H
#define ENTRY_JSONSECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "secmem.h"
#include "status.h"

#define ENT_JSON_MAX_DEPTH 64

enum ent_json_type {
	ENT_JSON_OBJECT,
	ENT_JSON_ARRAY,
	ENT_JSON_STRING,
	ENT_JSON_NUMBER,
	ENT_JSON_TRUE,
	ENT_JSON_FALSE,
	ENT_JSON_NULL
};

/* A value: its type and the bytes that write it, quotes and brackets included (p points into
 * the buffer given to ent_json_parse, which must outlive it). */
struct ent_json {
	enum ent_json_type type;
	const unsigned char *p;
	size_t len;
};

/* Checks that data[0..len) is exactly one JSON value and sets *out to it (without the white
 * space around it). false, *out untouched, for anything else. The functions below take only
 * values that came from here. */
bool ent_json_parse(const unsigned char *data, size_t len, struct ent_json *out);

/* Steps through an object's members or an array's elements: start with *pos = 0; each call
 * sets *val (and, for an object, *key, a string value; key may be NULL for an array) to the
 * next one and returns true, or returns false after the last. */
bool ent_json_next(const struct ent_json *container, size_t *pos, struct ent_json *key,
                   struct ent_json *val);

/* The member of object obj whose name, decoded, is the n bytes of name: CW_OK and *out;
 * CW_ERR_NOTFOUND when there is none; CW_ERR_EXISTS when there are two or more (*out then is
 * the first). out may be obj. */
cw_status ent_json_member(const struct ent_json *obj, const char *name, size_t n,
                          struct ent_json *out);

/* Element i (from 0) of array arr: CW_OK and *out, or CW_ERR_NOTFOUND. out may be arr. */
cw_status ent_json_element(const struct ent_json *arr, size_t i, struct ent_json *out);

/* Whether string value s, decoded, is exactly the n bytes of b. Compares as it decodes. */
bool ent_json_string_equals(const struct ent_json *s, const char *b, size_t n);

/* Appends v as text to out: a string decoded (UTF-8, without its quotes; it may hold NUL
 * bytes from \u0000), a number, true, false or null as written, an object or array as compact
 * JSON (the white space between tokens removed, strings kept as written). CW_ERR_NOMEM or
 * CW_ERR_TOOBIG from cw_sbuf_append; out then holds part of it (the caller wipes it). */
cw_status ent_json_append(const struct ent_json *v, cw_sbuf *out);

#endif
