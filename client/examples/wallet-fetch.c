/* Example: an application that fetches its secrets with libwalletclient instead of reading a
 * file. Settings come from the same variables as wallet-entry's (WALLET_URL, WALLET_CA,
 * WALLET_CERT, WALLET_KEY, WALLET_GPG_KEY or WALLET_GNUPGHOME, WALLET_SIGNER).
 *
 *   wallet-fetch --list [PREFIX]     objects this client may read
 *   wallet-fetch NAME [MINVERSION]   fetch one (or a group: NAME ending in '/')
 *
 * It prints names, versions and sizes, never a secret.
 * Build: cc -o wallet-fetch wallet-fetch.c $(pkg-config --cflags --libs walletclient) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <walletclient.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] ? v : NULL;
}

static wallet_status configure(wallet_config *cfg)
{
	wallet_status st;
	if ((st = wallet_config_add_urls(cfg, env("WALLET_URL") ? env("WALLET_URL") : "")) ||
	    (st = wallet_config_set_ca(cfg, env("WALLET_CA"))) ||
	    (st = wallet_config_set_cert(cfg, env("WALLET_CERT"), env("WALLET_KEY"))) ||
	    (st = wallet_config_set_signer(cfg, env("WALLET_SIGNER") ? env("WALLET_SIGNER") : "")))
		return st;
	if (env("WALLET_GPG_KEY"))
		return wallet_config_set_gpg_key_file(cfg, env("WALLET_GPG_KEY"));
	if (env("WALLET_GNUPGHOME"))
		return wallet_config_set_gnupghome(cfg, env("WALLET_GNUPGHOME"));
	return WALLET_OK;
}

static void use_secret(const wallet_secret *s)
{
	/* a real application would hand wallet_secret_data(s) to its database driver here */
	printf("%s version %llu, %zu bytes\n", wallet_secret_name(s),
	       (unsigned long long)wallet_secret_version(s), wallet_secret_size(s));
}

int main(int argc, char **argv)
{
	wallet_config *cfg = NULL;
	wallet_client *c = NULL;
	wallet_list *l = NULL;
	wallet_secret *s = NULL, **group = NULL;
	size_t n = 0;
	int rc = 1;
	wallet_status st;
	if (argc < 2 || argc > 3 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc < 2 || argc > 3 ? stderr : stdout,
		        "usage: wallet-fetch --list [PREFIX] | NAME [MINVERSION]\n");
		return argc < 2 || argc > 3 ? 2 : 0;
	}
	if ((st = wallet_config_new(&cfg)) || (st = configure(cfg))) {
		fprintf(stderr, "wallet-fetch: configuration: %s\n", wallet_strerror(st));
		rc = 2;
		goto out;
	}
	if ((st = wallet_client_new(cfg, &c)) != WALLET_OK) {
		fprintf(stderr, "wallet-fetch: %s\n", wallet_strerror(st));
		goto out;
	}
	if (strcmp(argv[1], "--list") == 0) {
		st = wallet_list_objects(c, argc == 3 ? argv[2] : NULL, &l);
		for (size_t i = 0; st == WALLET_OK && i < wallet_list_count(l); i++)
			printf("%s\t%llu\t%s\n", wallet_list_name(l, i),
			       (unsigned long long)wallet_list_version(l, i),
			       wallet_list_created(l, i));
	} else if (argv[1][strlen(argv[1]) - 1] == '/') {
		st = wallet_fetch_group(c, argv[1], &group, &n);
		for (size_t i = 0; st == WALLET_OK && i < n; i++)
			use_secret(group[i]);
	} else {
		st = wallet_fetch(c, argv[1], argc == 3 ? strtoull(argv[2], NULL, 10) : 0, &s);
		if (st == WALLET_OK)
			use_secret(s);
	}
	if (st != WALLET_OK) {
		fprintf(stderr, "wallet-fetch: %s: %s: %s\n", argv[1], wallet_strerror(st),
		        wallet_client_error(c));
		goto out;
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	wallet_secret_free(s);
	wallet_secrets_free(group, n);
	wallet_list_free(l);
	wallet_client_free(c);
	wallet_config_free(cfg);
	return rc;
}
