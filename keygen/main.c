/* wallet-keygen: makes the key material of a containerwallet deployment. One row per
 * subcommand in the table below; each lives in keygen/cmd_NAME.c. */
#include "cli.h"
#include "commands.h"

/* Every command makes or reads private keys (renew and sign the CA's): the dispatcher disables
 * core dumps first. */
static const struct cw_cmd commands[] = {
    {"ca", cmd_ca, usage_ca, "make a self-signed CA (ca.crt, ca.key)", CW_CMD_NODUMP},
    {"server", cmd_server, usage_server, "make the wallet's TLS server certificate", CW_CMD_NODUMP},
    {"client", cmd_client, usage_client, "make a client TLS certificate (CN = client name)",
     CW_CMD_NODUMP},
    {"gpg", cmd_gpg, usage_gpg, "make an OpenPGP key pair (NAME.pub.asc, NAME.sec.asc)",
     CW_CMD_NODUMP},
    {"init", cmd_init, usage_init, "make a CA, the wallet's certificate and every client's keys",
     CW_CMD_NODUMP},
    {"renew", cmd_renew, usage_renew, "issue a certificate again on its key, with new dates",
     CW_CMD_NODUMP},
    {"sign", cmd_sign, usage_sign, "issue a client certificate for a CSR (key made elsewhere)",
     CW_CMD_NODUMP},
};

static const struct cw_prog prog = {
    .name = KG_PROG,
    .usage_head = "Usage: wallet-keygen COMMAND [OPTIONS]\n"
                  "       wallet-keygen help [COMMAND] | --help | --version\n"
                  "\n"
                  "Makes the key material of a containerwallet deployment.\n"
                  "\n"
                  "Commands:\n",
    .cmds = commands,
    .ncmds = sizeof commands / sizeof commands[0],
    .opts = NULL,
};

int main(int argc, char **argv)
{
	return cw_cmd_run(&prog, argc, argv, NULL);
}
