/* What the command-line programs share: one-line errors that user input cannot split, and a
 * checked end of standard output. Not thread-safe (stdio of a CLI process). */
#ifndef CW_CLIOUT_H
#define CW_CLIOUT_H

#include <stdarg.h>

#define CW_EXIT_OK 0
#define CW_EXIT_FAIL 1
#define CW_EXIT_USAGE 2

/* Prints "PROG[ CMD]: message[suffix]" as one line on stderr; control characters in the
 * message (which may quote user input) become '?'. */
void cw_cli_vfail(const char *prog, const char *cmd, const char *suffix, const char *fmt,
                  va_list ap) __attribute__((format(printf, 4, 0)));

/* The same with " (see 'PROG[ CMD] --help')" appended. Returns CW_EXIT_USAGE. */
int cw_cli_vusage(const char *prog, const char *cmd, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Flushes and closes stdout: a full disk or a closed pipe must not pass silently. Returns rc,
 * or CW_EXIT_FAIL (after one error line) when rc was 0 and the output failed. */
int cw_cli_finish(const char *prog, int rc);

#endif
