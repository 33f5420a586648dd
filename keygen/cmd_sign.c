/* wallet-keygen sign: a client certificate for a key that never leaves its host, from the
 * certificate signing request made there. */
#include <stdlib.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "material.h"
#include "reissue.h"

void usage_sign(FILE *out)
{
	fputs(
	    "Usage: wallet-keygen sign --ca DIR --csr FILE --out FILE [--days N] [--force]\n"
	    "\n"
	    "Issues a client certificate, signed by the CA in --ca DIR, for the key of a PEM\n"
	    "certificate signing request made where that key lives, e.g.\n"
	    "  openssl req -new -key tls.key -subj /CN=app1 -out app1.csr\n"
	    "The certificate is the one 'wallet-keygen client' makes (CN = the client name,\n"
	    "extended key usage clientAuth). Only the CN and the public key are taken from the\n"
	    "CSR: its other subject attributes, requested extensions and attributes are ignored.\n"
	    "Refused: a CN that is not a valid client name, a key other than P-256, P-384 or RSA\n"
	    "of 3072 or 4096 bits, a signature that does not verify or uses a hash weaker than\n"
	    "SHA-256.\n"
	    "\n"
	    "  --ca DIR     directory holding ca.crt and ca.key (see 'wallet-keygen ca')\n"
	    "  --csr FILE   the certificate signing request (PKCS#10, PEM)\n"
	    "  --out FILE   the new certificate (PEM, mode 0644)\n"
	    "  --days N     validity in days, 1-36500 (default 825)\n"
	    "  --force      replace an existing --out FILE\n"
	    "  -h, --help   show this help\n",
	    out);
}

int cmd_sign(int argc, char **argv, const void *ctx)
{
	(void)ctx; /* wallet-keygen has no global options */
	const char *ca_dir = NULL, *csr_path = NULL, *out = NULL, *days_s = NULL;
	bool force = false;
	const kg_opt opts[] = {{"ca", &ca_dir, NULL},   {"csr", &csr_path, NULL},
	                       {"out", &out, NULL},     {"days", &days_s, NULL},
	                       {"force", NULL, &force}, {NULL, NULL, NULL}};
	mbedtls_x509_csr csr;
	kg_ca ca;
	kg_rng rng;
	bool ca_ok = false;
	unsigned days = KG_DAYS_LEAF;
	char err[512], why[512], name[CW_CLIENT_NAME_MAX + 1], *pem = NULL;
	size_t len = 0;
	struct stat sb;
	cw_status st;
	int rc = kg_getopt("sign", argc, argv, opts, usage_sign);

	if (rc >= 0)
		return rc;
	if (!ca_dir || !csr_path || !out)
		return kg_usage_error("sign", "%s is required",
		                      !ca_dir     ? "--ca DIR"
		                      : !csr_path ? "--csr FILE"
		                                  : "--out FILE");
	if (days_s && kg_parse_days(days_s, &days, err, sizeof err) != CW_OK)
		return kg_usage_error("sign", "%s", err);
	if (!force && lstat(out, &sb) == 0)
		return kg_fail("sign", KG_EXIT_FAIL,
		               "%s already exists (use --force to replace it)", out);

	st = kg_csr_load(&csr, csr_path, err, sizeof err);
	if (st == CW_OK) {
		st = kg_ca_open(&ca, &rng, ca_dir, err, sizeof err);
		ca_ok = st == CW_OK;
	}
	if (st == CW_OK) {
		st = kg_sign_csr(&csr, days, &ca, &rng, name, &pem, &len, why, sizeof why);
		if (st != CW_OK)
			snprintf(err, sizeof err, "%.200s: %.300s", csr_path, why);
	}
	if (st != CW_OK) {
		rc = kg_fail("sign", KG_EXIT_FAIL, "%s", err);
		goto out;
	}
	rc = kg_publish_file("sign", out, pem, len, KG_MODE_PUBLIC, force, "created");
out:
	free(pem);
	if (ca_ok)
		kg_ca_close(&ca, &rng);
	mbedtls_x509_csr_free(&csr);
	return rc;
}
