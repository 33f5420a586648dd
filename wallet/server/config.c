#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

enum kind { STR, INT };

static const struct key {
	const char *name;
	enum kind kind;
	size_t off;
	long min, max;
} keys[] = {
    {"listen", STR, offsetof(struct serve_config, listen), 0, 0},
    {"tls_cert", STR, offsetof(struct serve_config, tls_cert), 0, 0},
    {"tls_key", STR, offsetof(struct serve_config, tls_key), 0, 0},
    {"tls_ca", STR, offsetof(struct serve_config, tls_ca), 0, 0},
    {"health_listen", STR, offsetof(struct serve_config, health_listen), 0, 0},
    {"audit_log", STR, offsetof(struct serve_config, audit_log), 0, 0},
    {"data", STR, offsetof(struct serve_config, data), 0, 0},
    {"export", STR, offsetof(struct serve_config, export_dir), 0, 0},
    {"threads", INT, offsetof(struct serve_config, threads), 1, 512},
    {"request_timeout_ms", INT, offsetof(struct serve_config, request_timeout_ms), 100, 3600000},
    {"keep_alive_timeout_ms", INT, offsetof(struct serve_config, keep_alive_timeout_ms), 100,
     3600000},
    {"max_header_bytes", INT, offsetof(struct serve_config, max_header_bytes), 1024, 1048576},
    {"verify_depth", INT, offsetof(struct serve_config, verify_depth), 1, 16},
};

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static cw_status set_str(struct serve_config *cfg, const struct key *k, const char *v, char *err,
                         size_t errsz)
{
	if (v[0] == '\0') {
		snprintf(err, errsz, "%s: empty value", k->name);
		return CW_ERR_USAGE;
	}
	char *dup = strdup(v);
	if (dup == NULL)
		return CW_ERR_NOMEM;
	char **slot = (char **)((char *)cfg + k->off);
	free(*slot);
	*slot = dup;
	return CW_OK;
}

static cw_status set_int(struct serve_config *cfg, const struct key *k, long v, char *err,
                         size_t errsz)
{
	if (v < k->min || v > k->max) {
		snprintf(err, errsz, "%s: %ld out of range %ld..%ld", k->name, v, k->min, k->max);
		return CW_ERR_USAGE;
	}
	*(int *)((char *)cfg + k->off) = (int)v;
	return CW_OK;
}

cw_status serve_config_set(struct serve_config *cfg, const char *key, const char *value, char *err,
                           size_t errsz)
{
	const struct key *k = find_key(key);
	if (k == NULL) {
		snprintf(err, errsz, "unknown setting '%s'", key);
		return CW_ERR_USAGE;
	}
	if (k->kind == STR)
		return set_str(cfg, k, value, err, errsz);
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		snprintf(err, errsz, "%s: not an integer: '%s'", k->name, value);
		return CW_ERR_USAGE;
	}
	return set_int(cfg, k, v, err, errsz);
}

/* Follows symlinks on purpose: orchestrators mount config files through them. */
static cw_status read_config(const char *file, unsigned char **out, size_t *len)
{
	enum { LIMIT = 1 << 20 };
	cw_status rc = CW_ERR_IO;
	FILE *fp = fopen(file, "re");
	*out = NULL;
	if (fp == NULL)
		return CW_ERR_IO;
	unsigned char *buf = malloc(LIMIT + 1);
	if (buf == NULL) {
		rc = CW_ERR_NOMEM;
		goto out;
	}
	size_t n = fread(buf, 1, LIMIT + 1, fp);
	if (ferror(fp))
		goto out;
	if (n > LIMIT) {
		rc = CW_ERR_TOOBIG;
		goto out;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	rc = CW_OK;
out:
	free(buf);
	fclose(fp);
	return rc;
}

cw_status serve_config_load(struct serve_config *cfg, const char *file, char *err, size_t errsz)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	cJSON *root = NULL;
	cw_status rc = read_config(file, &buf, &len);
	if (rc != CW_OK) {
		snprintf(err, errsz, "cannot read config file %s: %s", file,
		         rc == CW_ERR_IO ? strerror(errno) : cw_strerror(rc));
		if (rc == CW_ERR_TOOBIG)
			rc = CW_ERR_USAGE;
		goto out;
	}
	rc = CW_ERR_USAGE;
	root = cJSON_ParseWithLength((const char *)buf, len);
	if (root == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errsz, "config file %s: not a JSON object", file);
		goto out;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, root)
	{
		const struct key *k = find_key(it->string);
		if (k == NULL) {
			snprintf(err, errsz, "config file %s: unknown key '%s'", file, it->string);
			goto out;
		}
		cw_status st;
		if (k->kind == STR && cJSON_IsString(it)) {
			st = set_str(cfg, k, it->valuestring, err, errsz);
		} else if (k->kind == INT && cJSON_IsNumber(it) &&
		           it->valuedouble == (double)(long)it->valuedouble) {
			st = set_int(cfg, k, (long)it->valuedouble, err, errsz);
		} else {
			snprintf(err, errsz, "config file %s: '%s' must be %s", file, k->name,
			         k->kind == STR ? "a string" : "an integer");
			goto out;
		}
		if (st != CW_OK) {
			if (st == CW_ERR_USAGE) {
				char inner[200];
				snprintf(inner, sizeof inner, "%s", err);
				snprintf(err, errsz, "config file %s: %s", file, inner);
			}
			rc = st;
			goto out;
		}
	}
	rc = CW_OK;
out:
	cJSON_Delete(root);
	free(buf);
	return rc;
}

static cw_status default_path(char **slot, const char *dir, const char *file)
{
	if (*slot != NULL)
		return CW_OK;
	size_t n = strlen(dir) + strlen(file) + 6;
	*slot = malloc(n);
	if (*slot == NULL)
		return CW_ERR_NOMEM;
	snprintf(*slot, n, "%s/tls/%s", dir, file);
	return CW_OK;
}

cw_status serve_config_finish(struct serve_config *cfg, const char *datadir, char *err,
                              size_t errsz)
{
	cw_status rc = CW_OK;
	if (cfg->data == NULL && (cfg->data = strdup(datadir)) == NULL)
		return CW_ERR_NOMEM;
	if (cfg->listen == NULL && (cfg->listen = strdup(SERVE_DEFAULT_LISTEN)) == NULL)
		return CW_ERR_NOMEM;
	if ((rc = default_path(&cfg->tls_cert, cfg->data, "server.crt")) != CW_OK ||
	    (rc = default_path(&cfg->tls_key, cfg->data, "server.key")) != CW_OK ||
	    (rc = default_path(&cfg->tls_ca, cfg->data, "ca.crt")) != CW_OK)
		return rc;
	if (cfg->threads == 0)
		cfg->threads = SERVE_DEFAULT_THREADS;
	if (cfg->health_listen != NULL && strchr(cfg->health_listen, ':') == NULL) {
		char *end;
		long port = strtol(cfg->health_listen, &end, 10);
		if (end == cfg->health_listen || *end != '\0' || port < 0 || port > 65535) {
			snprintf(err, errsz, "bad health listen address '%s'", cfg->health_listen);
			return CW_ERR_USAGE;
		}
		char *full = malloc(32);
		if (full == NULL)
			return CW_ERR_NOMEM;
		snprintf(full, 32, "127.0.0.1:%ld", port);
		free(cfg->health_listen);
		cfg->health_listen = full;
	}
	return CW_OK;
}

void serve_config_free(struct serve_config *cfg)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].kind == STR) {
			char **slot = (char **)((char *)cfg + keys[i].off);
			free(*slot);
			*slot = NULL;
		}
}
