/* wallet-keygen server: the wallet's TLS server certificate. */
#include "commands.h"
#include "leaf.h"

void usage_server(FILE *out)
{
	fputs("Usage: wallet-keygen server --ca DIR --out DIR --cn NAME [--san LIST] [--days N]\n"
	      "                            [--key TYPE] [--force]\n"
	      "\n"
	      "Makes the wallet's TLS server key pair and a certificate signed by the CA in\n"
	      "--ca DIR (ca.crt, ca.key): DIR/server.crt, DIR/server.key (mode 0600) and a copy\n"
	      "of the CA certificate, DIR/ca.crt. Extended key usage serverAuth.\n"
	      "\n"
	      "  --ca DIR     directory holding ca.crt and ca.key (see 'wallet-keygen ca')\n"
	      "  --out DIR    output directory (created with mode 0700 when missing)\n"
	      "  --cn NAME    the server's host name (or IP address); always a SAN too\n"
	      "  --san LIST   subjectAltNames, comma-separated DNS:name and IP:address entries\n"
	      "               (default DNS:localhost,IP:127.0.0.1)\n"
	      "  --days N     validity in days, 1-36500 (default 825)\n"
	      "  --key TYPE   ec256 (default), ec384, rsa3072 or rsa4096\n"
	      "  --force      replace existing files\n"
	      "  -h, --help   show this help\n",
	      out);
}

int cmd_server(int argc, char **argv, const void *ctx)
{
	(void)ctx; /* wallet-keygen has no global options */
	return kg_leaf_command("server", KG_CERT_SERVER, argc, argv, usage_server);
}
