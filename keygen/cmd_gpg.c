/* wallet-keygen gpg: an OpenPGP key pair for a client (or any party), exported armored. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "fsutil.h"
#include "gpgkey.h"
#include "material.h"

void usage_gpg(FILE *out)
{
	fputs("Usage: wallet-keygen gpg --out DIR --name NAME [--algo ALGO]\n"
	      "                         [--passphrase-file FILE] [--force]\n"
	      "\n"
	      "Makes an OpenPGP key pair with user ID NAME and no expiry: a primary key for\n"
	      "signing with an encryption subkey. Writes DIR/NAME.pub.asc and DIR/NAME.sec.asc\n"
	      "(mode 0600), both ASCII-armored. The keys are made in a throwaway GNUPGHOME on a\n"
	      "memory file system, which is wiped and removed afterwards.\n"
	      "\n"
	      "  --out DIR               output directory (created with mode 0700 when missing)\n"
	      "  --name NAME             user ID and file name: 1-64 of [A-Za-z0-9._-]\n"
	      "  --algo ALGO             ed25519 (default: ed25519 + cv25519) or rsa4096\n"
	      "  --passphrase-file FILE  protect the secret key with the first line of FILE\n"
	      "                          (default: no passphrase)\n"
	      "  --force                 replace existing files\n"
	      "  -h, --help              show this help\n",
	      out);
}

int cmd_gpg(int argc, char **argv, const void *ctx)
{
	(void)ctx; /* wallet-keygen has no global options */
	const char *out = NULL, *name = NULL, *algo_s = NULL, *pass_file = NULL;
	bool force = false;
	const kg_opt opts[] = {{"out", &out, NULL},     {"name", &name, NULL},
	                       {"algo", &algo_s, NULL}, {"passphrase-file", &pass_file, NULL},
	                       {"force", NULL, &force}, {NULL, NULL, NULL}};
	kg_gpgalgo algo = KG_GPG_ED25519;
	kg_gpg_keys keys = {0};
	cw_sbuf pass = {0};
	kg_files *fs = NULL;
	char err[512], pub[KG_REL_MAX], sec[KG_REL_MAX];
	cw_status st;
	int rc = kg_getopt("gpg", argc, argv, opts, usage_gpg);

	if (rc >= 0)
		return rc;
	if (!out || !name)
		return kg_usage_error("gpg", "%s is required", !out ? "--out DIR" : "--name NAME");
	if (!cw_client_name_valid(name, strlen(name)))
		return kg_usage_error("gpg",
		                      "bad --name '%s': expected 1 to 64 of [A-Za-z0-9._-], "
		                      "not '.' or '..'",
		                      name);
	if (algo_s && kg_parse_gpgalgo(algo_s, &algo, err, sizeof err) != CW_OK)
		return kg_usage_error("gpg", "%s", err);
	if (cw_path(pub, sizeof pub, "%s.pub.asc", name) != CW_OK ||
	    cw_path(sec, sizeof sec, "%s.sec.asc", name) != CW_OK)
		return kg_usage_error("gpg", "--name too long");

	fs = calloc(1, sizeof *fs);
	if (!fs)
		return kg_fail("gpg", KG_EXIT_FAIL, "out of memory");
	kg_files_init(fs);
	/* Refuse before the (slow) key generation; publication checks again. */
	st = kg_files_add(fs, pub, "", 0, KG_MODE_PUBLIC, false);
	if (st == CW_OK)
		st = kg_files_add(fs, sec, "", 0, KG_MODE_SECRET, true);
	if (st == CW_OK)
		st = kg_files_check(fs, out, force, err, sizeof err);
	kg_files_free(fs);
	if (st == CW_OK && pass_file)
		st = kg_read_passphrase(pass_file, &pass, err, sizeof err);
	if (st == CW_OK)
		st = kg_gpg_generate(name, algo, pass_file ? &pass : NULL, &keys, err, sizeof err);
	if (st == CW_OK)
		st = kg_files_add(fs, pub, keys.pub.data, keys.pub.len, KG_MODE_PUBLIC, false);
	if (st == CW_OK)
		st = kg_files_add(fs, sec, keys.sec.data, keys.sec.len, KG_MODE_SECRET, true);
	if (st != CW_OK) {
		rc = kg_fail("gpg", KG_EXIT_FAIL, "%s", err);
		goto out;
	}
	rc = kg_publish("gpg", fs, out, force);
	if (rc == 0)
		printf("fingerprint %s\n", keys.fpr);
out:
	kg_gpg_keys_free(&keys);
	cw_sbuf_free(&pass);
	kg_files_free(fs);
	free(fs);
	return rc;
}
