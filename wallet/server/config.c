#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

/* INT_OFF: an integer whose 0 means "off", stored as -1 so that 0 stays "unset". */
enum kind { STR, INT, INT_OFF };

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
    {"tls_session_lifetime", INT_OFF, offsetof(struct serve_config, tls_session_lifetime), 0,
     86400},
    {"tls_session_cache", INT, offsetof(struct serve_config, tls_session_cache), 1, 65536},
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
	*(int *)((char *)cfg + k->off) = k->kind == INT_OFF && v == 0 ? -1 : (int)v;
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

static size_t skip_ws(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* cJSON keeps strings NUL-terminated and gives no length, so a string holding "\u0000" reached
 * us cut short (an audit_log path was opened truncated). Looks for that escape in the text
 * cJSON accepted; when found, key receives the top-level key whose key or string value holds
 * it ("" when that key itself holds it or cannot be shown). */
static bool find_nul_escape(const char *s, size_t len, char *key, size_t keysz)
{
	int depth = 0;
	size_t kstart = 0, klen = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']')
			depth--;
		if (s[i] != '"')
			continue;
		size_t start = ++i;
		bool nul = false;
		for (; i < len && s[i] != '"'; i++)
			if (s[i] == '\\') {
				nul = nul || (i + 5 < len && memcmp(s + i + 1, "u0000", 5) == 0);
				i++; /* the escaped character, '"' or '\\' included */
			}
		size_t after = skip_ws(s, i + 1, len);
		bool is_key = depth == 1 && after < len && s[after] == ':';
		if (is_key && !nul) {
			kstart = start;
			klen = i - start;
		}
		if (nul) {
			bool showable = !is_key && klen > 0 && klen < keysz;
			for (size_t k = 0; showable && k < klen; k++)
				showable = s[kstart + k] > 0x20 && s[kstart + k] < 0x7f;
			snprintf(key, keysz, "%.*s", showable ? (int)klen : 0, s + kstart);
			return true;
		}
	}
	return false;
}

/* What cJSON lets through: bytes after the object, a NUL byte, a "\u0000" escape. */
static cw_status check_text(const char *buf, size_t len, const char *end, const char *file,
                            char *err, size_t errsz)
{
	char key[64];
	if (skip_ws(buf, (size_t)(end - buf), len) != len) {
		snprintf(err, errsz, "config file %s: trailing data after the JSON object", file);
		return CW_ERR_USAGE;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errsz, "config file %s: a NUL byte in the file", file);
		return CW_ERR_USAGE;
	}
	if (find_nul_escape(buf, len, key, sizeof key)) {
		if (key[0] != '\0')
			snprintf(err, errsz, "config file %s: '%s' holds a NUL character (\\u0000)",
			         file, key);
		else
			snprintf(err, errsz,
			         "config file %s: a key holds a NUL character (\\u0000)", file);
		return CW_ERR_USAGE;
	}
	return CW_OK;
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
	const char *end = NULL;
	root = cJSON_ParseWithLengthOpts((const char *)buf, len, &end, false);
	if (root == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errsz, "config file %s: not a JSON object", file);
		goto out;
	}
	if ((rc = check_text((const char *)buf, len, end, file, err, errsz)) != CW_OK)
		goto out;
	rc = CW_ERR_USAGE;
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
		} else if (k->kind != STR && cJSON_IsNumber(it) &&
		           (it->valuedouble > 1e15 || it->valuedouble < -1e15)) {
			/* far out of any range (1e100, an infinity): converting it to long would be
			 * undefined; set_int refuses the nearest long with its own message */
			st = set_int(cfg, k, it->valuedouble > 0 ? LONG_MAX : LONG_MIN, err, errsz);
		} else if (k->kind != STR && cJSON_IsNumber(it) &&
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
