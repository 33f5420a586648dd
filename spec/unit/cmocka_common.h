/* cmocka needs these before its header. */
#ifndef CW_CMOCKA_COMMON_H
#define CW_CMOCKA_COMMON_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs a shell command made like printf (certificates from the openssl CLI, say); returns
 * what system() returns. */
static inline int __attribute__((format(printf, 1, 2))) cw_test_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}
#endif
