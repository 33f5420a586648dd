/* cw-loadgen: a small HTTPS load generator that presents a client certificate and verifies the
 * server against a CA, which wrk and ab cannot do. One thread per concurrent connection with
 * blocking sockets: simple, and on loopback the kernel does the scheduling well enough.
 *
 * Two modes: keep-alive (one TLS connection per thread, many requests on it) and handshake
 * (a new TCP connection and a full TLS handshake per request: no session cache, no tickets).
 * Prints one line of JSON; every non-200 answer, TLS failure, I/O failure, timeout or malformed
 * response is an error, counted by kind, and never enters the requests/s figure. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define LG_MAX_THREADS 4096
#define LG_HDR_MAX 16384

enum lg_err { E_CONNECT, E_TLS, E_IO, E_TIMEOUT, E_STATUS, E_PROTOCOL, E_COUNT };
static const char *const err_names[E_COUNT] = {"connect", "tls",    "io",
                                               "timeout", "status", "protocol"};

struct lg_config {
	char host[256];
	char port[8];
	char path[2048];
	const char *cert;
	const char *key;
	const char *cacert;
	const char *servername; /* SNI and the name checked in the server certificate */
	bool check_name;
	bool keepalive;
	bool tls12;
	bool send_root;
	int threads;
	double duration; /* seconds; 0 when count is used */
	long long count;
	int timeout_ms;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char request[2400];
	size_t request_len;
};

struct lg_conn {
	int fd;
	SSL *ssl;
	char buf[LG_HDR_MAX];
	size_t len; /* bytes in buf not consumed yet */
};

struct lg_worker {
	pthread_t tid;
	const struct lg_config *cfg;
	SSL_CTX *ctx;
	uint64_t *lat; /* latency of each successful request, ns */
	size_t nlat, cap;
	uint64_t ok, handshakes, bytes;
	uint64_t errs[E_COUNT];
	char first_err[256];
	char proto[32];
	char cipher[64];
};

static atomic_bool stop_flag;
static atomic_llong remaining;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: cw-loadgen [options] https://HOST:PORT/PATH\n"
	    "  --cert FILE        client certificate (PEM, may hold the chain)\n"
	    "  --key FILE         client private key (PEM)\n"
	    "  --cacert FILE      CA certificate(s) that must sign the server's certificate\n"
	    "  --servername NAME  SNI and name checked in the server certificate (default: HOST)\n"
	    "  --no-name-check    verify the server's chain only, not its name\n"
	    "  -c, --connections N  concurrent connections, one thread each (default 1)\n"
	    "  -d, --duration S   run for S seconds (default 5)\n"
	    "  -n, --requests N   run until N requests were attempted (instead of -d)\n"
	    "  -m, --mode MODE    keepalive (default): many requests per connection;\n"
	    "                     handshake: a new TCP connection and full TLS handshake per "
	    "request\n"
	    "  --tls12            offer TLS 1.2 only (default: TLS 1.2 and 1.3)\n"
	    "  --send-root        present the CA certificate after the client's, as OpenSSL's\n"
	    "                     automatic chain (curl) does (default: the chain without the\n"
	    "                     root, as wallet-entry presents it)\n"
	    "  -t, --timeout MS   per-operation socket timeout (default 10000)\n"
	    "  -h, --help         this text\n"
	    "Prints one line of JSON: rps (successful requests/s), p50_ms, p99_ms, errors by "
	    "kind.\n"
	    "Exit status: 0 no errors, 1 some request failed or setup failed, 2 usage.\n");
}

static void set_err(struct lg_worker *w, enum lg_err kind, const char *detail)
{
	w->errs[kind]++;
	if (w->first_err[0] == '\0')
		snprintf(w->first_err, sizeof(w->first_err), "%s: %s", err_names[kind], detail);
}

static void set_errno(struct lg_worker *w, enum lg_err kind, int e)
{
	char txt[128];
	if (strerror_r(e, txt, sizeof(txt)) != 0)
		snprintf(txt, sizeof(txt), "errno %d", e);
	set_err(w, kind, txt);
}

/* The OpenSSL error of the last failed call, or errno's text. */
static void ssl_err(struct lg_worker *w, SSL *ssl, int rc, enum lg_err dflt)
{
	int saved = errno;
	int e = SSL_get_error(ssl, rc);
	unsigned long code = ERR_peek_last_error();
	char txt[200];
	enum lg_err kind = dflt;

	if (e == SSL_ERROR_SYSCALL && (saved == EAGAIN || saved == EWOULDBLOCK)) {
		kind = E_TIMEOUT;
		snprintf(txt, sizeof(txt), "no answer within the timeout");
	} else if (code != 0) {
		kind = E_TLS;
		ERR_error_string_n(code, txt, sizeof(txt));
	} else if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && saved == 0)) {
		snprintf(txt, sizeof(txt), "connection closed by the server");
	} else {
		set_errno(w, kind, saved);
		return;
	}
	set_err(w, kind, txt);
}

static void conn_close(struct lg_conn *c)
{
	if (c->ssl) {
		/* close_notify only; not waiting for the peer's. */
		if (SSL_is_init_finished(c->ssl))
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static bool conn_open(struct lg_worker *w, struct lg_conn *c)
{
	const struct lg_config *cfg = w->cfg;
	struct timeval tv = {cfg->timeout_ms / 1000, (cfg->timeout_ms % 1000) * 1000};
	int one = 1;
	int rc;

	c->len = 0;
	c->fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		set_errno(w, E_CONNECT, errno);
		return false;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) != 0) {
		set_errno(w, E_CONNECT, errno);
		goto fail;
	}
	c->ssl = SSL_new(w->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
		set_err(w, E_TLS, "SSL_new failed");
		goto fail;
	}
	if (!cfg->check_name) {
		/* chain verification only */
	} else if (SSL_set1_host(c->ssl, cfg->servername) != 1) {
		set_err(w, E_TLS, "bad server name");
		goto fail;
	}
	SSL_set_tlsext_host_name(c->ssl, cfg->servername);
	ERR_clear_error();
	errno = 0;
	rc = SSL_connect(c->ssl);
	if (rc != 1) {
		ssl_err(w, c->ssl, rc, E_TLS);
		goto fail;
	}
	w->handshakes++;
	if (w->proto[0] == '\0') {
		snprintf(w->proto, sizeof(w->proto), "%s", SSL_get_version(c->ssl));
		snprintf(w->cipher, sizeof(w->cipher), "%s", SSL_get_cipher_name(c->ssl));
	}
	return true;
fail:
	conn_close(c);
	return false;
}

/* Reads more bytes into c->buf; false on EOF or error (error recorded). */
static bool conn_fill(struct lg_worker *w, struct lg_conn *c)
{
	size_t got = 0;
	int rc;

	if (c->len >= sizeof(c->buf)) {
		set_err(w, E_PROTOCOL, "response header too large");
		return false;
	}
	ERR_clear_error();
	errno = 0;
	rc = SSL_read_ex(c->ssl, c->buf + c->len, sizeof(c->buf) - c->len, &got);
	if (rc != 1) {
		ssl_err(w, c->ssl, rc, E_IO);
		return false;
	}
	c->len += got;
	return true;
}

static const char *find_hdr_end(const char *buf, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' &&
		    buf[i - 3] == '\r')
			return buf + i + 1;
	return NULL;
}

/* Finds header name (case-insensitive, "name:" at a line start) within [hdr, end). */
static const char *header_value(const char *hdr, const char *end, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = hdr; p && p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* Sends the request and reads the whole response. Returns true for a complete 200; *reuse
 * says whether the connection may carry another request (also after a complete non-200). */
static bool do_request(struct lg_worker *w, struct lg_conn *c, bool *reuse)
{
	const struct lg_config *cfg = w->cfg;
	const char *end, *v;
	size_t hdr_len, written = 0;
	long long clen = -1;
	bool to_eof = false;
	int status, rc;
	char tmp[16];

	*reuse = false;
	ERR_clear_error();
	errno = 0;
	rc = SSL_write_ex(c->ssl, cfg->request, cfg->request_len, &written);
	if (rc != 1) {
		ssl_err(w, c->ssl, rc, E_IO);
		return false;
	}
	while (!(end = find_hdr_end(c->buf, c->len)))
		if (!conn_fill(w, c))
			return false;
	hdr_len = (size_t)(end - c->buf);
	if (c->len < 12 || memcmp(c->buf, "HTTP/1.", 7) != 0 || c->buf[8] != ' ') {
		set_err(w, E_PROTOCOL, "not an HTTP/1.x status line");
		return false;
	}
	memcpy(tmp, c->buf + 9, 3);
	tmp[3] = '\0';
	status = atoi(tmp);
	if ((v = header_value(c->buf, end, "Transfer-Encoding"))) {
		set_err(w, E_PROTOCOL, "chunked bodies are not supported");
		return false;
	}
	if ((v = header_value(c->buf, end, "Content-Length"))) {
		char *ep;
		errno = 0;
		clen = strtoll(v, &ep, 10);
		if (errno || clen < 0 || ep == v) {
			set_err(w, E_PROTOCOL, "bad Content-Length");
			return false;
		}
	} else {
		to_eof = true;
	}
	v = header_value(c->buf, end, "Connection");
	*reuse = cfg->keepalive && !to_eof && !(v && strncasecmp(v, "close", 5) == 0);

	/* Body: what already arrived, then the rest, read and dropped in buf-sized pieces. */
	size_t have = c->len - hdr_len;
	if (!to_eof && (unsigned long long)clen < have) {
		/* Bytes beyond the body: we never pipeline, so the server sent too much. */
		set_err(w, E_PROTOCOL, "more bytes than Content-Length");
		*reuse = false;
		return false;
	}
	w->bytes += hdr_len + have;
	long long left = to_eof ? -1 : clen - (long long)have;
	c->len = 0;
	while (to_eof || left > 0) {
		size_t got = 0;
		size_t want = sizeof(c->buf);
		if (!to_eof && (unsigned long long)left < want)
			want = (size_t)left;
		ERR_clear_error();
		errno = 0;
		rc = SSL_read_ex(c->ssl, c->buf, want, &got);
		if (rc != 1) {
			int e = SSL_get_error(c->ssl, rc);
			if (to_eof && (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL))
				break;
			ssl_err(w, c->ssl, rc, E_IO);
			*reuse = false;
			return false;
		}
		w->bytes += got;
		if (!to_eof)
			left -= (long long)got;
	}
	if (status != 200) {
		char s[16];
		snprintf(s, sizeof(s), "HTTP %d", status);
		set_err(w, E_STATUS, s);
		return false;
	}
	return true;
}

static bool keep_going(const struct lg_config *cfg)
{
	if (cfg->count > 0)
		return atomic_fetch_sub(&remaining, 1) > 0;
	return !atomic_load(&stop_flag);
}

static bool record(struct lg_worker *w, uint64_t ns)
{
	if (w->nlat == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 4096;
		uint64_t *p = realloc(w->lat, ncap * sizeof(*p));
		if (!p)
			return false;
		w->lat = p;
		w->cap = ncap;
	}
	w->lat[w->nlat++] = ns;
	w->ok++;
	return true;
}

static void *worker_main(void *arg)
{
	struct lg_worker *w = arg;
	struct lg_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = -1;
	while (keep_going(w->cfg)) {
		bool reuse = false;
		uint64_t t0 = 0;
		if (!w->cfg->keepalive)
			t0 = now_ns();
		if (c->fd < 0 && !conn_open(w, c))
			continue;
		if (w->cfg->keepalive)
			t0 = now_ns();
		bool ok = do_request(w, c, &reuse);
		uint64_t t1 = now_ns();
		if (ok && !record(w, t1 - t0))
			break;
		if (!reuse)
			conn_close(c);
	}
	conn_close(c);
	free(c);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static double pct_ms(const uint64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0.0;
	size_t i = (size_t)ceil(p * (double)n) - 1;
	if (i >= n)
		i = n - 1;
	return round((double)v[i] / 1000.0) / 1000.0;
}

static int parse_url(struct lg_config *cfg, const char *url)
{
	const char *p, *slash, *colon;

	if (strncmp(url, "https://", 8) != 0)
		return -1;
	p = url + 8;
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	if (*p == '[') { /* [v6]:port */
		const char *rb = memchr(p, ']', (size_t)(slash - p));
		if (!rb || (size_t)(rb - p - 1) >= sizeof(cfg->host))
			return -1;
		memcpy(cfg->host, p + 1, (size_t)(rb - p - 1));
		cfg->host[rb - p - 1] = '\0';
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		size_t hl = (size_t)((colon ? colon : slash) - p);
		if (hl == 0 || hl >= sizeof(cfg->host))
			return -1;
		memcpy(cfg->host, p, hl);
		cfg->host[hl] = '\0';
	}
	if (colon) {
		size_t pl = (size_t)(slash - colon - 1);
		if (pl == 0 || pl >= sizeof(cfg->port))
			return -1;
		memcpy(cfg->port, colon + 1, pl);
		cfg->port[pl] = '\0';
	} else {
		strcpy(cfg->port, "443");
	}
	if (snprintf(cfg->path, sizeof(cfg->path), "%s", *slash ? slash : "/") >=
	    (int)sizeof(cfg->path))
		return -1;
	return 0;
}

static int parse_args(int argc, char **argv, struct lg_config *cfg)
{
	static const struct option opts[] = {
	    {"cert", required_argument, NULL, 'C'},
	    {"key", required_argument, NULL, 'K'},
	    {"cacert", required_argument, NULL, 'A'},
	    {"servername", required_argument, NULL, 'S'},
	    {"no-name-check", no_argument, NULL, 'N'},
	    {"connections", required_argument, NULL, 'c'},
	    {"duration", required_argument, NULL, 'd'},
	    {"requests", required_argument, NULL, 'n'},
	    {"mode", required_argument, NULL, 'm'},
	    {"tls12", no_argument, NULL, '2'},
	    {"send-root", no_argument, NULL, 'R'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char *ep;
	int o;

	cfg->threads = 1;
	cfg->duration = 5.0;
	cfg->keepalive = true;
	cfg->check_name = true;
	cfg->timeout_ms = 10000;
	while ((o = getopt_long(argc, argv, "c:d:n:m:t:h", opts, NULL)) != -1) {
		errno = 0;
		switch (o) {
		case 'C':
			cfg->cert = optarg;
			break;
		case 'K':
			cfg->key = optarg;
			break;
		case 'A':
			cfg->cacert = optarg;
			break;
		case 'S':
			cfg->servername = optarg;
			break;
		case 'N':
			cfg->check_name = false;
			break;
		case '2':
			cfg->tls12 = true;
			break;
		case 'R':
			cfg->send_root = true;
			break;
		case 'c':
			cfg->threads = (int)strtol(optarg, &ep, 10);
			if (*ep || cfg->threads < 1 || cfg->threads > LG_MAX_THREADS)
				return -1;
			break;
		case 'd':
			cfg->duration = strtod(optarg, &ep);
			if (*ep || errno || !(cfg->duration > 0.0) || cfg->duration > 86400.0)
				return -1;
			cfg->count = 0;
			break;
		case 'n':
			cfg->count = strtoll(optarg, &ep, 10);
			if (*ep || errno || cfg->count < 1)
				return -1;
			break;
		case 'm':
			if (strcmp(optarg, "keepalive") == 0)
				cfg->keepalive = true;
			else if (strcmp(optarg, "handshake") == 0)
				cfg->keepalive = false;
			else
				return -1;
			break;
		case 't':
			cfg->timeout_ms = (int)strtol(optarg, &ep, 10);
			if (*ep || cfg->timeout_ms < 1)
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc - 1 || !cfg->cert || !cfg->key || !cfg->cacert)
		return -1;
	if (parse_url(cfg, argv[optind]) != 0)
		return -1;
	if (!cfg->servername)
		cfg->servername = cfg->host;
	int n = snprintf(cfg->request, sizeof(cfg->request),
	                 "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: cw-loadgen\r\n%s\r\n",
	                 cfg->path, cfg->servername, cfg->port,
	                 cfg->keepalive ? "" : "Connection: close\r\n");
	if (n < 0 || (size_t)n >= sizeof(cfg->request))
		return -1;
	cfg->request_len = (size_t)n;
	return 0;
}

static SSL_CTX *make_ctx(const struct lg_config *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (cfg->tls12 && SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1) ||
	    SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cfg->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, cfg->cacert, NULL) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* The chain wallet-entry presents: built once, without the root (which the server has).
	 * Otherwise OpenSSL completes it from the CA file in every handshake, root included. */
	if (!cfg->send_root &&
	    SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_NO_ROOT |
	                                      SSL_BUILD_CHAIN_FLAG_UNTRUSTED |
	                                      SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR |
	                                      SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR) <= 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Every handshake is a full one: nothing to resume from. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return ctx;
}

static int resolve(struct lg_config *cfg)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(cfg->host, cfg->port, &hints, &res);
	if (rc != 0 || !res || res->ai_addrlen > sizeof(cfg->addr)) {
		fprintf(stderr, "cw-loadgen: cannot resolve %s:%s: %s\n", cfg->host, cfg->port,
		        rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	memcpy(&cfg->addr, res->ai_addr, res->ai_addrlen);
	cfg->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void report(const struct lg_config *cfg, struct lg_worker *ws, double elapsed)
{
	uint64_t ok = 0, hs = 0, bytes = 0, errs[E_COUNT] = {0}, nerr = 0;
	size_t n = 0;
	const char *first = NULL, *proto = "", *cipher = "";
	uint64_t *all;
	cJSON *o = cJSON_CreateObject(), *eb = cJSON_CreateObject();
	char *txt;

	for (int i = 0; i < cfg->threads; i++)
		n += ws[i].nlat;
	all = malloc((n ? n : 1) * sizeof(*all));
	n = 0;
	for (int i = 0; i < cfg->threads; i++) {
		ok += ws[i].ok;
		hs += ws[i].handshakes;
		bytes += ws[i].bytes;
		for (int k = 0; k < E_COUNT; k++) {
			errs[k] += ws[i].errs[k];
			nerr += ws[i].errs[k];
		}
		if (!first && ws[i].first_err[0])
			first = ws[i].first_err;
		if (!proto[0] && ws[i].proto[0]) {
			proto = ws[i].proto;
			cipher = ws[i].cipher;
		}
		if (all) {
			memcpy(all + n, ws[i].lat, ws[i].nlat * sizeof(*all));
			n += ws[i].nlat;
		}
	}
	if (all)
		qsort(all, n, sizeof(*all), cmp_u64);
	cJSON_AddStringToObject(o, "url_path", cfg->path);
	cJSON_AddStringToObject(o, "mode", cfg->keepalive ? "keepalive" : "handshake");
	cJSON_AddNumberToObject(o, "connections", cfg->threads);
	cJSON_AddNumberToObject(o, "seconds", round(elapsed * 1000.0) / 1000.0);
	cJSON_AddNumberToObject(o, "requests", (double)(ok + nerr));
	cJSON_AddNumberToObject(o, "ok", (double)ok);
	cJSON_AddNumberToObject(o, "errors", (double)nerr);
	cJSON_AddNumberToObject(o, "rps", elapsed > 0 ? round((double)ok / elapsed * 10) / 10 : 0);
	cJSON_AddNumberToObject(o, "p50_ms", all ? pct_ms(all, n, 0.50) : 0);
	cJSON_AddNumberToObject(o, "p99_ms", all ? pct_ms(all, n, 0.99) : 0);
	cJSON_AddNumberToObject(o, "max_ms", all && n ? pct_ms(all, n, 1.0) : 0);
	cJSON_AddNumberToObject(o, "handshakes", (double)hs);
	cJSON_AddNumberToObject(o, "bytes", (double)bytes);
	cJSON_AddStringToObject(o, "tls_version", proto);
	cJSON_AddStringToObject(o, "cipher", cipher);
	for (int k = 0; k < E_COUNT; k++)
		cJSON_AddNumberToObject(eb, err_names[k], (double)errs[k]);
	cJSON_AddItemToObject(o, "errors_by", eb);
	if (first)
		cJSON_AddStringToObject(o, "first_error", first);
	txt = cJSON_PrintUnformatted(o);
	if (txt)
		printf("%s\n", txt);
	cJSON_free(txt);
	cJSON_Delete(o);
	free(all);
}

int main(int argc, char **argv)
{
	static struct lg_config cfg;
	struct lg_worker *ws = NULL;
	SSL_CTX *ctx = NULL;
	int started = 0, rc = 1;
	uint64_t t0, t1;
	uint64_t nerr = 0;

	if (parse_args(argc, argv, &cfg) != 0) {
		fprintf(stderr, "cw-loadgen: bad arguments (see cw-loadgen --help)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (resolve(&cfg) != 0)
		goto out;
	ctx = make_ctx(&cfg);
	if (!ctx) {
		char e[200];
		ERR_error_string_n(ERR_get_error(), e, sizeof(e));
		fprintf(stderr, "cw-loadgen: TLS setup: %s\n", e);
		goto out;
	}
	ws = calloc((size_t)cfg.threads, sizeof(*ws));
	if (!ws) {
		fprintf(stderr, "cw-loadgen: out of memory\n");
		goto out;
	}
	atomic_store(&remaining, cfg.count);
	atomic_store(&stop_flag, false);
	t0 = now_ns();
	for (; started < cfg.threads; started++) {
		ws[started].cfg = &cfg;
		ws[started].ctx = ctx;
		if (pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]) != 0) {
			fprintf(stderr, "cw-loadgen: cannot start thread %d\n", started);
			atomic_store(&stop_flag, true);
			atomic_store(&remaining, 0);
			break;
		}
	}
	if (cfg.count == 0 && started == cfg.threads) {
		struct timespec ts = {(time_t)cfg.duration,
		                      (long)((cfg.duration - floor(cfg.duration)) * 1e9)};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		atomic_store(&stop_flag, true);
	}
	for (int i = 0; i < started; i++)
		pthread_join(ws[i].tid, NULL);
	t1 = now_ns();
	if (started == cfg.threads) {
		report(&cfg, ws, (double)(t1 - t0) / 1e9);
		for (int i = 0; i < started; i++)
			for (int k = 0; k < E_COUNT; k++)
				nerr += ws[i].errs[k];
		rc = nerr ? 1 : 0;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = 1;
out:
	if (ws)
		for (int i = 0; i < cfg.threads; i++)
			free(ws[i].lat);
	free(ws);
	SSL_CTX_free(ctx);
	return rc;
}
