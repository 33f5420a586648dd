/* wallet: the blind store's admin CLI and server. One row per subcommand in the table below;
 * each lives in wallet/cmd/cmd_NAME.c. */
#include <stdlib.h>

#include "cli.h"
#include "commands.h"

static const struct cw_cmd commands[] = {
    {"init", cmd_init, usage_init, "create the data directory and the wallet's signing key", 0},
    {"importkey", cmd_importkey, usage_importkey, "register a client's GPG public key (stdin)", 0},
    {"store", cmd_store, usage_store, "seal stdin for clients and publish a new version", 0},
    {"list", cmd_list, usage_list, "list objects: versions, recipients, sizes, dates", 0},
    {"rm", cmd_rm, usage_rm, "remove an object or one version of it", 0},
    {"keys", cmd_keys, usage_keys, "list registered clients and their key fingerprints", 0},
    {"revoke", cmd_revoke, usage_revoke, "refuse a client, or one of its certificates, from now on",
     0},
    {"unrevoke", cmd_unrevoke, usage_unrevoke, "accept a revoked client or certificate again", 0},
    {"removekey", cmd_removekey, usage_removekey,
     "remove a client: its record, its key, its manifest", 0},
    {"signing-key", cmd_signing_key, usage_signing_key, "print the wallet's public signing key", 0},
    {"rotate-signing-key", cmd_rotate_signing_key, usage_rotate_signing_key,
     "sign with a new subkey from now on; clients keep their pin", 0},
    {"checkintegrity", cmd_checkintegrity, usage_checkintegrity,
     "verify signatures, metadata, manifests, file modes and keys", 0},
    {"serve", cmd_serve, usage_serve, "serve objects over mutual TLS", 0},
    {"refresh", cmd_refresh, usage_refresh, "sign every client's manifest again (cron)", 0},
    {"export", cmd_export, usage_export, "a copy without secret keys, for replicas and mirrors", 0},
};

int main(int argc, char **argv)
{
	const char *env = getenv("WALLET_DATA");
	/* The default first: --data before the command replaces it. */
	struct wallet_ctx ctx = {
	    .datadir = (env != NULL && env[0] != '\0') ? env : WALLET_DEFAULT_DATA,
	    .prog = WL_PROG,
	};
	const struct cw_global_opt opts[] = {{"data", &ctx.datadir}, {NULL, NULL}};
	const struct cw_prog prog = {
	    .name = WL_PROG,
	    .usage_head =
	        "Usage: wallet [--data DIR] COMMAND [OPTIONS] [ARGS]\n"
	        "       wallet help [COMMAND] | --help | --version\n"
	        "\n"
	        "The containerwallet store: holds only content sealed to its clients' GPG keys "
	        "and\n"
	        "signed with its own, and serves it over mutual TLS.\n"
	        "\n"
	        "Options:\n"
	        "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	        ")\n"
	        "  --help       this text\n"
	        "  --version    the program's version\n"
	        "\n"
	        "Commands:\n",
	    .cmds = commands,
	    .ncmds = sizeof commands / sizeof commands[0],
	    .opts = opts,
	};
	return cw_cmd_run(&prog, argc, argv, &ctx);
}
