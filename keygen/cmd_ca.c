/* wallet-keygen ca: a self-signed CA for the deployment's mutual TLS. */
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "material.h"

void usage_ca(FILE *out)
{
	fputs("Usage: wallet-keygen ca --out DIR [--cn NAME] [--days N] [--key TYPE] [--force]\n"
	      "\n"
	      "Makes a self-signed certificate authority: DIR/ca.crt and DIR/ca.key (mode 0600).\n"
	      "It signs the wallet's server certificate and every client certificate.\n"
	      "\n"
	      "  --out DIR    output directory (created with mode 0700 when missing)\n"
	      "  --cn NAME    subject common name, 1-64 of [A-Za-z0-9 ._-] (default "
	      "\"" KG_DEFAULT_CA_CN "\")\n"
	      "  --days N     validity in days, 1-36500 (default 3650)\n"
	      "  --key TYPE   ec256 (default), ec384, rsa3072 or rsa4096\n"
	      "  --force      replace existing files\n"
	      "  -h, --help   show this help\n",
	      out);
}

int cmd_ca(int argc, char **argv, const void *ctx)
{
	(void)ctx; /* wallet-keygen has no global options */
	const char *out = NULL, *cn = NULL, *days_s = NULL, *key_s = NULL;
	bool force = false;
	const kg_opt opts[] = {{"out", &out, NULL},     {"cn", &cn, NULL},
	                       {"days", &days_s, NULL}, {"key", &key_s, NULL},
	                       {"force", NULL, &force}, {NULL, NULL, NULL}};
	kg_cert_req req = {.kind = KG_CERT_CA, .days = KG_DAYS_CA, .key = KG_KEY_EC256};
	kg_files *fs = NULL;
	kg_rng rng;
	bool rng_ok = false;
	char err[512];
	cw_status st;
	int rc = kg_getopt("ca", argc, argv, opts, usage_ca);

	if (rc >= 0)
		return rc;
	if (!out)
		return kg_usage_error("ca", "--out DIR is required");
	req.cn = cn ? cn : KG_DEFAULT_CA_CN;
	if (!kg_ca_cn_valid(req.cn))
		return kg_usage_error("ca", "bad --cn '%s': expected 1 to 64 of [A-Za-z0-9 ._-]",
		                      req.cn);
	if ((days_s && kg_parse_days(days_s, &req.days, err, sizeof err) != CW_OK) ||
	    (key_s && kg_parse_keytype(key_s, &req.key, err, sizeof err) != CW_OK))
		return kg_usage_error("ca", "%s", err);

	fs = calloc(1, sizeof *fs);
	if (!fs)
		return kg_fail("ca", KG_EXIT_FAIL, "out of memory");
	kg_files_init(fs);
	st = kg_rng_init(&rng, err, sizeof err);
	rng_ok = st == CW_OK;
	if (st == CW_OK)
		st = kg_add_ca(fs, "", &req, &rng, NULL, err, sizeof err);
	if (st != CW_OK) {
		rc = kg_fail("ca", kg_exit_code(st), "%s", err);
		goto out;
	}
	rc = kg_publish("ca", fs, out, force);
out:
	if (rng_ok)
		kg_rng_free(&rng);
	kg_files_free(fs);
	free(fs);
	return rc;
}
