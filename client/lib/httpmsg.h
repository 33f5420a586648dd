/* libwalletclient: the framing of an HTTP/1.1 answer (RFC 9112) as the client reads it: the
 * status line and the header lines up to the empty line, and the chunked transfer coding.
 * Pure functions over bytes a server sent (outside input): nothing here does I/O, so the
 * fuzz target spec/fuzz/fuzz_httpresp.c drives them directly. Not installed. */
#ifndef WC_HTTPMSG_H
#define WC_HTTPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "etag.h"
#include "status.h"

/* The largest head (status line and header lines) and the largest trailer section accepted:
 * a detached signature sent as a header is at most 16 KiB of base64. */
#define WC_HTTP_MAX_HEAD ((size_t)64 << 10)

/* What the client needs of an answer's head. */
struct wc_http_head {
	int status;      /* 100..599 */
	bool http11;     /* HTTP/1.1 (otherwise 1.0) */
	bool close;      /* the server closes the connection after this answer */
	bool chunked;    /* Transfer-Encoding: chunked */
	bool has_length; /* Content-Length given (and no Transfer-Encoding) */
	uint64_t length; /* its value */
	bool body;       /* a body follows (not for 1xx, 204 and 304) */
	/* the ETag when it is a valid entity tag (cw_etag_valid), else "" */
	char etag[CW_ETAG_MAX + 1];
	/* Date and Last-Modified (wc_http_date); -1 when absent. A Last-Modified that is not
	 * an IMF-fixdate counts as the latest time there is, so that an ETag with it is never
	 * taken as settled. */
	time_t date, last_modified;
};

/* An IMF-fixdate (RFC 9110 5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT"), exactly, in v[0..n):
 * the time, or -1 for anything else (the obsolete forms included). */
time_t wc_http_date(const char *v, size_t n);

/* Where the head in buf[0..len) ends: the offset just after its empty line (CRLF CRLF, or a
 * bare LF as line end), or 0 while the empty line has not arrived. */
size_t wc_http_head_end(const char *buf, size_t len);

/* Parses a complete head (buf[0..len), up to and with the empty line) into *h. CW_OK, or
 * CW_ERR_PROTOCOL with a short reason in why (static text) for anything malformed: a status
 * line other than "HTTP/1.0|1.1 NNN ...", a header line without a name and a colon, obsolete
 * line folding, control bytes in a value, a Content-Length that is not one decimal number
 * (or several that differ), a transfer coding other than chunked. */
cw_status wc_http_parse_head(const char *buf, size_t len, struct wc_http_head *h, const char **why);

/* The chunked transfer coding, decoded as the bytes arrive. Zero-initialise before the
 * first call. */
struct wc_chunked {
	int state;
	uint64_t left;   /* data bytes left in the current chunk */
	size_t linelen;  /* bytes of the current size or trailer line */
	size_t trailers; /* bytes of the trailer section so far */
	char digits[16]; /* the size line's hex digits so far (at most 15) */
	size_t ndigits;
	bool ext; /* in a chunk extension (ignored up to the line end) */
};

/* Where wc_chunked_feed writes the decoded data. Returns CW_OK or the error to stop with. */
typedef cw_status (*wc_http_sink)(void *arg, const unsigned char *data, size_t n);

/* Decodes in[0..n): data goes to sink, *used says how many input bytes were consumed (fewer
 * than n only once the body is complete: the rest belongs to the next answer), *done turns
 * true after the last chunk and its trailer section. CW_ERR_PROTOCOL (why set) for a
 * malformed size line or chunk end, or a trailer section over WC_HTTP_MAX_HEAD; a sink
 * error is returned as it is. */
cw_status wc_chunked_feed(struct wc_chunked *c, const unsigned char *in, size_t n, size_t *used,
                          bool *done, wc_http_sink sink, void *arg, const char **why);

#endif
