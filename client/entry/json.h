/* wallet-entry: a strict JSON reader (RFC 8259) that works in the caller's buffer and never
 * copies it: it checks a document, then walks the members of an object or the elements of an
 * array, giving each value as a span of the buffer, and decodes a string into a buffer the
 * caller supplies. A secret (env-json) is read in its locked memory, with no copy on the heap
 * (cJSON would make one per string). The spec file (specfile.c) is read with it too, which
 * also finds what cJSON lets through: duplicate keys are the caller's to find, but a NUL
 * byte, invalid UTF-8, a lone surrogate or bytes after the value are refused here.
 * No allocation, no state: thread-safe. */
#ifndef ENTRY_JSON_H
#define ENTRY_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* Containers nest at most this deep. */
#define ENT_JSON_MAX_DEPTH 64

enum ent_json_type {
	ENT_JSON_STRING,
	ENT_JSON_NUMBER,
	ENT_JSON_TRUE,
	ENT_JSON_FALSE,
	ENT_JSON_NULL,
	ENT_JSON_OBJECT,
	ENT_JSON_ARRAY,
};

/* A value of a checked document: its text is p[0..len) (a string with its quotes, a
 * container with its brackets, a number as written). */
struct ent_json_span {
	enum ent_json_type type;
	const char *p;
	size_t len;
};

/* Whether text[0..len) is exactly one JSON value, with white space around it at most. When
 * it is, *root is that value; when not, *errat is the offset of the first byte that does not
 * fit (len for a document cut short). */
bool ent_json_check(const char *text, size_t len, struct ent_json_span *root, size_t *errat);

/* A walk over the members of an object or the elements of an array of a checked document. */
struct ent_json_iter {
	const char *p, *end;
	bool object;
};

/* Starts a walk over c (an object or an array). */
void ent_json_iter_init(struct ent_json_iter *it, const struct ent_json_span *c);

/* The next member (key: its name, a string) or element (key untouched); false at the end. */
bool ent_json_next(struct ent_json_iter *it, struct ent_json_span *key, struct ent_json_span *val);

/* Decodes the string s into out, which must hold s->len bytes (decoding never makes a string
 * longer than its text), and NUL-terminates it. Returns the decoded length: a "\u0000" in the
 * text makes a NUL byte before it, which the caller checks for when that matters. */
size_t ent_json_string(const struct ent_json_span *s, char *out);

#endif
