/* wallet serve: the mutual-TLS HTTP API of docs/FORMAT.md (server.c) until SIGTERM/SIGINT;
 * SIGHUP reloads the TLS files. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "ecdecode.h"
#include "secmem.h"
#include "server.h"

void usage_serve(FILE *out)
{
	fprintf(
	    out,
	    "usage: wallet serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE --tls-ca "
	    "FILE]\n"
	    "                    [--config FILE] [--health-listen [ADDR:]PORT] [--audit-log "
	    "FILE|-]\n"
	    "                    [--threads N] [--data DIR] [--request-timeout-ms MS]\n"
	    "                    [--keep-alive-timeout-ms MS] [--max-header-bytes N] "
	    "[--verify-depth N]\n"
	    "                    [--tls-session-lifetime SECONDS] [--tls-session-cache N]\n"
	    "\n"
	    "Serves the HTTP API (GET /v1/objects/NAME[?version=N], /v1/objects[?prefix=GROUP/],\n"
	    "/v1/signing-key, /healthz, /metrics) over mutual TLS: TLS 1.2 and 1.3 only, ECDHE "
	    "with\n"
	    "AEAD ciphers only, a client certificate issued by the CA required. The client name is "
	    "the\n"
	    "certificate's CN; it must be registered (importkey) and not revoked, and it gets only "
	    "the\n"
	    "objects encrypted to it (404 otherwise, the same as a missing object).\n"
	    "\n"
	    "  --listen ADDR:PORT        mutual-TLS listener (default " SERVE_DEFAULT_LISTEN ";\n"
	    "                            [::1]:PORT for IPv6; port 0 picks a free port)\n"
	    "  --tls-cert FILE           server certificate, PEM (default DATA/tls/server.crt)\n"
	    "  --tls-key FILE            its private key, PEM (default DATA/tls/server.key)\n"
	    "  --tls-ca FILE             CA certificate that client certificates must chain to\n"
	    "                            (default DATA/tls/ca.crt)\n"
	    "  --health-listen [ADDR:]PORT\n"
	    "                            plain-HTTP listener for /healthz and /metrics only, "
	    "never\n"
	    "                            objects; a bare PORT binds 127.0.0.1 (default: none)\n"
	    "  --audit-log FILE|-        one JSON line per API request, never content (default -,\n"
	    "                            stderr; a file is created 0600 and appended to)\n"
	    "  --threads N               worker threads of the TLS listener (default %d); each\n"
	    "                            kept-alive connection holds one while it is open\n"
	    "  --request-timeout-ms MS   limit for the handshake and each read/write (default "
	    "10000)\n"
	    "  --keep-alive-timeout-ms MS  idle kept-alive connections close after MS (default "
	    "15000)\n"
	    "  --max-header-bytes N      request line + headers limit (default 8192)\n"
	    "  --verify-depth N          client certificate chain depth (default 4)\n"
	    "  --tls-session-lifetime SECONDS\n"
	    "                            TLS 1.3 sessions resume from a ticket for at most\n"
	    "                            SECONDS after the certificate's verification (default\n"
	    "                            7200, at most 86400); 0: no resumption, no ticket\n"
	    "  --tls-session-cache N     sessions held for resumption, about 6.5 KiB each\n"
	    "                            (default 1024, at most 65536); the oldest go first\n"
	    "  --data DIR                data directory (default: wallet's --data, WALLET_DATA,\n"
	    "                            " WALLET_DEFAULT_DATA ")\n"
	    "  --export DIR              keep DIR an export of every client's data (see 'wallet\n"
	    "                            export'), updated within a second of any change and\n"
	    "                            at each manifest refresh: replicas and mirrors serve it\n"
	    "  --config FILE             JSON object with any of the keys listen, tls_cert, "
	    "tls_key,\n"
	    "                            tls_ca, health_listen, audit_log, data, export, threads,\n"
	    "                            request_timeout_ms, keep_alive_timeout_ms,\n"
	    "                            max_header_bytes, verify_depth, tls_session_lifetime,\n"
	    "                            tls_session_cache; flags override it\n"
	    "  -h, --help                this text\n"
	    "\n"
	    "New versions written by `wallet store` are served at once, without a restart. On a\n"
	    "data directory that holds the signing key, the manifests are signed before the\n"
	    "listeners start and again each third of their lifetime (see 'wallet refresh').\n"
	    "SIGTERM or SIGINT: stop accepting, finish requests in flight, exit 0.\n"
	    "SIGHUP: read the TLS certificate, key and CA files again (same paths) and use them\n"
	    "for new connections; connections already open keep theirs. Files that cannot be\n"
	    "used (unreadable, not PEM, a key that does not match) are refused with one log\n"
	    "line and the current ones stay in use. Replace both certificate and key first.\n"
	    "A reload also ends every TLS session made before it: no resumption across it.\n"
	    "Exit status: 0 after a signal, 1 on failure (unreadable TLS files, data directory,\n"
	    "port in use), 2 on bad usage or a bad config file.\n",
	    SERVE_DEFAULT_THREADS);
}

/* Long option -> config key (NULL for --config and --help). */
static const struct option longopts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"tls-cert", required_argument, NULL, 'c'},
    {"tls-key", required_argument, NULL, 'k'},
    {"tls-ca", required_argument, NULL, 'a'},
    {"health-listen", required_argument, NULL, 'H'},
    {"audit-log", required_argument, NULL, 'L'},
    {"threads", required_argument, NULL, 't'},
    {"data", required_argument, NULL, 'd'},
    {"request-timeout-ms", required_argument, NULL, 'r'},
    {"keep-alive-timeout-ms", required_argument, NULL, 'K'},
    {"max-header-bytes", required_argument, NULL, 'M'},
    {"verify-depth", required_argument, NULL, 'D'},
    {"tls-session-lifetime", required_argument, NULL, 'S'},
    {"tls-session-cache", required_argument, NULL, 'Z'},
    {"export", required_argument, NULL, 'E'},
    {"config", required_argument, NULL, 'C'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *config_key(int c)
{
	switch (c) {
	case 'l':
		return "listen";
	case 'c':
		return "tls_cert";
	case 'k':
		return "tls_key";
	case 'a':
		return "tls_ca";
	case 'H':
		return "health_listen";
	case 'L':
		return "audit_log";
	case 't':
		return "threads";
	case 'd':
		return "data";
	case 'r':
		return "request_timeout_ms";
	case 'K':
		return "keep_alive_timeout_ms";
	case 'M':
		return "max_header_bytes";
	case 'D':
		return "verify_depth";
	case 'S':
		return "tls_session_lifetime";
	case 'Z':
		return "tls_session_cache";
	case 'E':
		return "export";
	default:
		return NULL;
	}
}

#define MAX_FLAGS 64

int cmd_serve(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	struct serve_config cfg = {0};
	struct {
		const char *key, *val;
	} flags[MAX_FLAGS];
	size_t nflags = 0;
	const char *config = NULL;
	char err[512] = "";
	server *srv = NULL;
	int ret = 2, c;
	sigset_t sigs;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage_serve(stdout);
			ret = 0;
			goto out;
		}
		if (c == 'C') {
			config = optarg;
		} else if (c == ':' || c == '?') {
			fprintf(stderr, "%s serve: %s option '%s' (see wallet serve --help)\n",
			        ctx->prog, c == ':' ? "missing argument for" : "unknown",
			        argv[optind - 1]);
			goto out;
		} else if (nflags < MAX_FLAGS) {
			flags[nflags].key = config_key(c);
			flags[nflags++].val = optarg;
		} else {
			fprintf(stderr, "%s serve: too many options\n", ctx->prog);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s serve: unexpected argument '%s' (see wallet serve --help)\n",
		        ctx->prog, argv[optind]);
		goto out;
	}
	cw_status st;
	if (config != NULL && (st = serve_config_load(&cfg, config, err, sizeof err)) != CW_OK) {
		fprintf(stderr, "%s serve: %s\n", ctx->prog, err);
		ret = st == CW_ERR_USAGE ? 2 : 1;
		goto out;
	}
	for (size_t i = 0; i < nflags; i++)
		if (serve_config_set(&cfg, flags[i].key, flags[i].val, err, sizeof err) != CW_OK) {
			fprintf(stderr, "%s serve: %s\n", ctx->prog, err);
			goto out;
		}
	if ((st = serve_config_finish(&cfg, ctx->datadir, err, sizeof err)) != CW_OK) {
		fprintf(stderr, "%s serve: %s\n", ctx->prog, err[0] ? err : cw_strerror(st));
		ret = st == CW_ERR_USAGE ? 2 : 1;
		goto out;
	}

	/* The TLS private key is in memory from now on: no core dumps. */
	(void)cw_nodump();
	/* Each client certificate's EC key decoded by OpenSSL's EC code, not its provider
	 * decoders: a fifth of a full handshake's instructions (common/ecdecode.h). */
	(void)cw_ec_builtin_decoding();
	/* Blocked before any thread exists, so that only sigwait below receives them: no signal
	 * handler runs, and a reload runs on this thread like any other code. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	st = server_start(&cfg, &srv, err, sizeof err);
	if (st != CW_OK) {
		fprintf(stderr, "%s serve: %s\n", ctx->prog, err[0] ? err : cw_strerror(st));
		ret = st == CW_ERR_USAGE ? 2 : 1;
		goto out;
	}
	for (;;) {
		int sig = 0;
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		server_reload_tls(srv);
	}
	server_stop(srv);
	ret = 0;
out:
	serve_config_free(&cfg);
	return ret;
}
