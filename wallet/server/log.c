#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "objstore.h"

struct cw_log {
	int fd;
	int owned;
	pthread_mutex_t mu;
};

void cw_time_rfc3339(char *buf, size_t bufsz)
{
	struct timespec ts;
	char base[WS_TIME_UTC_LEN];
	clock_gettime(CLOCK_REALTIME, &ts);
	ws_time_utc(ts.tv_sec, base);
	snprintf(buf, bufsz, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

cw_status cw_log_open(const char *path, cw_log **out)
{
	*out = NULL;
	cw_log *lg = calloc(1, sizeof *lg);
	if (lg == NULL)
		return CW_ERR_NOMEM;
	if (path == NULL || strcmp(path, "-") == 0) {
		lg->fd = STDERR_FILENO;
	} else {
		lg->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lg->fd < 0) {
			free(lg);
			return CW_ERR_IO;
		}
		lg->owned = 1;
	}
	pthread_mutex_init(&lg->mu, NULL);
	*out = lg;
	return CW_OK;
}

void cw_log_close(cw_log *lg)
{
	if (lg == NULL)
		return;
	if (lg->owned)
		close(lg->fd);
	pthread_mutex_destroy(&lg->mu);
	free(lg);
}

void cw_log_json(cw_log *lg, cJSON *obj)
{
	if (lg == NULL || obj == NULL)
		return;
	if (!cJSON_HasObjectItem(obj, "time")) {
		char t[40];
		cw_time_rfc3339(t, sizeof t);
		cJSON *ts = cJSON_CreateString(t);
		if (ts == NULL)
			return;
		/* insert first, so that lines read well */
		cJSON_InsertItemInArray(obj, 0, ts);
		ts->string = strdup("time");
		if (ts->string == NULL) {
			cJSON_DetachItemViaPointer(obj, ts);
			cJSON_Delete(ts);
			return;
		}
	}
	char *line = cJSON_PrintUnformatted(obj);
	if (line == NULL)
		return;
	size_t n = strlen(line);
	char *buf = realloc(line, n + 2);
	if (buf == NULL) {
		free(line);
		return;
	}
	buf[n] = '\n';
	pthread_mutex_lock(&lg->mu);
	(void)cw_write_all(lg->fd, buf, n + 1); /* a log line that cannot be written is lost */
	pthread_mutex_unlock(&lg->mu);
	free(buf);
}

void cw_log_event(cw_log *lg, const char *level, const char *event, const char *msg)
{
	if (lg == NULL)
		return;
	cJSON *o = cJSON_CreateObject();
	if (o == NULL)
		return;
	cJSON_AddStringToObject(o, "level", level);
	cJSON_AddStringToObject(o, "event", event);
	if (msg != NULL)
		cJSON_AddStringToObject(o, "msg", msg);
	cw_log_json(lg, o);
	cJSON_Delete(o);
}
