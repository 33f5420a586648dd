/* JSON-lines logger for audit and error logs: one object per line, one write(2) per line on
 * an O_APPEND descriptor, so concurrent writers never interleave within a line.
 * Never pass secret data to it. All functions are thread-safe. */
#ifndef CW_LOG_H
#define CW_LOG_H

#include <cjson/cJSON.h>

#include "status.h"

typedef struct cw_log cw_log;

/* path NULL or "-" logs to stderr; otherwise the file is created 0600 and appended to. */
cw_status cw_log_open(const char *path, cw_log **out);
/* Closes the file (never stderr); NULL is accepted. */
void cw_log_close(cw_log *lg);

/* Writes obj as one line. Adds "time" (RFC 3339 UTC with milliseconds) first when obj has
 * none. obj stays owned by the caller. A NULL lg discards. */
void cw_log_json(cw_log *lg, cJSON *obj);
/* Convenience: {"time":..,"level":level,"event":event,"msg":msg}; msg may be NULL. */
void cw_log_event(cw_log *lg, const char *level, const char *event, const char *msg);

/* Formats the current UTC time as 2026-11-22T16:40:37.123Z into buf (>= 32 bytes). */
void cw_time_rfc3339(char *buf, size_t bufsz);

#endif
