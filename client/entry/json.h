/* wallet-entry: the one JSON reader, strict RFC 8259, that works in the caller's buffer and
 * never copies it: a scanner, not a tree. It checks a document (and says where it stops
 * fitting), then walks the members of an object or the elements of an array, finds a member
 * by name or an element by index, giving each value as a span of the buffer; a string is
 * compared as it is decoded, or decoded into a buffer the caller supplies or into a cw_sbuf
 * (secure memory). A secret (env-json, {{ secret "NAME" "KEY" }} in a template) is thus read
 * in its locked memory with no copy on the heap (cJSON would make one per string); the spec
 * file (specfile.c) is read with it too.
 *
 * The grammar, strictly: one value with optional white space around it, strings of valid
 * UTF-8 without control characters (a NUL byte included), \u escapes with surrogates only in
 * pairs, numbers as the RFC writes them, nesting at most ENT_JSON_MAX_DEPTH deep, nothing
 * after the value. Duplicate member names are not refused by ent_json_parse: ent_json_member
 * reports them for the name it is asked for, and the other callers find their own.
 *
 * No state; nothing allocates except into the cw_sbuf it is given: thread-safe. */
#ifndef ENTRY_JSON_H
#define ENTRY_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "secmem.h"
#include "status.h"

/* Containers nest at most this deep. */
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

/* A value: its type and the bytes that write it, p[0..len) (a string with its quotes, a
 * container with its brackets, a number as written). p points into the buffer given to
 * ent_json_parse, which must outlive it. */
struct ent_json {
	enum ent_json_type type;
	const unsigned char *p;
	size_t len;
};

/* Whether data[0..len) is exactly one JSON value, with white space around it at most. When
 * it is, *out is that value (without the white space). When not, *out is untouched and, if
 * errat is not NULL, *errat is the offset of the first byte that does not fit (len for a
 * document cut short). The functions below take only values that came from here. */
bool ent_json_parse(const unsigned char *data, size_t len, struct ent_json *out, size_t *errat);

/* Steps through an object's members or an array's elements: start with *pos = 0; each call
 * sets *val (and, for an object, *key, a string value; key may be NULL) to the next one and
 * returns true, or returns false after the last (and for a value that is no container). */
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

/* Decodes the string s into out, which must hold s->len bytes (decoding never makes a string
 * longer than its text), and NUL-terminates it. Returns the decoded length: a "\u0000" in the
 * text makes a NUL byte before it, which the caller checks for when that matters. */
size_t ent_json_string(const struct ent_json *s, char *out);

/* Appends v as text to out: a string decoded (UTF-8, without its quotes; it may hold NUL
 * bytes from \u0000), a number, true, false or null as written, an object or array as compact
 * JSON (the white space between tokens removed, strings kept as written). CW_ERR_NOMEM or
 * CW_ERR_TOOBIG from cw_sbuf_append; out then holds part of it (the caller wipes it). */
cw_status ent_json_append(const struct ent_json *v, cw_sbuf *out);

#endif
