/* cw-bench-civetweb: a plain civetweb static-file server with mutual TLS, the baseline of what
 * civetweb itself costs before any wallet logic (the benchmark compares it with nginx and with
 * `wallet serve`). Runs until SIGTERM or SIGINT. Linked with the project's libssl shim
 * (docs/DESIGN.md, platform notes: civetweb 1.15 on OpenSSL 3). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: cw-bench-civetweb --listen 127.0.0.1:PORT --cert CERT_AND_KEY.pem "
	        "--ca CA.pem --root DIR [--threads N] [--access-log FILE]\n"
	        "Serves the files under DIR over HTTPS that requires a client certificate "
	        "signed by CA;\nkeep-alive on. Exit status: 0 after SIGTERM/SIGINT, 1 failure, "
	        "2 usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},  {"cert", required_argument, NULL, 'c'},
	    {"ca", required_argument, NULL, 'a'},      {"root", required_argument, NULL, 'r'},
	    {"threads", required_argument, NULL, 't'}, {"access-log", required_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	const char *listen = NULL, *cert = NULL, *ca = NULL, *root = NULL, *threads = "64";
	const char *alog = NULL;
	char port[300];
	struct mg_callbacks cb;
	struct mg_context *ctx = NULL;
	sigset_t set;
	int o, sig = 0;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			listen = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'a':
			ca = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 't':
			threads = optarg;
			break;
		case 'L':
			alog = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !listen || !cert || !ca || !root) {
		fprintf(stderr,
		        "cw-bench-civetweb: --listen, --cert, --ca and --root are required\n");
		return 2;
	}
	if (snprintf(port, sizeof(port), "%ss", listen) >= (int)sizeof(port)) {
		fprintf(stderr, "cw-bench-civetweb: --listen too long\n");
		return 2;
	}
	/* The options a careful deployment would set: TLS 1.2+ with ECDHE/AEAD suites only,
	 * client certificates required, keep-alive on (it is off by default). */
	const char *options[] = {"listening_ports",
	                         port,
	                         "document_root",
	                         root,
	                         "ssl_certificate",
	                         cert,
	                         "ssl_ca_file",
	                         ca,
	                         "ssl_verify_peer",
	                         "yes",
	                         "ssl_protocol_version",
	                         "4",
	                         "ssl_cipher_list",
	                         "ECDHE+AESGCM:ECDHE+CHACHA20",
	                         "enable_keep_alive",
	                         "yes",
	                         "keep_alive_timeout_ms",
	                         "65000",
	                         "tcp_nodelay",
	                         "1",
	                         "num_threads",
	                         threads,
	                         "enable_directory_listing",
	                         "no",
	                         alog ? "access_log_file" : NULL,
	                         alog,
	                         NULL};

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	mg_init_library(MG_FEATURES_TLS);
	memset(&cb, 0, sizeof(cb));
	ctx = mg_start(&cb, NULL, options);
	if (!ctx) {
		fprintf(stderr, "cw-bench-civetweb: civetweb did not start (see its messages)\n");
		mg_exit_library();
		return 1;
	}
	sigwait(&set, &sig);
	mg_stop(ctx);
	mg_exit_library();
	return 0;
}
