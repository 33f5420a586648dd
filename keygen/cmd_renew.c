/* wallet-keygen renew: a certificate issued again on the same key, with a new serial number and
 * new dates; by default it replaces the old file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "material.h"
#include "reissue.h"

void usage_renew(FILE *out)
{
	fputs(
	    "Usage: wallet-keygen renew --ca DIR --cert FILE [--days N] [--out FILE]\n"
	    "\n"
	    "Issues the PEM certificate in --cert FILE again for the same key: the same subject,\n"
	    "subjectAltName, keyUsage, extendedKeyUsage and basicConstraints, new key\n"
	    "identifiers, a new random serial number and a validity of N days from now.\n"
	    "FILE must have been issued by the CA in --ca DIR; renewing that CA's own ca.crt\n"
	    "signs it again with the CA's key. Expired certificates can be renewed. No private\n"
	    "key other than the CA's is read or changed.\n"
	    "Without --out, FILE is replaced atomically and keeps its mode.\n"
	    "\n"
	    "  --ca DIR     directory holding ca.crt and ca.key (see 'wallet-keygen ca')\n"
	    "  --cert FILE  the certificate to renew\n"
	    "  --days N     validity in days, 1-36500 (default: the validity length of FILE)\n"
	    "  --out FILE   write the new certificate to this new file instead (must not exist)\n"
	    "  -h, --help   show this help\n",
	    out);
}

int cmd_renew(int argc, char **argv, const void *ctx)
{
	(void)ctx; /* wallet-keygen has no global options */
	const char *ca_dir = NULL, *cert = NULL, *days_s = NULL, *out = NULL;
	const kg_opt opts[] = {{"ca", &ca_dir, NULL},
	                       {"cert", &cert, NULL},
	                       {"days", &days_s, NULL},
	                       {"out", &out, NULL},
	                       {NULL, NULL, NULL}};
	mbedtls_x509_crt old;
	kg_ca ca;
	kg_rng rng;
	bool ca_ok = false;
	unsigned days = 0; /* 0: as long as the old certificate */
	char err[512], *pem = NULL;
	size_t len = 0;
	mode_t mode = KG_MODE_PUBLIC;
	struct stat sb;
	cw_status st;
	int rc = kg_getopt("renew", argc, argv, opts, usage_renew);

	if (rc >= 0)
		return rc;
	if (!ca_dir || !cert)
		return kg_usage_error("renew", "%s is required",
		                      !ca_dir ? "--ca DIR" : "--cert FILE");
	if (days_s && kg_parse_days(days_s, &days, err, sizeof err) != CW_OK)
		return kg_usage_error("renew", "%s", err);
	/* renew has no --force: it replaces FILE in place, or writes a new --out file */
	if (out && lstat(out, &sb) == 0)
		return kg_fail("renew", KG_EXIT_FAIL,
		               "%s already exists (without --out, renew replaces --cert in place)",
		               out);

	st = kg_crt_load(&old, cert, err, sizeof err);
	if (st == CW_OK && !out) { /* the new file keeps the old one's mode */
		if (lstat(cert, &sb) == 0) {
			mode = sb.st_mode & 07777;
		} else {
			snprintf(err, sizeof err, "cannot stat %.300s: %s", cert, strerror(errno));
			st = CW_ERR_IO;
		}
	}
	if (st == CW_OK) {
		st = kg_ca_open(&ca, &rng, ca_dir, err, sizeof err);
		ca_ok = st == CW_OK;
	}
	if (st == CW_OK) {
		char why[512];
		st = kg_renew(&old, days, &ca, &rng, &pem, &len, why, sizeof why);
		if (st != CW_OK)
			snprintf(err, sizeof err, "%.200s: %.300s", cert, why);
	}
	if (st != CW_OK) {
		rc = kg_fail("renew", KG_EXIT_FAIL, "%s", err);
		goto out;
	}
	rc = out ? kg_publish_file("renew", out, pem, len, KG_MODE_PUBLIC, false, "created")
	         : kg_publish_file("renew", cert, pem, len, mode, true, "replaced");
out:
	free(pem);
	if (ca_ok)
		kg_ca_close(&ca, &rng);
	mbedtls_x509_crt_free(&old);
	return rc;
}
