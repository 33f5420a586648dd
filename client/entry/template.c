/* wallet-entry: templates (template.h). */
#define _GNU_SOURCE
#include "template.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dest.h"
#include "fsutil.h"
#include "json.h"

enum part_kind { P_TEXT, P_SECRET };

/* A piece of a template: text to copy, or a secret (or a field of it) to insert. */
struct part {
	enum part_kind kind;
	size_t line;      /* of the action's "{{" */
	const char *text; /* P_TEXT: into the template's text, or own */
	size_t len;
	char *own; /* the decoded text of a {{ "TEXT" }} action */
	char name[CW_NAME_MAX + 1];
	uint64_t min_version;
	char *key;  /* KEY as written between its quotes, for messages; NULL: the whole secret */
	char **seg; /* KEY's field names, decoded */
	size_t nseg;
};

struct ent_template {
	char *label;
	char *text;
	size_t len;
	struct part *parts;
	size_t nparts, cap;
	struct ent_template_use *uses;
	size_t nuses;
};

struct parser {
	struct ent_template *t;
	const char *p, *end;
	size_t line;
	char *err;
	size_t errsz;
};

/* err = "LABEL:LINE: " + the message, on one line: a control character (from a file name or
 * from the template) becomes '?'. */
__attribute__((format(printf, 5, 0))) static cw_status
verr(const char *label, size_t line, char *err, size_t errsz, const char *fmt, va_list ap)
{
	int n = snprintf(err, errsz, "%.300s:%zu: ", label, line);
	if (n >= 0 && (size_t)n < errsz)
		vsnprintf(err + n, errsz - (size_t)n, fmt, ap);
	for (char *c = err; errsz > 0 && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return CW_ERR_USAGE;
}

__attribute__((format(printf, 3, 4))) static cw_status perr(struct parser *ps, size_t line,
                                                            const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cw_status st = verr(ps->t->label, line, ps->err, ps->errsz, fmt, ap);
	va_end(ap);
	return st;
}

__attribute__((format(printf, 5, 6))) static cw_status rerr(const struct ent_template *t,
                                                            const struct part *pt, char *err,
                                                            size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cw_status st = verr(t->label, pt->line, err, errsz, fmt, ap);
	va_end(ap);
	return st;
}

static void part_free(struct part *pt)
{
	free(pt->own);
	free(pt->key);
	for (size_t i = 0; i < pt->nseg; i++)
		free(pt->seg[i]);
	free(pt->seg);
}

void ent_template_free(struct ent_template *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nparts; i++)
		part_free(&t->parts[i]);
	free(t->parts);
	free(t->uses);
	free(t->text);
	free(t->label);
	free(t);
}

const char *ent_template_label(const struct ent_template *t)
{
	return t->label;
}

size_t ent_template_nuses(const struct ent_template *t)
{
	return t->nuses;
}

const struct ent_template_use *ent_template_use(const struct ent_template *t, size_t i)
{
	return i < t->nuses ? &t->uses[i] : NULL;
}

/* ---- parsing ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_space(struct parser *ps)
{
	for (; ps->p < ps->end && is_space(*ps->p); ps->p++)
		if (*ps->p == '\n')
			ps->line++;
}

/* Takes *pt (its allocations included), also when it fails. */
static cw_status add_part(struct parser *ps, struct part *pt)
{
	struct ent_template *t = ps->t;
	if (t->nparts == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct part *v = realloc(t->parts, cap * sizeof *v);
		if (v == NULL) {
			part_free(pt);
			snprintf(ps->err, ps->errsz, "out of memory");
			return CW_ERR_NOMEM;
		}
		t->parts = v;
		t->cap = cap;
	}
	t->parts[t->nparts++] = *pt;
	return CW_OK;
}

static cw_status add_use(struct parser *ps, const struct part *pt)
{
	struct ent_template *t = ps->t;
	for (size_t i = 0; i < t->nuses; i++) {
		if (strcmp(t->uses[i].name, pt->name) == 0) {
			if (pt->min_version > t->uses[i].min_version)
				t->uses[i].min_version = pt->min_version;
			return CW_OK;
		}
	}
	struct ent_template_use *v = realloc(t->uses, (t->nuses + 1) * sizeof *v);
	if (v == NULL) {
		snprintf(ps->err, ps->errsz, "out of memory");
		return CW_ERR_NOMEM;
	}
	t->uses = v;
	memcpy(v[t->nuses].name, pt->name, sizeof pt->name);
	v[t->nuses].min_version = pt->min_version;
	v[t->nuses].line = pt->line;
	t->nuses++;
	return CW_OK;
}

/* A quoted string at ps->p: *raw, *n are what stands between the quotes, escapes as written. */
static cw_status scan_quoted(struct parser *ps, const char **raw, size_t *n)
{
	const char *q = ps->p + 1;
	while (q < ps->end && *q != '"' && *q != '\n') {
		if (*q == '\\' && q + 1 < ps->end && q[1] != '\n')
			q++;
		q++;
	}
	if (q == ps->end || *q != '"')
		return perr(ps, ps->line, "a string without its closing '\"' on its line");
	*raw = ps->p + 1;
	*n = (size_t)(q - *raw);
	ps->p = q + 1;
	return CW_OK;
}

/* The escape at raw[i] ('\\'): the character it stands for, or 0 when it is not allowed
 * (dot: whether \. is, in a KEY). */
static char unescape(struct parser *ps, const char *raw, size_t i, size_t n, bool dot)
{
	char c = i + 1 < n ? raw[i + 1] : '\0';
	if (c == '"' || c == '\\' || (dot && c == '.'))
		return c;
	if (c == '.')
		perr(ps, ps->line, "\\. is only for a KEY (a dot inside a field name)");
	else
		perr(ps, ps->line,
		     "unknown escape in a string (only \\\" \\\\ and, in a KEY, \\.)");
	return '\0';
}

/* A string's text with its escapes resolved, malloc'd. */
static cw_status decode(struct parser *ps, const char *raw, size_t n, char **out)
{
	char *s = malloc(n + 1);
	size_t k = 0;
	if (s == NULL) {
		snprintf(ps->err, ps->errsz, "out of memory");
		return CW_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		char c = raw[i];
		if (c == '\\' && (c = unescape(ps, raw, i++, n, false)) == '\0') {
			free(s);
			return CW_ERR_USAGE;
		}
		s[k++] = c;
	}
	s[k] = '\0';
	*out = s;
	return CW_OK;
}

/* KEY: field names separated by '.', "\." a dot inside one. */
static cw_status split_key(struct parser *ps, const char *raw, size_t n, struct part *pt)
{
	char *cur = malloc(n + 1);
	size_t k = 0;
	cw_status st = CW_OK;
	pt->key = strndup(raw, n);
	pt->seg = calloc(ENT_JSON_MAX_DEPTH, sizeof *pt->seg);
	if (cur == NULL || pt->key == NULL || pt->seg == NULL) {
		snprintf(ps->err, ps->errsz, "out of memory");
		st = CW_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i <= n && st == CW_OK; i++) {
		char c = i < n ? raw[i] : '.';
		if (c == '\\') {
			if ((c = unescape(ps, raw, i++, n, true)) == '\0')
				st = CW_ERR_USAGE;
			else
				cur[k++] = c;
			continue;
		}
		if (c != '.') {
			cur[k++] = c;
			continue;
		}
		if (k == 0) {
			st = perr(ps, ps->line, "KEY \"%.200s\": an empty field name", pt->key);
		} else if (pt->nseg == ENT_JSON_MAX_DEPTH) {
			st =
			    perr(ps, ps->line, "KEY: more than %d field names", ENT_JSON_MAX_DEPTH);
		} else if ((pt->seg[pt->nseg] = strndup(cur, k)) == NULL) {
			snprintf(ps->err, ps->errsz, "out of memory");
			st = CW_ERR_NOMEM;
		} else {
			pt->nseg++;
			k = 0;
		}
	}
out:
	free(cur);
	return st;
}

/* NAME[@MINVERSION], the grammar of --fetch without a group or a destination. */
static cw_status parse_name(struct parser *ps, const char *raw, size_t n, struct part *pt)
{
	char *s = NULL, e[512];
	struct ent_spec spec = {0};
	cw_status st = decode(ps, raw, n, &s);
	if (st != CW_OK)
		return st;
	if (strchr(s, '=') != NULL)
		st = perr(ps, ps->line, "'%.300s' is not a valid object name", s);
	else if (ent_parse_spec(s, &spec, e, sizeof e) != CW_OK)
		st = perr(ps, ps->line, "%s", e);
	else if (spec.group)
		st = perr(ps, ps->line, "%s: a group cannot be used in a template", spec.name);
	if (st == CW_OK) {
		memcpy(pt->name, spec.name, sizeof pt->name);
		pt->min_version = spec.min_version;
	}
	free(s);
	return st;
}

/* {{ secret "NAME" ["KEY"] }}, from the word secret on. */
static cw_status parse_secret(struct parser *ps, struct part *pt)
{
	const char *raw;
	size_t n;
	cw_status st;
	pt->kind = P_SECRET;
	skip_space(ps);
	if (ps->p == ps->end || *ps->p != '"')
		return perr(ps, ps->line, "secret takes \"NAME\" and maybe \"KEY\"");
	if ((st = scan_quoted(ps, &raw, &n)) != CW_OK || (st = parse_name(ps, raw, n, pt)) != CW_OK)
		return st;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == '"' &&
	    ((st = scan_quoted(ps, &raw, &n)) != CW_OK ||
	     (st = split_key(ps, raw, n, pt)) != CW_OK))
		return st;
	return add_use(ps, pt);
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* One action, ps->p on its "{{". */
static cw_status parse_action(struct parser *ps)
{
	struct part pt;
	const char *raw;
	size_t n;
	cw_status st = CW_OK;
	memset(&pt, 0, sizeof pt);
	pt.line = ps->line;
	ps->p += 2;
	skip_space(ps);
	if (ps->p == ps->end) {
		st = perr(ps, pt.line, "'{{' without '}}'");
	} else if (*ps->p == '"') {
		pt.kind = P_TEXT;
		if ((st = scan_quoted(ps, &raw, &n)) == CW_OK &&
		    (st = decode(ps, raw, n, &pt.own)) == CW_OK) {
			pt.text = pt.own;
			pt.len = strlen(pt.own);
		}
	} else if (is_word(*ps->p)) {
		const char *w = ps->p;
		while (ps->p < ps->end && is_word(*ps->p))
			ps->p++;
		if (ps->p - w == 6 && memcmp(w, "secret", 6) == 0)
			st = parse_secret(ps, &pt);
		else
			st = perr(ps, ps->line, "unknown action '%.*s' (secret, or a \"string\")",
			          (int)(ps->p - w > 40 ? 40 : ps->p - w), w);
	} else if (*ps->p == '}') {
		st = perr(ps, ps->line, "an empty action");
	} else {
		st = perr(ps, ps->line, "unexpected character in an action");
	}
	if (st == CW_OK) {
		skip_space(ps);
		if (ps->p == ps->end)
			st = perr(ps, pt.line, "'{{' without '}}'");
		else if (ps->end - ps->p < 2 || ps->p[0] != '}' || ps->p[1] != '}')
			st = perr(ps, ps->line, "'}}' expected");
		else
			ps->p += 2;
	}
	if (st != CW_OK) {
		part_free(&pt);
		return st;
	}
	return add_part(ps, &pt);
}

static cw_status parse_all(struct parser *ps)
{
	const char *nul = memchr(ps->p, '\0', (size_t)(ps->end - ps->p));
	if (nul != NULL) {
		for (const char *c = ps->p; c < nul; c++)
			ps->line += *c == '\n';
		return perr(ps, ps->line, "a NUL byte (a template is text)");
	}
	while (ps->p < ps->end) {
		const char *open = memmem(ps->p, (size_t)(ps->end - ps->p), "{{", 2);
		const char *stop = open != NULL ? open : ps->end;
		if (stop > ps->p) {
			struct part pt = {.kind = P_TEXT, .line = ps->line, .text = ps->p};
			pt.len = (size_t)(stop - ps->p);
			cw_status st = add_part(ps, &pt);
			if (st != CW_OK)
				return st;
			for (; ps->p < stop; ps->p++)
				ps->line += *ps->p == '\n';
		}
		if (open == NULL)
			break;
		cw_status st = parse_action(ps);
		if (st != CW_OK)
			return st;
	}
	return CW_OK;
}

cw_status ent_template_parse(const char *label, const char *text, size_t len,
                             struct ent_template **out, char *err, size_t errsz)
{
	struct ent_template *t = calloc(1, sizeof *t);
	cw_status st = CW_ERR_NOMEM;
	*out = NULL;
	if (t == NULL || (t->label = strdup(label)) == NULL ||
	    (t->text = malloc(len + 1)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (len > ENT_TEMPLATE_MAX) {
		snprintf(err, errsz, "%.300s: larger than %zu bytes", label, ENT_TEMPLATE_MAX);
		st = CW_ERR_TOOBIG;
		goto out;
	}
	if (len > 0)
		memcpy(t->text, text, len);
	t->text[len] = '\0';
	t->len = len;
	struct parser ps = {t, t->text, t->text + len, 1, err, errsz};
	st = parse_all(&ps);
out:
	if (st != CW_OK)
		ent_template_free(t);
	else
		*out = t;
	return st;
}

cw_status ent_template_load(const char *path, struct ent_template **out, char *err, size_t errsz)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	*out = NULL;
	/* O_NONBLOCK: a FIFO must not hang the start; cw_read_fd takes regular files only */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "%.300s: %s", path, strerror(errno));
		return CW_ERR_USAGE;
	}
	cw_status st = cw_read_fd(fd, ENT_TEMPLATE_MAX, &buf, &len);
	int saved = errno;
	close(fd);
	if (st == CW_ERR_TOOBIG)
		snprintf(err, errsz, "%.300s: larger than %zu bytes", path, ENT_TEMPLATE_MAX);
	else if (st == CW_ERR_IO)
		snprintf(err, errsz, "%.300s: not a regular file or not readable (%s)", path,
		         strerror(saved));
	else if (st != CW_OK)
		snprintf(err, errsz, "%.300s: %s", path, cw_strerror(st));
	if (st == CW_OK)
		st = ent_template_parse(path, (const char *)buf, len, out, err, errsz);
	free(buf);
	return st == CW_OK || st == CW_ERR_NOMEM ? st : CW_ERR_USAGE;
}

/* ---- rendering ---- */

static cw_status put(cw_sbuf *out, const void *p, size_t n)
{
	if (n > ENT_TEMPLATE_OUT_MAX - out->len)
		return CW_ERR_TOOBIG;
	return cw_sbuf_append(out, p, n);
}

static const char *type_name(enum ent_json_type ty)
{
	switch (ty) {
	case ENT_JSON_OBJECT:
		return "an object";
	case ENT_JSON_ARRAY:
		return "an array";
	case ENT_JSON_STRING:
		return "a string";
	case ENT_JSON_NUMBER:
		return "a number";
	case ENT_JSON_TRUE:
	case ENT_JSON_FALSE:
		return "a boolean";
	case ENT_JSON_NULL:
		return "null";
	}
	return "?";
}

/* s as an array index: digits, no leading zero. */
static bool parse_index(const char *s, size_t *out)
{
	size_t v = 0;
	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* Follows pt's KEY from the object root to *v. */
static cw_status walk_key(const struct ent_template *t, const struct part *pt, struct ent_json *v,
                          char *err, size_t errsz)
{
	for (size_t i = 0; i < pt->nseg; i++) {
		const char *f = pt->seg[i];
		size_t idx;
		cw_status st;
		if (v->type == ENT_JSON_OBJECT) {
			st = ent_json_member(v, f, strlen(f), v);
			if (st == CW_ERR_EXISTS)
				return rerr(t, pt, err, errsz,
				            "%s: KEY \"%.200s\": field \"%.100s\" is there twice",
				            pt->name, pt->key, f);
		} else if (v->type == ENT_JSON_ARRAY && parse_index(f, &idx)) {
			st = ent_json_element(v, idx, v);
		} else {
			return rerr(t, pt, err, errsz,
			            "%s: KEY \"%.200s\": \"%.100s\" is %s, not an object", pt->name,
			            pt->key, i > 0 ? pt->seg[i - 1] : "", type_name(v->type));
		}
		if (st != CW_OK)
			return rerr(t, pt, err, errsz, "%s: KEY \"%.200s\": no %s \"%.100s\"",
			            pt->name, pt->key,
			            v->type == ENT_JSON_ARRAY ? "element" : "field", f);
	}
	if (v->type == ENT_JSON_NULL)
		return rerr(t, pt, err, errsz, "%s: KEY \"%.200s\": null", pt->name, pt->key);
	return CW_OK;
}

static cw_status render_secret(const struct ent_template *t, const struct part *pt,
                               ent_secret_lookup lookup, void *arg, cw_sbuf *out, char *err,
                               size_t errsz)
{
	const unsigned char *data = NULL;
	size_t len = 0;
	uint64_t version = 0;
	struct ent_json v;
	cw_status st = lookup(arg, pt->name, &data, &len, &version);
	if (st == CW_ERR_NOTFOUND)
		return rerr(t, pt, err, errsz, "%s: not found", pt->name);
	if (st != CW_OK)
		return rerr(t, pt, err, errsz, "%s: %s", pt->name, cw_strerror(st));
	if (version < pt->min_version)
		return rerr(t, pt, err, errsz,
		            "%s: version %llu is older than the required minimum %llu", pt->name,
		            (unsigned long long)version, (unsigned long long)pt->min_version);
	if (pt->key == NULL) {
		st = put(out, data, len);
	} else {
		if (!ent_json_parse(data, len, &v, NULL) || v.type != ENT_JSON_OBJECT)
			return rerr(t, pt, err, errsz,
			            "%s: not a JSON object (KEY \"%.200s\" needs one)", pt->name,
			            pt->key);
		if ((st = walk_key(t, pt, &v, err, errsz)) != CW_OK)
			return st;
		/* decoded or compacted, a value is never longer than as written */
		st = v.len > ENT_TEMPLATE_OUT_MAX - out->len ? CW_ERR_TOOBIG
		                                             : ent_json_append(&v, out);
	}
	if (st == CW_ERR_TOOBIG)
		rerr(t, pt, err, errsz, "the rendering is larger than %zu bytes",
		     ENT_TEMPLATE_OUT_MAX);
	else if (st != CW_OK)
		snprintf(err, errsz, "%s", cw_strerror(st));
	return st;
}

cw_status ent_template_render(const struct ent_template *t, ent_secret_lookup lookup, void *arg,
                              cw_sbuf *out, char *err, size_t errsz)
{
	cw_status st = CW_OK;
	cw_sbuf_free(out);
	for (size_t i = 0; i < t->nparts && st == CW_OK; i++) {
		const struct part *pt = &t->parts[i];
		if (pt->kind == P_SECRET) {
			st = render_secret(t, pt, lookup, arg, out, err, errsz);
			continue;
		}
		st = put(out, pt->text, pt->len);
		if (st == CW_ERR_TOOBIG)
			rerr(t, pt, err, errsz, "the rendering is larger than %zu bytes",
			     ENT_TEMPLATE_OUT_MAX);
		else if (st != CW_OK)
			snprintf(err, errsz, "%s", cw_strerror(st));
	}
	/* a C string too, for env: (the NUL is not counted) */
	if (st == CW_OK && (st = cw_sbuf_append(out, "", 1)) != CW_OK)
		snprintf(err, errsz, "%s", cw_strerror(st));
	if (st != CW_OK) {
		cw_sbuf_free(out);
		return st;
	}
	out->len--;
	return CW_OK;
}
