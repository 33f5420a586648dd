/* wallet: the blind store's admin CLI and server. One row per subcommand in the table below;
 * each lives in wallet/cmd_NAME.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"

struct command {
	const char *name;
	wallet_cmd_fn fn;
	wallet_usage_fn usage;
	const char *summary;
};

static const struct command commands[] = {
    {"init", cmd_init, usage_init, "create the data directory and the wallet's signing key"},
    {"importkey", cmd_importkey, usage_importkey, "register a client's GPG public key (stdin)"},
    {"store", cmd_store, usage_store, "seal stdin for clients and publish a new version"},
    {"list", cmd_list, usage_list, "list objects: versions, recipients, sizes, dates"},
    {"rm", cmd_rm, usage_rm, "remove an object or one version of it"},
    {"keys", cmd_keys, usage_keys, "list registered clients and their key fingerprints"},
    {"revoke", cmd_revoke, usage_revoke, "refuse a client from now on"},
    {"signing-key", cmd_signing_key, usage_signing_key, "print the wallet's public signing key"},
    {"checkintegrity", cmd_checkintegrity, usage_checkintegrity,
     "verify signatures, metadata, file modes and keys"},
    {"serve", cmd_serve, usage_serve, "serve objects over mutual TLS"},
    {"refresh", cmd_refresh, usage_refresh, "sign every client's manifest again (cron)"},
    {"export", cmd_export, usage_export, "a copy without secret keys, for replicas and mirrors"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fputs("Usage: wallet [--data DIR] COMMAND [OPTIONS] [ARGS]\n"
	      "       wallet help [COMMAND] | --help | --version\n"
	      "\n"
	      "The containerwallet store: holds only content sealed to its clients' GPG keys and\n"
	      "signed with its own, and serves it over mutual TLS.\n"
	      "\n"
	      "Options:\n"
	      "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	      ")\n"
	      "  --help       this text\n"
	      "  --version    the program's version\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-15s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'wallet COMMAND --help' for a command's options.\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n",
	      out);
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct wallet_ctx ctx = {.datadir = NULL, .prog = WL_PROG};
	int i = 1;

	umask(077);
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return cw_cli_finish(WL_PROG, 0);
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("%s %s\n", WL_PROG, WL_VERSION);
			return cw_cli_finish(WL_PROG, 0);
		}
		if (strcmp(a, "--data") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0')
				return wl_usage_error(NULL, "option '--data' needs a value");
			ctx.datadir = argv[++i];
		} else if (strncmp(a, "--data=", 7) == 0 && a[7] != '\0') {
			ctx.datadir = a + 7;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else {
			return wl_usage_error(NULL, "unknown option '%s'", a);
		}
	}
	if (ctx.datadir == NULL) {
		const char *env = getenv("WALLET_DATA");
		ctx.datadir = (env != NULL && env[0] != '\0') ? env : WALLET_DEFAULT_DATA;
	}
	if (i >= argc)
		return wl_usage_error(NULL, "no command given");

	const char *name = argv[i];
	if (strcmp(name, "help") == 0) {
		if (i + 1 >= argc) {
			usage(stdout);
			return cw_cli_finish(WL_PROG, 0);
		}
		const struct command *c = find(argv[i + 1]);
		if (c == NULL)
			return wl_usage_error(NULL, "unknown command '%s'", argv[i + 1]);
		c->usage(stdout);
		return cw_cli_finish(WL_PROG, 0);
	}
	const struct command *c = find(name);
	if (c == NULL)
		return wl_usage_error(NULL, "unknown command '%s'", name);
	optind = 0; /* glibc: full re-initialisation of getopt */
	return cw_cli_finish(WL_PROG, c->fn(argc - i, argv + i, &ctx));
}
