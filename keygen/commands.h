/* The subcommands of wallet-keygen: one file each (keygen/cmd_NAME.c), one row each in main.c's
 * table. Each is a cw_cmd_fn (cmdtab.h; ctx is unused): argv[0] is the subcommand, the return
 * value the exit status (0, 1 failure, 2 usage). usage_NAME prints the command's help text. */
#ifndef KG_COMMANDS_H
#define KG_COMMANDS_H

#include <stdio.h>

#define KG_CMD(name)                                            \
	int cmd_##name(int argc, char **argv, const void *ctx); \
	void usage_##name(FILE *out)

KG_CMD(ca);
KG_CMD(server);
KG_CMD(client);
KG_CMD(gpg);
KG_CMD(init);
KG_CMD(renew);
KG_CMD(sign);

#define KG_DEFAULT_CA_CN "containerwallet CA"
#define KG_DEFAULT_SERVER_CN "wallet"
#define KG_DEFAULT_CLIENTS "app1"

#endif
