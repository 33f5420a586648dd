#include "leaf.h"

#include <stdlib.h>
#include <string.h>

#include "material.h"

/* Checks the values and fills req and sans; returns -1 to go on, else the exit status. */
static int validate(const char *cmd, kg_cert_kind kind, const char *cn, const char *days_s,
                    const char *key_s, const char *san_s, kg_cert_req *req, kg_san_list *sans)
{
	char err[512];

	if (kind == KG_CERT_CLIENT && !cw_client_name_valid(cn, strlen(cn)))
		return kg_usage_error(cmd,
		                      "bad client name '%s': expected 1 to 64 of [A-Za-z0-9._-], "
		                      "not '.' or '..'",
		                      cn);
	if (kind == KG_CERT_SERVER && !kg_server_cn_valid(cn))
		return kg_usage_error(cmd, "bad --cn '%s': expected a DNS name or an IP address",
		                      cn);
	if ((days_s && kg_parse_days(days_s, &req->days, err, sizeof err) != CW_OK) ||
	    (key_s && kg_parse_keytype(key_s, &req->key, err, sizeof err) != CW_OK))
		return kg_usage_error(cmd, "%s", err);
	if (kind == KG_CERT_SERVER) {
		cw_status st = san_s ? kg_san_parse(sans, san_s, err, sizeof err)
		                     : kg_san_add_defaults(sans, err, sizeof err);
		/* The CN is always a SAN too: clients match host names against SANs only. */
		if (st == CW_OK)
			st = kg_san_add_host(sans, cn, err, sizeof err);
		if (st != CW_OK)
			return kg_usage_error(cmd, "%s", err);
		req->sans = sans;
	}
	req->cn = cn;
	return -1;
}

int kg_leaf_command(const char *cmd, kg_cert_kind kind, int argc, char **argv, cw_usage_fn usage)
{
	const char *ca_dir = NULL, *out = NULL, *cn = NULL, *days_s = NULL, *key_s = NULL,
	           *san_s = NULL;
	bool force = false;
	const kg_opt opts[] = {{"ca", &ca_dir, NULL},
	                       {"out", &out, NULL},
	                       {"cn", &cn, NULL},
	                       {"days", &days_s, NULL},
	                       {"key", &key_s, NULL},
	                       {"force", NULL, &force},
	                       /* for a client, a NULL name here ends the table: no --san */
	                       {kind == KG_CERT_SERVER ? "san" : NULL, &san_s, NULL},
	                       {NULL, NULL, NULL}};
	kg_cert_req req = {.kind = kind, .days = KG_DAYS_LEAF, .key = KG_KEY_EC256};
	kg_san_list *sans = NULL;
	kg_files *fs = NULL;
	kg_ca ca;
	kg_rng rng;
	bool ca_ok = false;
	char err[512];
	cw_status st;
	int rc = kg_getopt(cmd, argc, argv, opts, usage);

	if (rc >= 0)
		return rc;
	if (!ca_dir || !out || !cn)
		return kg_usage_error(cmd, "%s is required",
		                      !ca_dir ? "--ca DIR"
		                      : !out  ? "--out DIR"
		                              : "--cn NAME");
	sans = calloc(1, sizeof *sans);
	fs = calloc(1, sizeof *fs);
	if (!sans || !fs) {
		rc = kg_fail(cmd, KG_EXIT_FAIL, "out of memory");
		goto out;
	}
	kg_files_init(fs);
	rc = validate(cmd, kind, cn, days_s, key_s, san_s, &req, sans);
	if (rc >= 0)
		goto out;

	st = kg_ca_open(&ca, &rng, ca_dir, err, sizeof err);
	ca_ok = st == CW_OK;
	if (st == CW_OK)
		st = kg_add_leaf(fs, "", kind == KG_CERT_SERVER ? "server.crt" : "tls.crt",
		                 kind == KG_CERT_SERVER ? "server.key" : "tls.key", &req, &ca, &rng,
		                 err, sizeof err);
	if (st != CW_OK) {
		rc = kg_fail(cmd, KG_EXIT_FAIL, "%s", err);
		goto out;
	}
	rc = kg_publish(cmd, fs, out, force);
out:
	if (ca_ok)
		kg_ca_close(&ca, &rng);
	if (fs)
		kg_files_free(fs);
	free(fs);
	free(sans);
	return rc;
}
