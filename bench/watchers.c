/* cw-watchers: N simulated watchers polling one URL (a client's signed manifest) every
 * INTERVAL seconds, the way wallet-entry --watch does: a conditional GET (If-None-Match with
 * the last ETag), a new connection per poll, the TLS session of the previous poll offered for
 * resumption (libcurl's per-handle session cache). Watchers are spread evenly over the
 * interval and keep a fixed schedule. One thread, libcurl's multi interface.
 *
 * Whenever a watcher receives a 200 whose ETag (or, without one, whose body) differs from what
 * it had, it appends "WATCHER REALTIME_NS" to the --events file: bench/watch-bench.sh compares
 * those times with the moment `wallet store` returned. At the end one line of JSON: polls,
 * answers by status, errors, polls that started late because the previous one of the same
 * watcher was still running. Not part of the product: a load generator for bench/. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define WT_MAX 20000
#define WT_ETAG_MAX 128

struct watcher {
	CURL *h;
	CURLSH *share; /* its own TLS session cache, as each wallet-entry process has */
	unsigned id;
	bool busy;
	bool have; /* holds a first answer */
	char etag[WT_ETAG_MAX];
	char new_etag[WT_ETAG_MAX];
	uint64_t body_hash, new_body_hash;
	struct curl_slist *hdrs;
};

struct wt_stats {
	uint64_t polls, s200, s304, other, errors, late, changes;
	char first_error[CURL_ERROR_SIZE];
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *out)
{
	fputs("usage: cw-watchers [options] URL\n"
	      "  --cert FILE --key FILE --cacert FILE   the client's TLS material\n"
	      "  -n N           watchers (default 1000)\n"
	      "  -i SECONDS     poll interval of each watcher (default 10)\n"
	      "  -d SECONDS     run this long (default: until SIGTERM or SIGINT)\n"
	      "  --events FILE  append 'WATCHER REALTIME_NS' for each change seen\n"
	      "  --no-resume    no TLS session resumption (a full handshake per poll)\n"
	      "Prints one line of JSON at the end. Exit status: 0, 1 on errors, 2 usage.\n",
	      out);
}

/* FNV-1a over the body: tells a changed body apart when the server sends no ETag. */
static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct watcher *w = arg;
	for (size_t i = 0; i < sz * n; i++)
		w->new_body_hash = (w->new_body_hash ^ (unsigned char)p[i]) * 1099511628211u;
	return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct watcher *w = arg;
	size_t len = sz * n;
	if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
		const char *v = p + 5;
		size_t vl = len - 5;
		while (vl > 0 && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl < WT_ETAG_MAX) {
			memcpy(w->new_etag, v, vl);
			w->new_etag[vl] = '\0';
		}
	}
	return len;
}

static bool start_poll(CURLM *m, struct watcher *w)
{
	curl_slist_free_all(w->hdrs);
	w->hdrs = NULL;
	if (w->etag[0] != '\0') {
		char h[WT_ETAG_MAX + 32];
		snprintf(h, sizeof h, "If-None-Match: %s", w->etag);
		if ((w->hdrs = curl_slist_append(NULL, h)) == NULL)
			return false;
	}
	curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, w->hdrs);
	w->new_etag[0] = '\0';
	w->new_body_hash = 14695981039346656037u;
	w->busy = curl_multi_add_handle(m, w->h) == CURLM_OK;
	return w->busy;
}

static void finish_poll(CURLM *m, struct watcher *w, CURLcode res, struct wt_stats *s, FILE *events)
{
	long code = 0;
	curl_multi_remove_handle(m, w->h);
	w->busy = false;
	s->polls++;
	if (res != CURLE_OK) {
		if (s->errors++ == 0)
			snprintf(s->first_error, sizeof s->first_error, "watcher %u: %s", w->id,
			         curl_easy_strerror(res));
		return;
	}
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 304) {
		s->s304++;
		return;
	}
	if (code != 200) {
		s->other++;
		return;
	}
	s->s200++;
	bool changed = w->new_etag[0] != '\0' ? strcmp(w->new_etag, w->etag) != 0
	                                      : w->new_body_hash != w->body_hash;
	if (w->have && changed) {
		s->changes++;
		if (events != NULL) {
			fprintf(events, "%u %" PRIu64 "\n", w->id, clock_ns(CLOCK_REALTIME));
			fflush(events);
		}
	}
	w->have = true;
	memcpy(w->etag, w->new_etag, sizeof w->etag);
	w->body_hash = w->new_body_hash;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"cert", required_argument, NULL, 'C'},
	                                   {"key", required_argument, NULL, 'K'},
	                                   {"cacert", required_argument, NULL, 'A'},
	                                   {"events", required_argument, NULL, 'e'},
	                                   {"no-resume", no_argument, NULL, 'r'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *cert = NULL, *key = NULL, *ca = NULL, *evpath = NULL;
	long n = 1000;
	double interval = 10, duration = 0;
	bool resume = true;
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "n:i:d:h", lo, NULL)) != -1) {
		switch (c) {
		case 'C':
			cert = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'A':
			ca = optarg;
			break;
		case 'e':
			evpath = optarg;
			break;
		case 'r':
			resume = false;
			break;
		case 'n':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > WT_MAX)
				goto bad;
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end != '\0' || !(interval >= 0.01 && interval <= 3600))
				goto bad;
			break;
		case 'd':
			duration = strtod(optarg, &end);
			if (*end != '\0' || !(duration > 0 && duration <= 86400))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc - 1 || cert == NULL || key == NULL || ca == NULL)
		goto bad;

	FILE *events = NULL;
	if (evpath != NULL && (events = fopen(evpath, "a")) == NULL) {
		fprintf(stderr, "cw-watchers: %s: %s\n", evpath, strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *m = curl_multi_init();
	struct watcher *ws = calloc((size_t)n, sizeof *ws);
	if (m == NULL || ws == NULL) {
		fputs("cw-watchers: out of memory\n", stderr);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		struct watcher *w = &ws[i];
		w->id = (unsigned)i;
		if ((w->h = curl_easy_init()) == NULL) {
			fputs("cw-watchers: curl_easy_init failed\n", stderr);
			return 1;
		}
		curl_easy_setopt(w->h, CURLOPT_URL, argv[optind]);
		curl_easy_setopt(w->h, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(w->h, CURLOPT_SSLKEY, key);
		curl_easy_setopt(w->h, CURLOPT_CAINFO, ca);
		curl_easy_setopt(w->h, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(w->h, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(w->h, CURLOPT_SSL_SESSIONID_CACHE, resume ? 1L : 0L);
		/* Without a share of its own, easy handles in one multi handle share a cache of a
		 * few sessions, which a thousand watchers of one server keep evicting. */
		if (resume && ((w->share = curl_share_init()) == NULL ||
		               curl_share_setopt(w->share, CURLSHOPT_SHARE,
		                                 CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
		               curl_easy_setopt(w->h, CURLOPT_SHARE, w->share) != CURLE_OK)) {
			fputs("cw-watchers: cannot give a watcher its session cache\n", stderr);
			return 1;
		}
		curl_easy_setopt(w->h, CURLOPT_TIMEOUT_MS, 30000L);
		curl_easy_setopt(w->h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w);
		curl_easy_setopt(w->h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(w->h, CURLOPT_HEADERDATA, w);
		curl_easy_setopt(w->h, CURLOPT_PRIVATE, w);
	}

	/* Watcher i polls at t0 + (i + k * n) * step, step = interval / n: in turn, round robin. */
	struct wt_stats s = {0};
	const uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	const uint64_t step = (uint64_t)(interval * 1e9 / (double)n);
	const uint64_t until = duration > 0 ? t0 + (uint64_t)(duration * 1e9) : UINT64_MAX;
	uint64_t slot = 0; /* next poll to start, counted from t0 */
	int running = 0;
	while (!stop) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		if (now >= until)
			break;
		while (t0 + slot * step <= now) {
			struct watcher *w = &ws[slot % (uint64_t)n];
			if (w->busy)
				s.late++;
			else if (!start_poll(m, w))
				s.errors++;
			slot++;
		}
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct watcher *w = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&w);
			finish_poll(m, w, msg->data.result, &s, events);
		}
		now = clock_ns(CLOCK_MONOTONIC);
		uint64_t next = t0 + slot * step;
		int wait_ms = next > now ? (int)((next - now) / 1000000u) : 0;
		if (wait_ms > 100)
			wait_ms = 100;
		curl_multi_poll(m, NULL, 0, wait_ms, NULL);
	}
	double secs = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	if (s.errors > 0)
		fprintf(stderr, "cw-watchers: %" PRIu64 " failed polls, the first: %s\n", s.errors,
		        s.first_error);
	printf("{\"watchers\":%ld,\"interval_s\":%g,\"seconds\":%.1f,\"polls\":%" PRIu64
	       ",\"http200\":%" PRIu64 ",\"http304\":%" PRIu64 ",\"other_status\":%" PRIu64
	       ",\"errors\":%" PRIu64 ",\"late\":%" PRIu64 ",\"changes\":%" PRIu64 "}\n",
	       n, interval, secs, s.polls, s.s200, s.s304, s.other, s.errors, s.late, s.changes);
	for (long i = 0; i < n; i++) {
		if (ws[i].busy)
			curl_multi_remove_handle(m, ws[i].h);
		curl_easy_cleanup(ws[i].h);
		if (ws[i].share != NULL)
			curl_share_cleanup(ws[i].share);
		curl_slist_free_all(ws[i].hdrs);
	}
	free(ws);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	if (events != NULL)
		fclose(events);
	return s.errors + s.other > 0 ? 1 : 0;
bad:
	fputs("cw-watchers: bad arguments (try --help)\n", stderr);
	return 2;
}
