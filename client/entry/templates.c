/* wallet-entry: the --template options of one run (templates.h). */
#include "templates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

cw_status ent_templates_add(struct ent_templates *ts, const char *arg, char *err, size_t errsz)
{
	const char *eq = strchr(arg, '=');
	char spec[4200], e[512];
	struct ent_tpl tp;
	memset(&tp, 0, sizeof tp);
	if (eq == NULL || eq == arg) {
		snprintf(err, errsz, "--template: SRC=DEST expected");
		return CW_ERR_USAGE;
	}
	char *src = strndup(arg, (size_t)(eq - arg));
	if (src == NULL) {
		snprintf(err, errsz, "out of memory");
		return CW_ERR_NOMEM;
	}
	cw_status st = CW_ERR_USAGE;
	if (cw_path(spec, sizeof spec, "template=%s", eq + 1) != CW_OK) {
		snprintf(err, errsz, "--template %.300s: destination too long", src);
		goto out;
	}
	if (ent_parse_spec(spec, &tp.dest, e, sizeof e) != CW_OK) {
		const char *m = strncmp(e, "template: ", 10) == 0 ? e + 10 : e;
		/* --fetch's list of destinations has more than a template may use */
		if (strncmp(m, "destination must be ", 20) == 0)
			m = "destination must be fd:VAR, file:PATH or env:VAR";
		snprintf(err, errsz, "--template %.300s: %s", src, m);
		goto out;
	}
	switch (tp.dest.kind) {
	case ENT_FD:
	case ENT_ENV:
		if (tp.dest.target[0] == '\0') {
			snprintf(err, errsz,
			         "--template %.300s: fd: and env: need a variable (fd:VAR)", src);
			goto out;
		}
		break;
	case ENT_FILE:
		break;
	default:
		snprintf(err, errsz, "--template %.300s: DEST must be fd:VAR, file:PATH or env:VAR",
		         src);
		goto out;
	}
	/* for messages (ent_deliver's too) and as the memfd's name (at most 249 bytes) */
	snprintf(tp.dest.name, sizeof tp.dest.name, "--template %.230s", src);
	if ((st = ent_template_load(src, &tp.t, err, errsz)) != CW_OK)
		goto out;
	struct ent_tpl *v = realloc(ts->v, (ts->n + 1) * sizeof *v);
	if (v == NULL) {
		snprintf(err, errsz, "out of memory");
		st = CW_ERR_NOMEM;
		goto out;
	}
	ts->v = v;
	v[ts->n++] = tp;
	tp.t = NULL;
out:
	ent_template_free(tp.t);
	free(src);
	return st;
}

/* Whether specs fetches name already: a spec of its own, or a group it belongs to. */
static struct ent_spec *spec_for(struct ent_spec *specs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = specs[i].name;
		if (specs[i].group ? strncmp(name, s, strlen(s)) == 0 : strcmp(name, s) == 0)
			return &specs[i];
	}
	return NULL;
}

cw_status ent_templates_add_specs(const struct ent_templates *ts, struct ent_spec **specs,
                                  size_t *nspecs, char *err, size_t errsz)
{
	for (size_t i = 0; i < ts->n; i++) {
		const struct ent_template *t = ts->v[i].t;
		for (size_t k = 0; k < ent_template_nuses(t); k++) {
			const struct ent_template_use *u = ent_template_use(t, k);
			struct ent_spec *sp = spec_for(*specs, *nspecs, u->name);
			if (sp != NULL) {
				if (sp->kind == ENT_NONE && u->min_version > sp->min_version)
					sp->min_version = u->min_version;
				continue;
			}
			sp = realloc(*specs, (*nspecs + 1) * sizeof *sp);
			if (sp == NULL) {
				snprintf(err, errsz, "out of memory");
				return CW_ERR_NOMEM;
			}
			*specs = sp;
			sp += (*nspecs)++;
			memset(sp, 0, sizeof *sp);
			memcpy(sp->name, u->name, sizeof sp->name);
			sp->min_version = u->min_version;
			sp->kind = ENT_NONE;
		}
	}
	return CW_OK;
}

cw_status ent_templates_slots(const struct ent_templates *ts, struct ent_slots *s, char *err,
                              size_t errsz)
{
	cw_status st = CW_OK;
	for (size_t i = 0; i < ts->n && st == CW_OK; i++) {
		const struct ent_spec *d = &ts->v[i].dest;
		st = ent_spec_slots(d, d->name, NULL, 0, s, err, errsz);
	}
	return st;
}

bool ent_templates_where(const struct ent_templates *ts, const char *name, char *buf, size_t bufsz)
{
	for (size_t i = 0; i < ts->n; i++) {
		const struct ent_template *t = ts->v[i].t;
		for (size_t k = 0; k < ent_template_nuses(t); k++) {
			const struct ent_template_use *u = ent_template_use(t, k);
			if (strcmp(u->name, name) == 0) {
				snprintf(buf, bufsz, "%.300s:%zu", ent_template_label(t), u->line);
				return true;
			}
		}
	}
	return false;
}

cw_status ent_templates_render(const struct ent_templates *ts, ent_secret_lookup lookup, void *arg,
                               cw_sbuf *out, char *err, size_t errsz)
{
	for (size_t i = 0; i < ts->n; i++) {
		cw_status st = ent_template_render(ts->v[i].t, lookup, arg, &out[i], err, errsz);
		if (st != CW_OK) {
			for (size_t k = 0; k < i; k++)
				cw_sbuf_free(&out[k]);
			return st;
		}
	}
	return CW_OK;
}

cw_status ent_templates_deliver(const struct ent_templates *ts, const cw_sbuf *out,
                                const struct ent_opts *o, struct ent_files *files, char *err,
                                size_t errsz)
{
	char e[512];
	for (size_t i = 0; i < ts->n; i++) {
		const struct ent_spec *d = &ts->v[i].dest;
		cw_status st =
		    ent_deliver(d, d->name, out[i].data, out[i].len, o, files, e, sizeof e);
		if (st != CW_OK) {
			/* ent_deliver's own checks name the destination already */
			bool named = strncmp(e, d->name, strlen(d->name)) == 0;
			snprintf(err, errsz, "%s%s%s", named ? "" : d->name, named ? "" : ": ", e);
			return st;
		}
	}
	return CW_OK;
}

void ent_templates_wipe(cw_sbuf *out, size_t n)
{
	if (out == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		cw_sbuf_free(&out[i]);
	free(out);
}

void ent_templates_free(struct ent_templates *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		ent_template_free(ts->v[i].t);
	free(ts->v);
	ts->v = NULL;
	ts->n = 0;
}
