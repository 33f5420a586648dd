/* Shared plumbing of the wallet's admin commands: one-line errors, option parsing, opening
 * the data directory. Not thread-safe (getopt state): CLI use only. */
#ifndef WALLET_CLI_H
#define WALLET_CLI_H

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cliout.h"
#include "cmdtab.h"
#include "commands.h"
#include "cw_version.h"
#include "manifest.h"
#include "objstore.h"
#include "status.h"

#define WL_PROG "wallet"
#define WL_EXIT_FAIL CW_EXIT_FAIL
#define WL_EXIT_USAGE CW_EXIT_USAGE
#define WL_OPT_BAD (-2) /* wl_getopt printed a usage error */

/* "wallet CMD: message" on stderr, one line (control characters replaced); returns code. */
int wl_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, with " (see 'wallet CMD --help')", returns WL_EXIT_USAGE. */
int wl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getopt_long over lo (which should contain "help" -> 'h'); prints its own one-line error and
 * returns WL_OPT_BAD for an unknown option or a missing value. */
int wl_getopt(const char *cmd, int argc, char **argv, const struct option *lo);

/* The status as a message, with errno's text for CW_ERR_IO ("input/output error: No space
 * left on device"). Returns buf. */
const char *wl_errmsg(cw_status st, int err, char *buf, size_t bufsz);

/* Opens the data directory of ctx; prints the error itself. Returns 0 or an exit code. */
int wl_open(const char *cmd, const char *datadir, ws_store **out);

/* Whether the file system holding dir has (next to) no block or inode left for us: a gpg or
 * write failure there is reported as what it is. */
bool wl_disk_full(const char *dir);
/* For a failure st that a full file system under dir can cause: "No space left on device in
 * DIR" when it is full (whatever gpg or the store said), else wl_errmsg's text. Returns buf. */
const char *wl_errmsg_in(const char *dir, cw_status st, int err, char *buf, size_t bufsz);

/* A listing command ([--json] [--data DIR] [--help]): opens the data directory and calls
 * iterate with arr = a JSON array to fill (--json, printed afterwards as one line) or NULL
 * (print text as you go). what names the things listed in the error line. Returns the exit code. */
typedef cw_status (*wl_iterate_fn)(ws_store *st, cJSON *arr);
int wl_listing(const char *cmd, int argc, char **argv, const struct wallet_ctx *ctx,
               cw_usage_fn usage, wl_iterate_fn iterate, const char *what);

/* Options of a command that takes only --data and --help: *datadir starts as ctx's. Returns
 * -1 to go on (optind at the first operand), else the exit code to return (0 after --help). */
int wl_data_opts(const char *cmd, int argc, char **argv, const struct wallet_ctx *ctx,
                 cw_usage_fn usage, const char **datadir);

/* The one NAME operand after the options (argv[optind]), checked against the object-name
 * grammar. Returns 0 with *name set, or the usage error's exit code (after its line). */
int wl_name_arg(const char *cmd, int argc, char **argv, const char **name);

/* Reads the record of a registered client into *cl. Returns 0, WL_CLIENT_NONE (nothing
 * printed) when client is not registered, or WL_EXIT_FAIL after one error line. */
#define WL_CLIENT_NONE (-1)
int wl_client_get(const char *cmd, ws_store *st, const char *client, ws_client *cl);

/* The one CLIENT operand after the options (argv[optind]), checked against the client-name
 * grammar. Returns 0 with *client set, or the usage error's exit code (after its line). */
int wl_client_arg(const char *cmd, int argc, char **argv, const char **client);

/* Re-signs the manifests of the n clients named (clients NULL: all of them) after a change
 * (docs/FORMAT.md); on failure prints one line saying what was done already (done, e.g.
 * "stored db_pass 3") and that 'wallet refresh' finishes it. Returns 0 or WL_EXIT_FAIL. The
 * caller holds the agent (wg_agent_enter). */
int wl_update_manifests(const char *cmd, ws_store *st, const char *const *clients, size_t n,
                        const char *done);

#endif
