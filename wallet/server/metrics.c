#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const int codes[] = {200, 304, 400, 403, 404, 405, 413, 500, 503};
#define NCODES (sizeof codes / sizeof codes[0])
#define CODE_OTHER NCODES

/* Upper bounds of the latency buckets, in microseconds. */
static const uint64_t bounds_us[] = {250,   500,    1000,   2500,   5000,    10000,  25000,
                                     50000, 100000, 250000, 500000, 1000000, 2500000};
#define NBOUNDS (sizeof bounds_us / sizeof bounds_us[0])

struct metrics {
	atomic_uint_fast64_t requests[2][NCODES + 1]; /* [tls][code index] */
	atomic_uint_fast64_t buckets[NBOUNDS + 1];    /* non-cumulative; last = +Inf */
	atomic_uint_fast64_t sum_us;
	time_t started;
	/* certificate expiry: a render during a reload may pair the new server value with the
	 * old CA value, which a scrape a moment later corrects */
	atomic_bool certs_known;
	atomic_int_fast64_t server_not_after, ca_not_after;
};

metrics *metrics_new(void)
{
	metrics *m = calloc(1, sizeof *m);
	if (m != NULL)
		m->started = time(NULL);
	return m;
}

void metrics_free(metrics *m)
{
	free(m);
}

void metrics_set_cert_expiry(metrics *m, int64_t server_not_after, int64_t ca_not_after)
{
	atomic_store(&m->server_not_after, server_not_after);
	atomic_store(&m->ca_not_after, ca_not_after);
	atomic_store(&m->certs_known, true);
}

void metrics_observe(metrics *m, int tls, int status, uint64_t duration_us)
{
	size_t ci = CODE_OTHER;
	for (size_t i = 0; i < NCODES; i++)
		if (codes[i] == status)
			ci = i;
	atomic_fetch_add(&m->requests[tls ? 1 : 0][ci], 1);
	if (!tls)
		return; /* the latency histogram is about the API */
	size_t b = NBOUNDS;
	for (size_t i = 0; i < NBOUNDS; i++)
		if (duration_us <= bounds_us[i]) {
			b = i;
			break;
		}
	atomic_fetch_add(&m->buckets[b], 1);
	atomic_fetch_add(&m->sum_us, duration_us);
}

struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap * 2 + (size_t)n;
		char *nb = realloc(o->buf, cap);
		if (nb == NULL) {
			o->failed = 1;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
}

/* Seconds until each notAfter, negative once it has passed. */
static void put_cert_expiry(struct out *o, metrics *m)
{
	if (!atomic_load(&m->certs_known))
		return;
	int64_t srv = atomic_load(&m->server_not_after), ca = atomic_load(&m->ca_not_after);
	int64_t now = (int64_t)time(NULL);
	put(o,
	    "# HELP wallet_certificate_expiry_seconds Seconds until the notAfter of the TLS "
	    "certificate new handshakes get (server) and of the CA file's earliest-expiring "
	    "certificate (ca); negative once expired.\n"
	    "# TYPE wallet_certificate_expiry_seconds gauge\n"
	    "wallet_certificate_expiry_seconds{cert=\"server\"} %lld\n"
	    "wallet_certificate_expiry_seconds{cert=\"ca\"} %lld\n",
	    (long long)(srv - now), (long long)(ca - now));
}

char *metrics_render(metrics *m, const cw_tls_counts *tls, long long objects)
{
	struct out o = {.cap = 4096};
	o.buf = malloc(o.cap);
	if (o.buf == NULL)
		return NULL;
	o.buf[0] = '\0';
	put(&o, "# HELP wallet_requests_total HTTP requests answered, by listener and status.\n"
	        "# TYPE wallet_requests_total counter\n");
	for (int t = 1; t >= 0; t--)
		for (size_t i = 0; i <= NCODES; i++) {
			uint64_t v = atomic_load(&m->requests[t][i]);
			const char *lst = t ? "tls" : "health";
			if (i == CODE_OTHER)
				put(&o,
				    "wallet_requests_total{listener=\"%s\",code=\"other\"} %llu\n",
				    lst, (unsigned long long)v);
			else
				put(&o, "wallet_requests_total{listener=\"%s\",code=\"%d\"} %llu\n",
				    lst, codes[i], (unsigned long long)v);
		}
	put(&o,
	    "# HELP wallet_tls_handshake_failures_total TLS handshakes ended by a fatal alert.\n"
	    "# TYPE wallet_tls_handshake_failures_total counter\n"
	    "wallet_tls_handshake_failures_total %llu\n"
	    "# HELP wallet_tls_handshakes_total TLS handshakes completed: full (the client "
	    "certificate verified) or resumed from a session ticket.\n"
	    "# TYPE wallet_tls_handshakes_total counter\n"
	    "wallet_tls_handshakes_total{kind=\"full\"} %llu\n"
	    "wallet_tls_handshakes_total{kind=\"resumed\"} %llu\n"
	    "# HELP wallet_tls_sessions TLS sessions held for resumption.\n"
	    "# TYPE wallet_tls_sessions gauge\n"
	    "wallet_tls_sessions %llu\n",
	    (unsigned long long)tls->failures, (unsigned long long)tls->full,
	    (unsigned long long)tls->resumed, (unsigned long long)tls->sessions);
	put(&o,
	    "# HELP wallet_objects Objects in the data directory (-1: unknown).\n"
	    "# TYPE wallet_objects gauge\nwallet_objects %lld\n",
	    objects);
	put(&o, "# HELP wallet_request_duration_seconds Time to answer an API request.\n"
	        "# TYPE wallet_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t i = 0; i < NBOUNDS; i++) {
		cum += atomic_load(&m->buckets[i]);
		put(&o, "wallet_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
		    (double)bounds_us[i] / 1e6, (unsigned long long)cum);
	}
	cum += atomic_load(&m->buckets[NBOUNDS]);
	put(&o, "wallet_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)cum);
	put(&o, "wallet_request_duration_seconds_sum %.6f\n",
	    (double)atomic_load(&m->sum_us) / 1e6);
	put(&o, "wallet_request_duration_seconds_count %llu\n", (unsigned long long)cum);
	put(&o,
	    "# HELP wallet_start_time_seconds Start time of the server (Unix time).\n"
	    "# TYPE wallet_start_time_seconds gauge\nwallet_start_time_seconds %lld\n",
	    (long long)m->started);
	put_cert_expiry(&o, m);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}
