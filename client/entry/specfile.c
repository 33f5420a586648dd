/* wallet-entry: the spec file (specfile.h). */
#define _GNU_SOURCE
#include "specfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "options.h"
#include "strv.h"

/* One parse: the file's name for messages, its directory for relative paths, a buffer for
 * decoded strings (as long as the text: decoding never grows). */
struct ctx {
	const char *file;
	char dir[4096];
	char *buf;
	char *err;
	size_t errsz;
};

static cw_status bad(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static cw_status bad(struct ctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errsz, "spec file %s: %s", c->file, msg);
	return CW_ERR_USAGE;
}

/* A key as messages show it: at most 64 bytes, other bytes than printable ASCII as '?'. */
static const char *shown(const char *k, char *out, size_t outsz)
{
	size_t n = 0;
	for (; n < 64 && n + 1 < outsz && k[n] != '\0'; n++)
		out[n] = k[n] > 0x20 && k[n] < 0x7f ? k[n] : '?';
	out[n] = '\0';
	return out;
}

/* Line and column (from 1) of offset at in the text. */
static void line_col(const char *text, size_t at, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < at; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* The row whose name is key with '_' for '-'; hyphen set when key spells a row with '-'. */
static const struct ent_option *row_of_key(const char *key, bool *hyphen)
{
	*hyphen = false;
	for (size_t i = 0; i < ent_noptions; i++) {
		const char *n = ent_options[i].name;
		size_t k = 0;
		bool dash = false;
		for (; n[k] != '\0' && key[k] != '\0'; k++) {
			if (n[k] == key[k] && n[k] != '-')
				continue;
			if (n[k] == '-' && (key[k] == '_' || key[k] == '-')) {
				dash = dash || key[k] == '-';
				continue;
			}
			break;
		}
		if (n[k] != '\0' || key[k] != '\0')
			continue;
		if (dash) {
			*hyphen = true;
			return NULL;
		}
		return &ent_options[i];
	}
	return NULL;
}

/* A string value of key, decoded into c->buf: no NUL character; empty only if allowed. */
static cw_status string_value(struct ctx *c, const char *key, const struct ent_json *v,
                              bool allow_empty, const char **out)
{
	char k[80];
	size_t n = ent_json_string(v, c->buf);
	if (memchr(c->buf, '\0', n) != NULL)
		return bad(c, "'%s' holds a NUL character (\\u0000)", shown(key, k, sizeof k));
	if (n == 0 && !allow_empty)
		return bad(c, "'%s' must not be empty", shown(key, k, sizeof k));
	*out = c->buf;
	return CW_OK;
}

/* An integer as JSON writes it: no fraction, no exponent. */
static bool json_integer(const struct ent_json *v)
{
	if (v->type != ENT_JSON_NUMBER)
		return false;
	for (size_t i = 0; i < v->len; i++)
		if (v->p[i] == '.' || v->p[i] == 'e' || v->p[i] == 'E')
			return false;
	return true;
}

/* One value of an option that takes an argument, appended to its key's values. */
static cw_status option_value(struct ctx *c, const struct ent_option *o, const char *key,
                              const struct ent_json *v, struct ent_specfile_key *out)
{
	char k[80], path[4096];
	const char *s;
	cw_status st;
	if (json_integer(v) && ent_option_numeric(o)) {
		memcpy(c->buf, v->p, v->len);
		c->buf[v->len] = '\0';
		s = c->buf;
	} else if (v->type == ENT_JSON_STRING) {
		if ((st = string_value(c, key, v, false, &s)) != CW_OK)
			return st;
	} else {
		return bad(c, "'%s' must be %s", shown(key, k, sizeof k),
		           ent_option_numeric(o) ? "an integer or a string"
		           : o->repeatable       ? "a string or a list of strings"
		                                 : "a string");
	}
	/* a path, or SRC=DEST with SRC a path (--template): SRC comes first, so the directory
	 * goes in front of the whole value; an empty SRC is left for the option to refuse */
	if (((o->flags & ENT_OPT_PATH) || ((o->flags & ENT_OPT_SRC) && s[0] != '=')) &&
	    s[0] != '/') {
		if (cw_path(path, sizeof path, "%s/%s", c->dir, s) != CW_OK)
			return bad(c, "'%s': path too long", shown(key, k, sizeof k));
		s = path;
	}
	if (cw_strv_add(&out->vals, &out->n, s) != CW_OK)
		return CW_ERR_NOMEM;
	return CW_OK;
}

/* The value of one option's key. A flag set to false leaves out->row unset (SIZE_MAX). */
static cw_status option_key(struct ctx *c, const struct ent_option *o, const char *key,
                            const struct ent_json *v, struct ent_specfile_key *out)
{
	char k[80];
	out->row = (size_t)(o - ent_options);
	if (o->arg == NULL) {
		if (v->type == ENT_JSON_FALSE)
			out->row = SIZE_MAX;
		else if (v->type != ENT_JSON_TRUE)
			return bad(c, "'%s' must be true or false", shown(key, k, sizeof k));
		return CW_OK;
	}
	if (v->type != ENT_JSON_ARRAY)
		return option_value(c, o, key, v, out);
	if (!o->repeatable)
		return bad(c, "'%s' takes one value, not a list", shown(key, k, sizeof k));
	struct ent_json el;
	size_t pos = 0;
	cw_status st = CW_OK;
	while (st == CW_OK && ent_json_next(v, &pos, NULL, &el))
		st = option_value(c, o, key, &el, out);
	return st;
}

/* "command": a non-empty list of strings, the first one not empty. */
static cw_status command_key(struct ctx *c, const struct ent_json *v, struct ent_specfile *f)
{
	struct ent_json el;
	size_t pos = 0;
	const char *s;
	cw_status st;
	if (v->type != ENT_JSON_ARRAY || v->len <= 2)
		return bad(c, "'command' must be a list of strings, the program first");
	while (ent_json_next(v, &pos, NULL, &el)) {
		if (el.type != ENT_JSON_STRING)
			return bad(c, "'command' must be a list of strings, the program first");
		if ((st = string_value(c, "command", &el, f->ncommand > 0, &s)) != CW_OK)
			return st;
		if (cw_strv_add(&f->command, &f->ncommand, s) != CW_OK)
			return CW_ERR_NOMEM;
	}
	if (f->ncommand == 0) /* only white space between the brackets */
		return bad(c, "'command' must be a list of strings, the program first");
	/* NULL-terminated, for execvp */
	char **v2 = realloc(f->command, (f->ncommand + 1) * sizeof *v2);
	if (v2 == NULL)
		return CW_ERR_NOMEM;
	f->command = v2;
	v2[f->ncommand] = NULL;
	return CW_OK;
}

/* One top-level key; seen[] marks the rows given so far ("command": the last element). */
static cw_status one_key(struct ctx *c, const struct ent_json *kspan, const struct ent_json *v,
                         bool *seen, struct ent_specfile *f)
{
	char key[80], k[80];
	bool hyphen;
	if (kspan->len > sizeof key) {
		char head[40];
		snprintf(head, sizeof head, "%.*s", (int)(sizeof head - 1),
		         (const char *)kspan->p + 1);
		return bad(c, "unknown key '%s...'", shown(head, k, sizeof k));
	}
	size_t n = ent_json_string(kspan, key);
	if (memchr(key, '\0', n) != NULL)
		return bad(c, "a key holds a NUL character (\\u0000)");
	if (strcmp(key, "command") == 0) {
		if (seen[ent_noptions])
			return bad(c, "'command' appears twice");
		seen[ent_noptions] = true;
		return command_key(c, v, f);
	}
	const struct ent_option *o = row_of_key(key, &hyphen);
	if (o == NULL)
		return bad(c, hyphen ? "unknown key '%s' (write '-' as '_')" : "unknown key '%s'",
		           shown(key, k, sizeof k));
	if (o->flags & ENT_OPT_NOFILE)
		return bad(c, "'%s' cannot be set in a spec file", key);
	if (seen[o - ent_options])
		return bad(c, "'%s' appears twice", key);
	seen[o - ent_options] = true;
	struct ent_specfile_key *nk = realloc(f->keys, (f->nkeys + 1) * sizeof *nk);
	if (nk == NULL)
		return CW_ERR_NOMEM;
	f->keys = nk;
	memset(&nk[f->nkeys], 0, sizeof *nk);
	cw_status st = option_key(c, o, key, v, &nk[f->nkeys]);
	/* kept even on failure, so that its values are freed */
	if (nk[f->nkeys].row != SIZE_MAX || nk[f->nkeys].vals != NULL)
		f->nkeys++;
	return st;
}

static cw_status parse_root(struct ctx *c, const char *text, size_t len, struct ent_specfile *f)
{
	struct ent_json root, key, v;
	size_t at, line, col, pos = 0;
	const char *nul = memchr(text, '\0', len);
	if (nul != NULL) {
		line_col(text, (size_t)(nul - text), &line, &col);
		return bad(c, "a NUL byte at line %zu, column %zu", line, col);
	}
	if (!ent_json_parse((const unsigned char *)text, len, &root, &at)) {
		line_col(text, at, &line, &col);
		return bad(c,
		           at == len ? "invalid JSON: cut short at line %zu, column %zu"
		                     : "invalid JSON at line %zu, column %zu",
		           line, col);
	}
	if (root.type != ENT_JSON_OBJECT)
		return bad(c, "not a JSON object");
	bool *seen = calloc(ent_noptions + 1, sizeof *seen);
	if (seen == NULL)
		return CW_ERR_NOMEM;
	cw_status st = CW_OK;
	while (st == CW_OK && ent_json_next(&root, &pos, &key, &v))
		st = one_key(c, &key, &v, seen, f);
	free(seen);
	return st;
}

cw_status ent_specfile_parse(const char *text, size_t len, const char *file,
                             struct ent_specfile **out, char *err, size_t errsz)
{
	struct ctx c = {file, "", NULL, err, errsz};
	char tmp[4096];
	cw_status st = CW_ERR_NOMEM;
	*out = NULL;
	struct ent_specfile *f = calloc(1, sizeof *f);
	if (f == NULL || (c.buf = malloc(len + 1)) == NULL)
		goto out;
	if (cw_path(tmp, sizeof tmp, "%s", file) != CW_OK) {
		st = bad(&c, "name too long");
		goto out;
	}
	snprintf(c.dir, sizeof c.dir, "%s", dirname(tmp));
	st = parse_root(&c, text, len, f);
out:
	if (st == CW_ERR_NOMEM)
		snprintf(err, errsz, "spec file %s: out of memory", file);
	free(c.buf);
	if (st != CW_OK) {
		ent_specfile_free(f);
		return st;
	}
	*out = f;
	return CW_OK;
}

cw_status ent_specfile_load(const char *path, struct ent_specfile **out, char *err, size_t errsz)
{
	unsigned char *text = NULL;
	size_t len = 0;
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "spec file %s: %s", path, strerror(errno));
		return CW_ERR_USAGE;
	}
	cw_status st = cw_read_fd(fd, ENT_SPECFILE_MAX, &text, &len);
	close(fd);
	if (st == CW_ERR_TOOBIG)
		snprintf(err, errsz, "spec file %s: larger than %zu KiB", path,
		         ENT_SPECFILE_MAX >> 10);
	else if (st != CW_OK)
		snprintf(err, errsz, "spec file %s: %s", path,
		         st == CW_ERR_IO ? "not a regular file, or unreadable" : cw_strerror(st));
	if (st != CW_OK) {
		free(text);
		return st == CW_ERR_NOMEM ? st : CW_ERR_USAGE;
	}
	st = ent_specfile_parse((const char *)text, len, path, out, err, errsz);
	free(text);
	return st;
}

const struct ent_specfile_key *ent_specfile_find(const struct ent_specfile *f, size_t row)
{
	for (size_t i = 0; f != NULL && i < f->nkeys; i++)
		if (f->keys[i].row == row)
			return &f->keys[i];
	return NULL;
}

void ent_specfile_free(struct ent_specfile *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nkeys; i++)
		cw_strv_free(f->keys[i].vals, f->keys[i].n);
	free(f->keys);
	cw_strv_free(f->command, f->ncommand);
	free(f);
}
