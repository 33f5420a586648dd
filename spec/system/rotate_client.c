/* A long-lived libwalletclient user for rotate_key.sh: one client handle for its whole life,
 * which spans rotations of the wallet's signing key (a watcher does the same). It reads one
 * command per line on standard input and answers each with one line on standard output:
 *   fetch NAME FILE       fetch the latest version of NAME and compare it with FILE's bytes
 *   fetchv NAME N FILE    the same for version N
 * Answer: "ok NAME vVERSION", "differs NAME vVERSION" or "error STATUS: MESSAGE". The library's
 * log lines go to standard error. It never prints a secret.
 * Settings: WALLET_URL, WALLET_CA, WALLET_CERT, WALLET_KEY, WALLET_GPG_KEY, WALLET_SIGNER and
 * WALLET_OPENPGP (rnp or gnupg). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <walletclient.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v != NULL ? v : "";
}

static void log_line(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "walletclient: %s\n", msg);
}

static wallet_status configure(wallet_config *cfg)
{
	wallet_status st;
	wallet_openpgp e =
	    strcmp(env("WALLET_OPENPGP"), "gnupg") == 0 ? WALLET_OPENPGP_GNUPG : WALLET_OPENPGP_RNP;
	if ((st = wallet_config_add_urls(cfg, env("WALLET_URL"))) ||
	    (st = wallet_config_set_ca(cfg, env("WALLET_CA"))) ||
	    (st = wallet_config_set_cert(cfg, env("WALLET_CERT"), env("WALLET_KEY"))) ||
	    (st = wallet_config_set_signer(cfg, env("WALLET_SIGNER"))) ||
	    (st = wallet_config_set_gpg_key_file(cfg, env("WALLET_GPG_KEY"))) ||
	    (st = wallet_config_set_openpgp(cfg, e)))
		return st;
	return wallet_config_set_log(cfg, log_line, NULL);
}

/* Whether the secret's bytes are exactly those of file. */
static int same_as(const wallet_secret *s, const char *file)
{
	FILE *f = fopen(file, "rb");
	size_t n = wallet_secret_size(s), i = 0;
	const unsigned char *p = wallet_secret_data(s);
	int ch, same = f != NULL;
	while (same && (ch = getc(f)) != EOF)
		same = i < n && p[i++] == (unsigned char)ch;
	if (f != NULL)
		fclose(f);
	return same && i == n;
}

static void one(wallet_client *c, char *line)
{
	char *cmd = strtok(line, " \n"), *name = strtok(NULL, " \n"), *a = strtok(NULL, " \n");
	char *b = strtok(NULL, " \n");
	wallet_secret *s = NULL;
	wallet_status st;
	if (cmd == NULL || name == NULL || a == NULL) {
		printf("error usage: fetch NAME FILE | fetchv NAME N FILE\n");
		return;
	}
	if (strcmp(cmd, "fetchv") == 0 && b != NULL)
		st = wallet_fetch_version(c, name, strtoull(a, NULL, 10), &s);
	else
		st = wallet_fetch(c, name, 0, &s);
	if (st != WALLET_OK)
		printf("error %s: %s\n", wallet_strerror(st), wallet_client_error(c));
	else
		printf("%s %s v%llu\n", same_as(s, b != NULL ? b : a) ? "ok" : "differs", name,
		       (unsigned long long)wallet_secret_version(s));
	wallet_secret_free(s);
}

int main(void)
{
	wallet_config *cfg = NULL;
	wallet_client *c = NULL;
	wallet_status st;
	char line[1024];
	if ((st = wallet_config_new(&cfg)) || (st = configure(cfg)) ||
	    (st = wallet_client_new(cfg, &c))) {
		fprintf(stderr, "rotate_client: %s\n", wallet_strerror(st));
		wallet_config_free(cfg);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof line, stdin) != NULL)
		one(c, line);
	wallet_client_free(c);
	wallet_config_free(cfg);
	return 0;
}
