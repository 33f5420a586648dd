#include "audit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

/* The raw path as sent may hold any byte: keep the log valid UTF-8 and one line (escapes the
 * client sent stay as they were). */
static void safe_path(const char *in, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && o + 4 < outsz; p++) {
		if (*p > 0x20 && *p < 0x7f) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}

void audit_request(cw_log *lg, const cw_https_req *req, const char *reason, uint64_t duration_us)
{
	char path[520];
	cJSON *o = cJSON_CreateObject();
	if (lg == NULL || o == NULL)
		goto out;
	safe_path(req->path, path, sizeof path);
	if (req->peer->verified) {
		if (req->peer->cn[0] != '\0')
			cJSON_AddStringToObject(o, "client", req->peer->cn);
		else
			cJSON_AddNullToObject(o, "client");
		cJSON_AddStringToObject(o, "cert_sha256", req->peer->sha256);
	} else {
		cJSON_AddNullToObject(o, "client");
		cJSON_AddNullToObject(o, "cert_sha256");
	}
	cJSON_AddStringToObject(o, "method", req->method);
	cJSON_AddStringToObject(o, "path", path);
	if (req->object[0] != '\0')
		cJSON_AddStringToObject(o, "object", req->object);
	else
		cJSON_AddNullToObject(o, "object");
	if (req->version != 0)
		cJSON_AddNumberToObject(o, "version", (double)req->version);
	else
		cJSON_AddNullToObject(o, "version");
	cJSON_AddNumberToObject(o, "status", req->status);
	cJSON_AddNumberToObject(o, "bytes", (double)req->bytes);
	cJSON_AddNumberToObject(o, "duration_ms", (double)duration_us / 1000.0);
	if (reason != NULL)
		cJSON_AddStringToObject(o, "reason", reason);
	cw_log_json(lg, o);
out:
	cJSON_Delete(o);
}
