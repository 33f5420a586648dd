/* libwalletclient: HTTPS with libcurl. One easy handle per client keeps the TLS connection
 * alive across requests; URLs are tried in order, and while none answers the client waits with
 * exponential backoff up to the configured time. */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sealfmt.h"
#include "wc_internal.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void wc_resp_free(struct wc_resp *r)
{
	free(r->body);
	free(r->sig_b64);
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

/* A Date or Last-Modified value (an HTTP date), -1 when it is none. */
static time_t http_date(const char *v, size_t n)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return curl_getdate(buf, NULL);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct wc_resp *r = arg;
	size_t n = size * nmemb;
	if (n > r->limit || r->len > r->limit - n) {
		r->too_big = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 8192;
		while (cap < r->len + n)
			cap *= 2;
		unsigned char *b = realloc(r->body, cap + 1);
		if (b == NULL)
			return 0;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Trims a header value of surrounding white space (CR LF included). */
static void trim(const char **v, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**v)) {
		(*v)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*v)[*n - 1]))
		(*n)--;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct wc_resp *r = arg;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		/* a new answer (after a 100 Continue, say): forget the previous headers */
		r->version[0] = '\0';
		r->etag[0] = '\0';
		r->date = r->last_modified = -1;
		free(r->sig_b64);
		r->sig_b64 = NULL;
		return n;
	}
	const char *colon = memchr(ptr, ':', n);
	if (colon == NULL)
		return n;
	size_t klen = (size_t)(colon - ptr);
	const char *v = colon + 1;
	size_t vlen = n - klen - 1;
	trim(&v, &vlen);
	if (klen == strlen(CW_HDR_VERSION) && strncasecmp(ptr, CW_HDR_VERSION, klen) == 0) {
		if (vlen < sizeof r->version) {
			memcpy(r->version, v, vlen);
			r->version[vlen] = '\0';
		} else {
			strcpy(r->version, "x"); /* too long: invalid */
		}
	} else if (klen == 4 && strncasecmp(ptr, "Date", 4) == 0) {
		r->date = http_date(v, vlen);
	} else if (klen == 13 && strncasecmp(ptr, "Last-Modified", 13) == 0) {
		r->last_modified = http_date(v, vlen);
	} else if (klen == 4 && strncasecmp(ptr, "ETag", 4) == 0) {
		/* kept only when valid: it goes back to the server in If-None-Match */
		if (cw_etag_valid(v, vlen)) {
			memcpy(r->etag, v, vlen);
			r->etag[vlen] = '\0';
		} else {
			r->etag[0] = '\0';
		}
	} else if (klen == strlen(CW_HDR_SIGNATURE) &&
	           strncasecmp(ptr, CW_HDR_SIGNATURE, klen) == 0) {
		free(r->sig_b64);
		r->sig_b64 = NULL;
		if (vlen > WC_MAX_SIGHDR) {
			r->sig_too_big = true;
			return n;
		}
		r->sig_b64 = strndup(v, vlen);
		if (r->sig_b64 == NULL)
			return 0;
	}
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return wc_canceled(arg) ? 1 : 0; /* non-zero: CURLE_ABORTED_BY_CALLBACK */
}

/* Every socket close-on-exec: a program that keeps a client handle while it starts others
 * (wallet-entry --watch restarts PROGRAM) must not hand them the connection. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)arg;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

cw_status wc_http_setup(wallet_client *c)
{
	cw_status st = CW_ERR_TLS;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return CW_ERR_TLS;
	c->curl = curl_easy_init();
	if (c->curl == NULL)
		return CW_ERR_NOMEM;
	CURL *h = c->curl;
	/* Only TLS 1.2+ with ECDHE and AEAD ciphers; verify the server's chain and host name;
	 * never follow redirects; https only. */
	if (curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_CIPHER_LIST, "ECDHE+AESGCM:ECDHE+CHACHA20") !=
	        CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CAINFO, c->cfg.ca) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CAPATH, NULL) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLCERT, c->cfg.cert) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLKEY, c->cfg.key) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT,
	                     "libwalletclient/" WALLET_CLIENT_VERSION_STRING) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->cfg.connect_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->cfg.request_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 1L) != CURLE_OK)
		goto out;
	if (c->cfg.cancel != NULL &&
	    (curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	     curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK ||
	     curl_easy_setopt(h, CURLOPT_XFERINFODATA, c) != CURLE_OK))
		goto out;
	/* curl keeps its own copy of the passphrase for the handle's life: there is no way to
	 * hand it a buffer we own. Ours is wiped in wallet_client_free. */
	if (c->keypass != NULL && curl_easy_setopt(h, CURLOPT_KEYPASSWD, c->keypass) != CURLE_OK)
		goto out;
	st = CW_OK;
out:
	if (st != CW_OK)
		wc_err(c, "cannot configure libcurl");
	return st;
}

/* The class of a failure decides what happens next: NETWORK and 5xx move on and may wait,
 * TLS moves on but never waits, anything else is the answer. */
static cw_status map_curl(wallet_client *c, CURLcode rc, const struct wc_resp *r)
{
	switch (rc) {
	case CURLE_OK:
		return CW_OK;
	case CURLE_WRITE_ERROR:
		return r->too_big ? CW_ERR_TOOBIG : CW_ERR_NOMEM;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_USE_SSL_FAILED:
		return CW_ERR_TLS;
	case CURLE_RECV_ERROR:
		/* TLS 1.3 reports a refused client certificate on the first read */
		return strstr(c->curl_err, "alert") ? CW_ERR_TLS : CW_ERR_NETWORK;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return CW_ERR_USAGE;
	default:
		return CW_ERR_NETWORK;
	}
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

static cw_status one_get(wallet_client *c, size_t idx, const char *path, struct wc_resp *r)
{
	char url[4096], inm[sizeof "If-None-Match: " + CW_ETAG_MAX];
	struct curl_slist *hdrs = NULL;
	const char *base = c->cfg.urls[idx];
	bool cond = r->inm != NULL && r->inm_url == idx;
	if (strlen(base) + strlen(path) >= sizeof url) {
		wc_err(c, "URL too long");
		return CW_ERR_USAGE;
	}
	strcpy(url, base);
	strcat(url, path);
	resp_reset(r);
	c->curl_err[0] = '\0';
	if (cond) {
		snprintf(inm, sizeof inm, "If-None-Match: %s", r->inm);
		if ((hdrs = curl_slist_append(NULL, inm)) == NULL)
			return CW_ERR_NOMEM;
	}
	if (curl_easy_setopt(c->curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, r) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, r) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK) {
		curl_slist_free_all(hdrs);
		wc_err(c, "cannot configure libcurl");
		return CW_ERR_INTERNAL;
	}
	CURLcode rc = curl_easy_perform(c->curl);
	(void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	cw_status st = map_curl(c, rc, r);
	if (st != CW_OK) {
		wc_err(c, "%s: %s", base, c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc));
		return st;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (cond && r->status == 304)
		return CW_OK; /* not modified: the caller's copy is still the current one */
	st = map_http(r->status);
	if (st != CW_OK)
		wc_err(c, "%s: HTTP status %ld", base, r->status);
	return st;
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
			st = one_get(c, idx, path, r);
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
