#include "cliout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void cw_cli_vfail(const char *prog, const char *cmd, const char *suffix, const char *fmt,
                  va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* Messages quote user input: a newline in it must not split the line. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "%s%s%s: %s%s\n", prog, cmd ? " " : "", cmd ? cmd : "", msg,
	        suffix ? suffix : "");
}

int cw_cli_vusage(const char *prog, const char *cmd, const char *fmt, va_list ap)
{
	char suffix[128];
	snprintf(suffix, sizeof suffix, " (see '%s%s%s --help')", prog, cmd ? " " : "",
	         cmd ? cmd : "");
	cw_cli_vfail(prog, cmd, suffix, fmt, ap);
	return CW_EXIT_USAGE;
}

int cw_cli_finish(const char *prog, int rc)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad && rc == 0) {
		fprintf(stderr, "%s: cannot write to standard output: %s\n", prog, strerror(e));
		rc = CW_EXIT_FAIL;
	}
	return rc;
}
