/* The client's reading of an answer (client/lib/httpmsg.c): where the head ends, the head
 * itself, and the chunked transfer coding of the body after it. The input is what a server
 * (or anything posing as one) sends. Invariants: an accepted head is consistent (one framing,
 * a status in range), and the chunked decoder gives the same data and stops at the same byte
 * whether the body arrives at once or a byte at a time, never producing more than it read. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "httpmsg.h"

struct sink {
	unsigned char *buf;
	size_t len, cap;
};

static cw_status collect(void *arg, const unsigned char *data, size_t n)
{
	struct sink *s = arg;
	FUZZ_CHECK(s->len + n <= s->cap);
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return CW_OK;
}

/* Decodes body[0..n) in steps of step bytes; returns the bytes consumed. */
static size_t decode(const unsigned char *body, size_t n, size_t step, struct sink *out,
                     cw_status *st, bool *done)
{
	struct wc_chunked c = {0};
	size_t at = 0;
	*st = CW_OK;
	*done = false;
	while (at < n && *st == CW_OK && !*done) {
		size_t k = n - at < step ? n - at : step, used = 0;
		const char *why = NULL;
		*st = wc_chunked_feed(&c, body + at, k, &used, done, collect, out, &why);
		FUZZ_CHECK(used <= k && why != NULL);
		FUZZ_CHECK(*st != CW_OK || *done || used == k);
		at += used;
	}
	return at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t end = wc_http_head_end(text, size);
	FUZZ_CHECK(end <= size);
	/* the bytes as a Date or Last-Modified value: an IMF-fixdate or nothing */
	time_t t = wc_http_date(text, size);
	FUZZ_CHECK(t == -1 || (size == 29 && t >= 0));
	if (end > 0) {
		struct wc_http_head h;
		const char *why = NULL;
		if (wc_http_parse_head(text, end, &h, &why) == CW_OK) {
			FUZZ_CHECK(h.status >= 100 && h.status <= 599);
			FUZZ_CHECK(!(h.chunked && h.has_length));
			FUZZ_CHECK(h.http11 || h.close);
			FUZZ_CHECK(!h.body || h.chunked || h.has_length || h.close);
			/* the validators a watcher keeps: a valid ETag or none, dates or -1 */
			FUZZ_CHECK(h.etag[0] == '\0' || cw_etag_valid(h.etag, strlen(h.etag)));
			FUZZ_CHECK(h.date >= -1 && h.last_modified >= -1);
		} else {
			FUZZ_CHECK(why != NULL && why[0] != '\0');
		}
	}
	/* the bytes after the head (or all of them) as a chunked body */
	const unsigned char *body = data + end;
	size_t n = size - end;
	struct sink whole = {malloc(n + 1), 0, n}, bytewise = {malloc(n + 1), 0, n};
	FUZZ_CHECK(whole.buf != NULL && bytewise.buf != NULL);
	cw_status s1, s2;
	bool d1, d2;
	size_t u1 = decode(body, n, n ? n : 1, &whole, &s1, &d1);
	size_t u2 = decode(body, n, 1, &bytewise, &s2, &d2);
	FUZZ_CHECK(s1 == s2 && d1 == d2 && u1 == u2);
	FUZZ_CHECK(whole.len == bytewise.len && whole.len <= u1);
	FUZZ_CHECK(whole.len == 0 || memcmp(whole.buf, bytewise.buf, whole.len) == 0);
	free(whole.buf);
	free(bytewise.buf);
	return 0;
}
