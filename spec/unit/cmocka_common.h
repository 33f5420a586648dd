/* cmocka needs these before its header. */
#ifndef CW_CMOCKA_COMMON_H
#define CW_CMOCKA_COMMON_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
