/* Shared by the known-answer suites (test_vectors, test_vectors_v2): the vector directory,
 * reading and hashing its files, and a client of each engine made from its key files, with
 * no network. The including file defines WALLET_FPR (the set's pinned wallet key) first and
 * sets vdir in main. */
#ifndef VECTORS_FIXTURE_H
#define VECTORS_FIXTURE_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cmocka_common.h"
#include "gnupg.h"
#include "wc_internal.h"

static char vdir[4096]; /* the vector set: $CW_ROOT/spec/vectors[/v2] */

/* The client of the engine under test, made once per group. */
static wallet_client *client;

/* A whole file of the vector set into malloc'd memory (a NUL after it, not counted). */
static unsigned char *slurp(const char *rel, size_t *len)
{
	char path[8192];
	snprintf(path, sizeof path, "%s/%s", vdir, rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fail_msg("%s: %s", path, strerror(errno));
		return NULL; /* not reached */
	}
	size_t cap = 4096, n = 0;
	unsigned char *b = malloc(cap + 1);
	assert_non_null(b);
	for (;;) {
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		cap *= 2;
		unsigned char *nb = realloc(b, cap + 1);
		assert_non_null(nb);
		b = nb;
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	b[n] = '\0';
	*len = n;
	return b;
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	assert_int_equal(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int make_client(wallet_openpgp engine)
{
	char key[8192], pub[8192];
	wallet_config *cfg = NULL;
	snprintf(key, sizeof key, "%s/keys/client.sec.asc", vdir);
	snprintf(pub, sizeof pub, "%s/keys/wallet.pub.asc", vdir);
	client = NULL;
	/* no network: the wallet's key comes from the file, and nothing is fetched */
	if (wallet_config_new(&cfg) != WALLET_OK ||
	    wallet_config_add_url(cfg, "https://127.0.0.1:9") != WALLET_OK ||
	    wallet_config_set_ca(cfg, "/nonexistent/ca.crt") != WALLET_OK ||
	    wallet_config_set_cert(cfg, "/nonexistent/tls.crt", "/nonexistent/tls.key") !=
	        WALLET_OK ||
	    wallet_config_set_gpg_key_file(cfg, key) != WALLET_OK ||
	    wallet_config_set_signer(cfg, WALLET_FPR) != WALLET_OK ||
	    wallet_config_set_signer_key_file(cfg, pub) != WALLET_OK ||
	    wallet_config_set_openpgp(cfg, engine) != WALLET_OK ||
	    wallet_client_new(cfg, &client) != WALLET_OK) {
		wallet_config_free(cfg);
		fprintf(stderr, "# cannot make the client\n");
		return -1;
	}
	wallet_config_free(cfg);
	cw_status st = wc_signer_ensure(client);
	if (st == CW_OK)
		st = wc_engine_ready(client); /* the wallet's key from its file: imported beside */
	if (st != CW_OK || (client->engine == &wc_engine_rnp) != (engine == WALLET_OPENPGP_RNP)) {
		fprintf(stderr, "# keys: %s: %s\n", cw_strerror(st), wallet_client_error(client));
		wallet_client_free(client);
		client = NULL;
		return -1;
	}
	return 0;
}

static int setup_rnp(void **state)
{
	(void)state;
	return make_client(WALLET_OPENPGP_RNP);
}

static int setup_gnupg(void **state)
{
	(void)state;
	return make_client(WALLET_OPENPGP_GNUPG);
}

/* Whether a gpg-agent for home still runs (zombies do not count). */
static bool agent_alive(const char *home)
{
	bool alive = false;
	DIR *d = opendir("/proc");
	struct dirent *e;
	if (d == NULL)
		return false;
	while (!alive && (e = readdir(d)) != NULL) {
		char path[300], buf[4096], st[512];
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue; /* a zombie has an empty command line */
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		if (strstr(buf, "gpg-agent") == NULL || strstr(buf, home) == NULL)
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		/* the state follows the command name's closing parenthesis */
		if (fgets(st, sizeof st, f) != NULL) {
			const char *p = strrchr(st, ')');
			alive = p != NULL && p[1] == ' ' && p[2] != 'Z';
		}
		fclose(f);
	}
	closedir(d);
	return alive;
}

static int teardown_client(void **state)
{
	(void)state;
	char home[sizeof((struct wc_gnupg *)NULL)->home] = "";
	if (client != NULL && client->engine == &wc_engine_gnupg)
		memcpy(home, ((struct wc_gnupg *)client->eng)->home, sizeof home);
	wallet_client_free(client); /* stops the throwaway home's gpg-agent */
	client = NULL;
	/* and wait until that agent is really gone (it exits just after its socket): a
	 * surviving process counts as a leak of the suite */
	for (int i = 0; home[0] != '\0' && i < 1000 && agent_alive(home); i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return home[0] != '\0' && agent_alive(home) ? -1 : 0;
}

#endif
