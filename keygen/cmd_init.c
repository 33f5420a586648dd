/* wallet-keygen init: the whole key material of a deployment in one directory tree, published
 * all-or-nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "fsutil.h"
#include "gpgkey.h"
#include "material.h"

void usage_init(FILE *out)
{
	fputs("Usage: wallet-keygen init --out DIR [--server-cn NAME] [--san LIST]\n"
	      "                          [--clients NAME,NAME,...] [--force]\n"
	      "\n"
	      "Makes everything a deployment needs, with the defaults of the other commands:\n"
	      "  DIR/ca/                 ca.crt, ca.key                      (as 'ca')\n"
	      "  DIR/wallet/             server.crt, server.key, ca.crt      (as 'server')\n"
	      "  DIR/clients/NAME/       tls.crt, tls.key, ca.crt            (as 'client')\n"
	      "                          gpg.pub.asc, gpg.sec.asc            (as 'gpg', no "
	      "passphrase)\n"
	      "Nothing is written unless everything could be made. An existing DIR is refused\n"
	      "unless --force is given; then the files above are replaced (others are kept).\n"
	      "\n"
	      "  --out DIR               output directory (created with mode 0700)\n"
	      "  --server-cn NAME        the wallet's host name (default \"" KG_DEFAULT_SERVER_CN
	      "\")\n"
	      "  --san LIST              the server's subjectAltNames, as for 'server'\n"
	      "                          (default DNS:localhost,IP:127.0.0.1; the CN is added)\n"
	      "  --clients LIST          comma-separated client names (default " KG_DEFAULT_CLIENTS
	      ")\n"
	      "  --force                 replace the files of an existing DIR\n"
	      "  -h, --help              show this help\n",
	      out);
}

struct init_args {
	const char *out, *server_cn, *san, *clients;
	bool force;
	char clients_buf[KG_CLIENTS_MAX * (CW_CLIENT_NAME_MAX + 1) + 1];
	const char *names[KG_CLIENTS_MAX];
	size_t n_names;
	kg_san_list sans;
};

/* Returns -1 to go on, else the exit status. */
static int validate(struct init_args *a)
{
	char err[512];
	struct stat sb;
	const char *clients = a->clients ? a->clients : KG_DEFAULT_CLIENTS;
	cw_status st;

	if (!a->out)
		return kg_usage_error("init", "--out DIR is required");
	if (!a->server_cn)
		a->server_cn = KG_DEFAULT_SERVER_CN;
	if (!kg_server_cn_valid(a->server_cn))
		return kg_usage_error("init",
		                      "bad --server-cn '%s': expected a DNS name or an IP address",
		                      a->server_cn);
	st = a->san ? kg_san_parse(&a->sans, a->san, err, sizeof err)
	            : kg_san_add_defaults(&a->sans, err, sizeof err);
	if (st == CW_OK)
		st = kg_san_add_host(&a->sans, a->server_cn, err, sizeof err);
	if (st == CW_OK)
		st = kg_parse_clients(clients, a->clients_buf, sizeof a->clients_buf, a->names,
		                      &a->n_names, err, sizeof err);
	if (st != CW_OK)
		return kg_usage_error("init", "%s", err);
	if (!a->force && lstat(a->out, &sb) == 0)
		return kg_fail("init", KG_EXIT_FAIL,
		               "%s already exists (use --force to replace its keys)", a->out);
	return -1;
}

static cw_status add_client(kg_files *fs, const char *name, kg_ca *ca, kg_rng *rng, char *err,
                            size_t errsz)
{
	kg_cert_req req = {
	    .kind = KG_CERT_CLIENT, .cn = name, .days = KG_DAYS_LEAF, .key = KG_KEY_EC256};
	kg_gpg_keys keys;
	char dir[KG_REL_MAX], pub[KG_REL_MAX], sec[KG_REL_MAX];
	cw_status st;

	if (cw_path(dir, sizeof dir, "clients/%s", name) != CW_OK ||
	    cw_path(pub, sizeof pub, "%s/gpg.pub.asc", dir) != CW_OK ||
	    cw_path(sec, sizeof sec, "%s/gpg.sec.asc", dir) != CW_OK) {
		snprintf(err, errsz, "client name too long");
		return CW_ERR_NAME;
	}
	st = kg_add_leaf(fs, dir, "tls.crt", "tls.key", &req, ca, rng, err, errsz);
	if (st != CW_OK)
		return st;
	st = kg_gpg_generate(name, KG_GPG_ED25519, NULL, &keys, err, errsz);
	if (st != CW_OK)
		return st;
	st = kg_files_add(fs, pub, keys.pub.data, keys.pub.len, KG_MODE_PUBLIC, false);
	if (st == CW_OK)
		st = kg_files_add(fs, sec, keys.sec.data, keys.sec.len, KG_MODE_SECRET, true);
	if (st != CW_OK)
		snprintf(err, errsz, "cannot stage the keys of %s: %s", name, cw_strerror(st));
	kg_gpg_keys_free(&keys);
	return st;
}

int cmd_init(int argc, char **argv, const void *ctx)
{
	(void)ctx; /* wallet-keygen has no global options */
	struct init_args *a = calloc(1, sizeof *a);
	kg_files *fs = calloc(1, sizeof *fs);
	kg_cert_req ca_req = {
	    .kind = KG_CERT_CA, .cn = KG_DEFAULT_CA_CN, .days = KG_DAYS_CA, .key = KG_KEY_EC256};
	kg_cert_req srv_req = {.kind = KG_CERT_SERVER, .days = KG_DAYS_LEAF, .key = KG_KEY_EC256};
	kg_ca ca;
	kg_rng rng;
	bool ca_ok = false, rng_ok = false;
	char err[512];
	cw_status st;
	int rc;

	if (!a || !fs) {
		rc = kg_fail("init", KG_EXIT_FAIL, "out of memory");
		goto out;
	}
	kg_files_init(fs);
	{
		const kg_opt opts[] = {
		    {"out", &a->out, NULL},     {"server-cn", &a->server_cn, NULL},
		    {"san", &a->san, NULL},     {"clients", &a->clients, NULL},
		    {"force", NULL, &a->force}, {NULL, NULL, NULL}};
		rc = kg_getopt("init", argc, argv, opts, usage_init);
	}
	if (rc >= 0 || (rc = validate(a)) >= 0)
		goto out;

	st = kg_rng_init(&rng, err, sizeof err);
	rng_ok = st == CW_OK;
	if (st == CW_OK) {
		st = kg_add_ca(fs, "ca", &ca_req, &rng, &ca, err, sizeof err);
		ca_ok = st == CW_OK;
	}
	srv_req.cn = a->server_cn;
	srv_req.sans = &a->sans;
	if (st == CW_OK)
		st = kg_add_leaf(fs, "wallet", "server.crt", "server.key", &srv_req, &ca, &rng, err,
		                 sizeof err);
	for (size_t i = 0; st == CW_OK && i < a->n_names; i++)
		st = add_client(fs, a->names[i], &ca, &rng, err, sizeof err);
	if (st != CW_OK) {
		rc = kg_fail("init", KG_EXIT_FAIL, "%s", err);
		goto out;
	}
	rc = kg_publish("init", fs, a->out, a->force);
out:
	if (ca_ok)
		kg_ca_free(&ca);
	if (rng_ok)
		kg_rng_free(&rng);
	if (fs)
		kg_files_free(fs);
	free(fs);
	free(a);
	return rc;
}
