/* HTTP entity tags (RFC 9110, 8.8.3 and 13.1.2), the one grammar both sides use: the wallet
 * answers If-None-Match on what watchers poll, and libwalletclient keeps the ETag a server
 * (the wallet, or a static mirror such as nginx) sent with a manifest to ask again with it.
 *   entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE    etagc = %x21 / %x23-7E
 * (obs-text, bytes 0x80-0xFF, is refused: no server of ours sends it). Pure, thread-safe. */
#ifndef CW_ETAG_H
#define CW_ETAG_H

#include <stdbool.h>
#include <stddef.h>

/* Longest entity tag either side keeps or compares (an ETag of the wallet is 66 bytes). */
#define CW_ETAG_MAX 128

/* Whether s[0..len) is exactly one entity tag of at most CW_ETAG_MAX bytes. len is explicit
 * so that an embedded NUL is caught. */
bool cw_etag_valid(const char *s, size_t len);

/* Whether an If-None-Match field value (a comma-separated list of entity tags, optional
 * white space around the commas (a comma inside a tag is part of it), or "*") matches etag, with
 * the weak comparison that If-None-Match uses (a W/ prefix on either side is ignored). A list with
 * any element that is not an entity tag matches nothing (the request then gets a full answer). etag
 * must be valid; "*" matches any etag. */
bool cw_etag_match(const char *if_none_match, const char *etag);

#endif
