/* wallet-keygen: makes the key material of a containerwallet deployment. One row per
 * subcommand in the table below; each lives in keygen/cmd_NAME.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "cw_version.h"
#include "secmem.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	kg_usage_fn usage;
	const char *summary;
};

static const struct command commands[] = {
    {"ca", cmd_ca, usage_ca, "make a self-signed CA (ca.crt, ca.key)"},
    {"server", cmd_server, usage_server, "make the wallet's TLS server certificate"},
    {"client", cmd_client, usage_client, "make a client TLS certificate (CN = client name)"},
    {"gpg", cmd_gpg, usage_gpg, "make an OpenPGP key pair (NAME.pub.asc, NAME.sec.asc)"},
    {"init", cmd_init, usage_init, "make a CA, the wallet's certificate and every client's keys"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fputs("Usage: wallet-keygen COMMAND [OPTIONS]\n"
	      "       wallet-keygen help [COMMAND] | --help | --version\n"
	      "\n"
	      "Makes the key material of a containerwallet deployment.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'wallet-keygen COMMAND --help' for a command's options.\n"
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
	const struct command *c;

	if (argc < 2)
		return kg_usage_error(NULL, "missing command");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			if (!(c = find(argv[2])))
				return kg_usage_error(NULL, "unknown command '%s'", argv[2]);
			c->usage(stdout);
		} else {
			usage(stdout);
		}
		return cw_cli_finish(KG_PROG, 0);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		puts(KG_PROG " " CW_VERSION);
		return cw_cli_finish(KG_PROG, 0);
	}
	if (!(c = find(argv[1])))
		return kg_usage_error(NULL, "unknown command '%s'", argv[1]);
	/* This process is about to hold private keys: no core dump, no ptrace by peers. */
	if (cw_nodump() != CW_OK)
		return kg_fail(NULL, KG_EXIT_FAIL, "cannot disable core dumps");
	umask(077);
	return cw_cli_finish(KG_PROG, c->fn(argc - 1, argv + 1));
}
