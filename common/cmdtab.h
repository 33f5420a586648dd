/* The command dispatcher of the programs with subcommands (wallet, wallet-keygen), after git's
 * command table: one row per command, global options before the command, `PROG help CMD` and
 * `PROG CMD --help` printing the same usage, `--version`. Not thread-safe (stdio, getopt and
 * the umask of a CLI process). */
#ifndef CW_CMDTAB_H
#define CW_CMDTAB_H

#include <stddef.h>
#include <stdio.h>

/* Row flags: setup the dispatcher does before calling the command. */
#define CW_CMD_NODUMP 0x1u /* the command holds secrets: no core dump, not ptrace-able */

/* argv[0] is the command's name; ctx is the program's own context (see cw_cmd_run). Returns the
 * exit status: 0 success, 1 failure, 2 usage error. */
typedef int (*cw_cmd_fn)(int argc, char **argv, const void *ctx);
/* Prints the command's help text (`PROG help CMD` and `PROG CMD --help`). */
typedef void (*cw_usage_fn)(FILE *out);

struct cw_cmd {
	const char *name;
	cw_cmd_fn fn;
	cw_usage_fn usage;
	const char *summary; /* one line in `PROG --help` */
	unsigned flags;      /* CW_CMD_* */
};

/* A global option that takes a value, before the command: `--NAME VALUE` or `--NAME=VALUE`,
 * the value non-empty. The value is stored in *val (which may hold a default beforehand). */
struct cw_global_opt {
	const char *name;
	const char **val;
};

struct cw_prog {
	const char *name;                 /* "wallet" */
	const char *usage_head;           /* `PROG --help` up to and including "Commands:\n" */
	const struct cw_cmd *cmds;        /* the command table */
	size_t ncmds;                     /* its rows */
	const struct cw_global_opt *opts; /* ends with a {NULL} row; NULL: none */
};

/* Runs a program: sets the umask to 077, reads the global options (and --help/-h,
 * --version/-V, "--"), then `help [CMD]` or the command, whose row's flags it applies. Prints
 * one error line for a usage error (exit 2), flushes and checks stdout (cw_cli_finish).
 * ctx is passed to the command unchanged. Returns the process's exit status. */
int cw_cmd_run(const struct cw_prog *p, int argc, char **argv, const void *ctx);

#endif
