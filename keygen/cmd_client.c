/* wallet-keygen client: a client certificate whose CN is the client name the wallet
 * authorizes with. */
#include "commands.h"
#include "leaf.h"

void usage_client(FILE *out)
{
	fputs("Usage: wallet-keygen client --ca DIR --out DIR --cn NAME [--days N] [--key TYPE]\n"
	      "                            [--force]\n"
	      "\n"
	      "Makes a client's TLS key pair and a certificate signed by the CA in --ca DIR:\n"
	      "DIR/tls.crt, DIR/tls.key (mode 0600) and a copy of the CA certificate, DIR/ca.crt.\n"
	      "Extended key usage clientAuth. The wallet authorizes the client by this CN.\n"
	      "\n"
	      "  --ca DIR     directory holding ca.crt and ca.key (see 'wallet-keygen ca')\n"
	      "  --out DIR    output directory (created with mode 0700 when missing)\n"
	      "  --cn NAME    the client name: 1-64 of [A-Za-z0-9._-], not '.' or '..'\n"
	      "  --days N     validity in days, 1-36500 (default 825)\n"
	      "  --key TYPE   ec256 (default), ec384, rsa3072 or rsa4096\n"
	      "  --force      replace existing files\n"
	      "  -h, --help   show this help\n",
	      out);
}

int cmd_client(int argc, char **argv, const void *ctx)
{
	(void)ctx; /* wallet-keygen has no global options */
	return kg_leaf_command("client", KG_CERT_CLIENT, argc, argv, usage_client);
}
