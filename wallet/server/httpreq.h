/* Strict parsing of what a client puts in a request line: %-decoding of the object name and
 * the query parameters of the API. Pure functions, thread-safe; nothing here touches the file
 * system, so the server validates a request completely before it looks anything up. */
#ifndef WALLET_HTTPREQ_H
#define WALLET_HTTPREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes in[0..inlen) into out (NUL-terminated): "%XX" with two hex digits becomes that
 * byte; a '%' not followed by two hex digits, an escape producing NUL, or a result of
 * outsz bytes or more is refused (false). Other bytes are copied; the caller then applies
 * the name grammar to the result. */
bool http_pct_decode(const char *in, size_t inlen, char *out, size_t outsz, size_t *outlen);

/* The query of GET /v1/objects/{name}: empty, or exactly "version=N" with N a decimal
 * 1..CW_VERSION_MAX without leading zeros (escapes are decoded first). *version = 0 when
 * absent. False for anything else: unknown or repeated parameters, empty pieces. */
bool http_query_version(const char *query, uint64_t *version);

/* The query of GET /v1/objects: empty, or exactly "prefix=P" where P (decoded) is a group
 * ("app1/") or a valid name. prefix receives it ("" when absent); prefixsz >= 257. */
bool http_query_prefix(const char *query, char *prefix, size_t prefixsz);

#endif
