/* libwalletclient: HTTPS GET with URL fail-over. One connection per client (conn.c) is kept
 * alive across requests; URLs are tried in order, and while none answers the client waits with
 * exponential backoff up to the configured time. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "wc_internal.h"

void wc_resp_free(struct wc_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

static void resp_reset(struct wc_resp *r)
{
	size_t limit = r->limit, inm_url = r->inm_url;
	const char *inm = r->inm;
	wc_resp_free(r);
	r->limit = limit;
	r->inm = inm;
	r->inm_url = inm_url;
	r->date = r->last_modified = -1;
}

void wc_http_teardown(wallet_client *c)
{
	wc_tls_teardown(c);
}

static cw_status map_http(long code)
{
	switch (code) {
	case 200:
		return CW_OK;
	case 400:
		return CW_ERR_NAME;
	case 403:
		return CW_ERR_DENIED;
	case 404:
		return CW_ERR_NOTFOUND;
	case 502:
	case 503:
	case 504:
		return CW_ERR_NETWORK; /* a proxy or a replica not ready yet */
	default:
		return CW_ERR_HTTP;
	}
}

static void deadline_in(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

/* One GET on URL idx: over the kept connection when it goes there, else a new one. A kept
 * connection that fails before any byte of the answer (the server closed it meanwhile) gets
 * one more try on a new connection; the request is a GET, which may be sent twice.
 *
 * next (NULL: none) names the request the caller makes after this one: it is pipelined
 * (written with this one, wc_conn_get) unless an earlier try showed that this client's
 * servers do not keep a second request (c->pipe_off). A try that pipelined and failed, or
 * lost the queued answer, is tried once more on a new connection, one request at a time: a
 * server that closes after one answer may reset the connection under it. */
static cw_status one_get(wallet_client *c, size_t idx, const char *path, struct wc_resp *r,
                         wc_next_fn next)
{
	char why[sizeof c->err], then[WC_PIPE_DEPTH][WC_PIPE_PATH_MAX];
	const char *base = c->cfg.urls[idx];
	cw_status st = c->warm_st;
	if (st != CW_OK && c->warm_url == idx) {
		/* the connection opened ahead of this request failed: that was this attempt */
		c->warm_st = CW_OK;
		wc_err(c, "%s: %s", base, c->warm_err);
		return st;
	}
	deadline_in(&c->io_connect_by, c->cfg.connect_ms);
	deadline_in(&c->io_done_by, c->cfg.request_ms);
	/* answers on the way ahead of this one (asked for by a call that did not take them);
	 * a failure there leaves the connection unusable, and this request a new one */
	if (wc_conn_queued(c->conn, NULL) && wc_conn_url(c->conn) == idx) {
		memcpy(why, c->err, sizeof why);
		(void)wc_conn_skip_to(c, c->conn, path);
		memcpy(c->err, why, sizeof why);
	}
	for (int tries = 0; tries < 2; tries++) {
		bool kept = wc_conn_reusable_for(c->conn, path, r) && wc_conn_url(c->conn) == idx,
		     early = false;
		if (!kept) {
			wc_conn_close(c->conn);
			c->conn = NULL;
			if ((st = wc_conn_open(c, idx, &c->conn)) != CW_OK)
				break;
		}
		size_t nthen = 0;
		bool piped = kept && wc_conn_queued(c->conn, path); /* asked for before */
		if (next != NULL && !piped && !c->pipe_off && !c->close_after_get)
			nthen = next(c, then, WC_PIPE_DEPTH);
		piped = piped || nthen > 0;
		resp_reset(r);
		st = wc_conn_get(c, c->conn, path, then, nthen, r, &early);
		if (piped && (st != CW_OK || (nthen > 0 && !wc_conn_reusable(c->conn))))
			c->pipe_off = true; /* from now on, one request at a time */
		if (st == CW_OK || st != CW_ERR_NETWORK || !((kept && early) || piped))
			break;
		wc_log(c, "%s: the %s connection failed (%s); a new one", base,
		       piped ? "pipelined" : "kept", c->err);
		/* the new try has its own time: the failed one may have used all of it waiting
		 * for an answer that a server dropped */
		deadline_in(&c->io_connect_by, c->cfg.connect_ms);
		deadline_in(&c->io_done_by, c->cfg.request_ms);
	}
	if (c->close_after_get || (st != CW_OK && !wc_conn_reusable(c->conn))) {
		if (st == CW_OK && c->close_after_get)
			wc_conn_close_keep_session(c, c->conn); /* a watcher's poll */
		else
			wc_conn_close(c->conn);
		c->conn = NULL;
	}
	if (st != CW_OK) {
		memcpy(why, c->err, sizeof why);
		wc_err(c, "%s: %s", base, why);
		return st;
	}
	if (r->inm != NULL && r->inm_url == idx && r->status == 304)
		return CW_OK; /* not modified: the caller's copy is still the current one */
	st = map_http(r->status);
	if (st != CW_OK)
		wc_err(c, "%s: HTTP status %ld", base, r->status);
	return st;
}

cw_status wc_http_take(wallet_client *c, const char *path, size_t limit, struct wc_resp *r)
{
	char keep[sizeof c->err];
	bool early = false;
	if (!wc_conn_queued(c->conn, path))
		return CW_ERR_NOTFOUND;
	memcpy(keep, c->err, sizeof keep);
	deadline_in(&c->io_connect_by, c->cfg.connect_ms);
	deadline_in(&c->io_done_by, c->cfg.request_ms);
	r->limit = limit;
	resp_reset(r);
	cw_status st = wc_conn_skip_to(c, c->conn, path);
	if (st == CW_OK && !wc_conn_reusable_for(c->conn, path, r))
		st = CW_ERR_NETWORK;
	if (st == CW_OK)
		st = wc_conn_get(c, c->conn, path, NULL, 0, r, &early);
	if (st != CW_OK) {
		c->pipe_off = true;
		if (!wc_conn_reusable(c->conn)) {
			wc_conn_close(c->conn);
			c->conn = NULL;
		}
	}
	memcpy(c->err, keep, sizeof keep);
	return st == CW_OK ? map_http(r->status) : st;
}

void wc_http_warm(wallet_client *c)
{
	size_t idx = c->cur_url;
	if (c->conn != NULL || c->cfg.nurls == 0 || c->url_bad[idx])
		return;
	char keep[sizeof c->err];
	memcpy(keep, c->err, sizeof keep);
	deadline_in(&c->io_connect_by, c->cfg.connect_ms);
	deadline_in(&c->io_done_by, c->cfg.request_ms);
	cw_status st = wc_conn_open(c, idx, &c->conn);
	if (st != CW_OK) {
		c->conn = NULL;
		c->warm_st = st;
		c->warm_url = idx;
		snprintf(c->warm_err, sizeof c->warm_err, "%s", c->err);
	}
	memcpy(c->err, keep, sizeof keep);
}

static long ms_until(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

bool wc_urls_exhausted(const wallet_client *c)
{
	for (size_t i = 0; i < c->cfg.nurls; i++)
		if (!c->url_bad[i])
			return false;
	return true;
}

cw_status wc_no_fresh_url(wallet_client *c)
{
	/* every URL answered, with data that failed: fail closed, naming each */
	wc_err(c, "no wallet URL has fresh data: %s", c->stale_why);
	return c->stale_mixed || c->stale_st == CW_OK ? CW_ERR_STALE : c->stale_st;
}

cw_status wc_http_get(wallet_client *c, const char *path, size_t limit, struct wc_resp *r)
{
	return wc_http_get_then(c, path, limit, r, NULL);
}

cw_status wc_http_get_then(wallet_client *c, const char *path, size_t limit, struct wc_resp *r,
                           wc_next_fn next)
{
	long backoff = 100;
	if (!c->wait_started) {
		clock_gettime(CLOCK_MONOTONIC, &c->wait_deadline);
		c->wait_deadline.tv_sec += c->cfg.wait_ms / 1000;
		c->wait_deadline.tv_nsec += (c->cfg.wait_ms % 1000) * 1000000;
		if (c->wait_deadline.tv_nsec >= 1000000000) {
			c->wait_deadline.tv_sec++;
			c->wait_deadline.tv_nsec -= 1000000000;
		}
		c->wait_started = true;
	}
	r->limit = limit;
	for (unsigned attempt = 1;; attempt++) {
		cw_status st = CW_ERR_NETWORK, hard = CW_OK;
		char hard_err[sizeof c->err] = "";
		size_t tried = 0;
		for (size_t k = 0; k < c->cfg.nurls; k++) {
			size_t idx = (c->cur_url + k) % c->cfg.nurls;
			if (c->url_bad[idx])
				continue; /* it served stale or contradicted data: never again */
			tried++;
			st = one_get(c, idx, path, r, next);
			if (st != CW_ERR_NETWORK && st != CW_ERR_TLS) {
				c->cur_url =
				    idx; /* the next request starts with the one that answered */
				return st;
			}
			if (hard == CW_OK && st == CW_ERR_TLS) {
				hard = st;
				memcpy(hard_err, c->err, sizeof hard_err);
			}
			if (k + 1 < c->cfg.nurls)
				wc_log(c, "%s; trying the next wallet URL", c->err);
		}
		if (tried == 0)
			return wc_no_fresh_url(c);
		if (hard != CW_OK) {
			memcpy(c->err, hard_err, sizeof c->err);
			return hard; /* a wallet answered, but TLS failed: waiting will not help */
		}
		long left = ms_until(&c->wait_deadline);
		if (left <= 0) {
			if (attempt > 1)
				wc_log(c, "giving up after %u attempts: %s", attempt, c->err);
			return st;
		}
		long nap = backoff < left ? backoff : left;
		wc_log(c, "attempt %u: no wallet answers (%s); retrying in %ld ms", attempt, c->err,
		       nap);
		/* in slices, so that a cancel request is seen within 50 ms */
		for (long slept = 0; slept < nap && !wc_canceled(c); slept += 50) {
			long d = nap - slept < 50 ? nap - slept : 50;
			struct timespec ts = {0, d * 1000000};
			(void)nanosleep(&ts, NULL);
		}
		if (wc_canceled(c)) {
			wc_err(c, "canceled while waiting for a wallet");
			return CW_ERR_NETWORK;
		}
		backoff = backoff >= 1000 ? 2000 : backoff * 2;
	}
}

cw_status wc_b64_decode(const char *in, unsigned char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	size_t n = strlen(in);
	if (n == 0 || n % 4 != 0 || n > WC_MAX_SIGHDR ||
	    strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
		return CW_ERR_PROTOCOL;
	size_t pad = 0;
	if (in[n - 1] == '=')
		pad++;
	if (in[n - 2] == '=')
		pad++;
	/* '=' only as the last one or two characters */
	if (memchr(in, '=', n - pad) != NULL)
		return CW_ERR_PROTOCOL;
	unsigned char *buf = malloc(n / 4 * 3 + 1);
	if (buf == NULL)
		return CW_ERR_NOMEM;
	/* EVP_DecodeBlock ignores padding and returns whole groups of 3 bytes */
	int got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return CW_ERR_PROTOCOL;
	}
	*out = buf;
	*outlen = (size_t)got - pad;
	return CW_OK;
}
