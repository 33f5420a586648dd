/* Command-line plumbing shared by the wallet-keygen subcommands: option parsing with
 * getopt_long and one-line error messages. Not thread-safe (getopt state). */
#ifndef KG_CLI_H
#define KG_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "outfiles.h"
#include "cliout.h"
#include "cmdtab.h"
#include "status.h"

#define KG_PROG "wallet-keygen"
#define KG_EXIT_FAIL CW_EXIT_FAIL
#define KG_EXIT_USAGE CW_EXIT_USAGE

/* One long option: a value option stores its argument in *val, a flag sets *flag. */
typedef struct kg_opt {
	const char *name;
	const char **val;
	bool *flag;
} kg_opt;

/* Parses argv (argv[0] = the subcommand) against opts (terminated by a {NULL} row) and -h/--help.
 * Returns -1 when the command should go on, otherwise the exit status to return at once: 0 after
 * printing usage for --help, 2 after one error line for an unknown option, a missing or empty
 * value, an option given twice or a positional argument. */
int kg_getopt(const char *cmd, int argc, char **argv, const kg_opt *opts, cw_usage_fn usage);

/* Prints "wallet-keygen CMD: MESSAGE" as one line on stderr (control characters shown as '?')
 * and returns code. */
int kg_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with " (see 'wallet-keygen CMD --help')" appended; returns 2. */
int kg_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 2 for bad input (CW_ERR_USAGE, CW_ERR_NAME), else 1. */
int kg_exit_code(cw_status st);

/* Publishes fs under outdir (see kg_files_publish), prints one "created PATH" line per file on
 * stdout, and returns the exit status (0, or 1 after one error line). */
int kg_publish(const char *cmd, const kg_files *fs, const char *outdir, bool force);
/* Publishes one public file at path the same way (its directory is created when missing),
 * with mode; force replaces an existing file atomically. Prints "VERB PATH" on stdout and
 * returns the exit status (0, or 1 after one error line). */
int kg_publish_file(const char *cmd, const char *path, const void *data, size_t len, mode_t mode,
                    bool force, const char *verb);

#endif
