/* wallet-entry: parsing of --fetch and delivery of secrets. */
#define _GNU_SOURCE
#include "dest.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gpgutil.h"
#include "json.h"
#include "sealfmt.h"
#include "secmem.h"
#include "strv.h"

static bool var_valid(const char *v)
{
	if (v[0] == '\0' || (v[0] >= '0' && v[0] <= '9'))
		return false;
	return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
	       strlen(v);
}

bool ent_var_name(const char *name, const char *suffix, char *out, size_t outsz)
{
	size_t n = strlen(name), s = strlen(suffix);
	if (n + s + 1 > outsz)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		else if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
			ch = '_';
		out[i] = ch;
	}
	memcpy(out + n, suffix, s + 1);
	return true;
}

cw_status ent_parse_spec(const char *arg, struct ent_spec *out, char *err, size_t errsz)
{
	memset(out, 0, sizeof *out);
	out->kind = ENT_FD;
	const char *eq = strchr(arg, '=');
	size_t head = eq ? (size_t)(eq - arg) : strlen(arg);
	const char *at = memchr(arg, '@', head);
	size_t nlen = at ? (size_t)(at - arg) : head;
	if (nlen > CW_NAME_MAX) {
		snprintf(err, errsz, "object name too long");
		return CW_ERR_USAGE;
	}
	memcpy(out->name, arg, nlen);
	out->name[nlen] = '\0';
	out->group = nlen > 0 && arg[nlen - 1] == '/';
	if (out->group ? !cw_group_valid(out->name, nlen) : !cw_name_valid(out->name, nlen)) {
		snprintf(err, errsz, "'%.*s' is not a valid object name or group",
		         (int)(nlen > 300 ? 300 : nlen), arg);
		return CW_ERR_USAGE;
	}
	if (at && !cw_version_parse(at + 1, head - nlen - 1, &out->min_version)) {
		snprintf(err, errsz, "%s: the minimum version must be a number from 1", out->name);
		return CW_ERR_USAGE;
	}
	if (eq == NULL)
		return CW_OK;
	const char *d = eq + 1, *t;
	if (strncmp(d, "env-json", 8) == 0 && (d[8] == '\0' || d[8] == ':')) {
		out->kind = ENT_ENVJSON;
		t = d[8] ? d + 9 : "";
		if (out->group) {
			snprintf(err, errsz,
			         "%s: a group takes no env-json (give each object its own)",
			         out->name);
			return CW_ERR_USAGE;
		}
	} else if (strncmp(d, "fd", 2) == 0 && (d[2] == '\0' || d[2] == ':')) {
		out->kind = ENT_FD;
		t = d[2] ? d + 3 : "";
	} else if (strncmp(d, "env", 3) == 0 && (d[3] == '\0' || d[3] == ':')) {
		out->kind = ENT_ENV;
		t = d[3] ? d + 4 : "";
	} else if (strncmp(d, "file:", 5) == 0) {
		out->kind = ENT_FILE;
		t = d + 5;
		if (t[0] != '/') {
			snprintf(err, errsz, "%s: file: needs an absolute path", out->name);
			return CW_ERR_USAGE;
		}
	} else {
		snprintf(err, errsz,
		         "%s: destination must be fd:VAR, file:PATH, env:VAR or env-json:PREFIX",
		         out->name);
		return CW_ERR_USAGE;
	}
	if (cw_path(out->target, sizeof out->target, "%s", t) != CW_OK) {
		snprintf(err, errsz, "%s: destination too long", out->name);
		return CW_ERR_USAGE;
	}
	if (out->kind != ENT_FILE && t[0] != '\0' && (out->group || !var_valid(t))) {
		snprintf(err, errsz,
		         out->group
		             ? "%s: a group takes no variable name (each object gets its own)"
		             : "%s: invalid variable name or prefix",
		         out->name);
		return CW_ERR_USAGE;
	}
	return CW_OK;
}

bool ent_parse_mode(const char *arg, mode_t *out)
{
	size_t n = strlen(arg);
	if (n == 0 || n > 4 || strspn(arg, "01234567") != n)
		return false;
	unsigned long v = strtoul(arg, NULL, 8);
	if (v > 0777 || (v & 022) != 0)
		return false;
	*out = (mode_t)v;
	return true;
}

/* The directory a file: destination lands in. */
static cw_status dest_dir(const struct ent_spec *spec, char *dir, size_t dirsz)
{
	if (spec->group)
		return cw_path(dir, dirsz, "%s", spec->target);
	char tmp[4096];
	if (cw_path(tmp, sizeof tmp, "%s", spec->target) != CW_OK)
		return CW_ERR_NAME;
	return cw_path(dir, dirsz, "%s", dirname(tmp));
}

cw_status ent_check_file_dest(const struct ent_spec *spec, const struct ent_opts *o, char *err,
                              size_t errsz)
{
	char dir[4096];
	struct stat sb;
	if (spec->kind != ENT_FILE)
		return CW_OK;
	if (dest_dir(spec, dir, sizeof dir) != CW_OK) {
		snprintf(err, errsz, "%s: destination path too long", spec->name);
		return CW_ERR_USAGE;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errsz, "%s: %s is not a directory", spec->name, dir);
		return CW_ERR_USAGE;
	}
	if (!o->allow_disk && !cw_on_memory_fs(dir)) {
		snprintf(err, errsz,
		         "%s: %s is not on tmpfs or ramfs (refusing to write a secret to a disk; "
		         "--allow-disk overrides)",
		         spec->name, dir);
		return CW_ERR_USAGE;
	}
	return CW_OK;
}

static cw_status deliver_fd(const char *var, const char *objname, const unsigned char *data,
                            size_t len, const struct ent_opts *o, struct ent_files *files,
                            char *err, size_t errsz)
{
	char val[64];
	cw_status st = CW_ERR_IO;
	/* created close-on-exec, made inheritable only once sealed */
	int fd = memfd_create(objname, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		snprintf(err, errsz, "memfd_create: %s", strerror(errno));
		return CW_ERR_IO;
	}
	if (cw_write_all(fd, data, len) != CW_OK || lseek(fd, 0, SEEK_SET) != 0) {
		snprintf(err, errsz, "writing the memfd: %s", strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0400) != 0 ||
	    ((o->has_uid || o->has_gid) &&
	     fchown(fd, o->has_uid ? o->uid : (uid_t)-1, o->has_gid ? o->gid : (gid_t)-1) != 0)) {
		snprintf(err, errsz, "memfd permissions: %s", strerror(errno));
		goto out;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
		snprintf(err, errsz, "sealing the memfd: %s", strerror(errno));
		goto out;
	}
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) != 0) {
		snprintf(err, errsz, "memfd flags: %s", strerror(errno));
		goto out;
	}
	snprintf(val, sizeof val, "/proc/self/fd/%d", fd);
	if (setenv(var, val, 1) != 0) {
		snprintf(err, errsz, "setenv: %s", strerror(errno));
		goto out;
	}
	int *v = realloc(files->fds, (files->nfds + 1) * sizeof *v);
	if (v == NULL) {
		snprintf(err, errsz, "out of memory");
		st = CW_ERR_NOMEM;
		goto out;
	}
	files->fds = v;
	v[files->nfds++] = fd;
	st = CW_OK;
out:
	if (st != CW_OK)
		close(fd);
	return st;
}

static cw_status files_add(struct ent_files *files, const char *path)
{
	return cw_strv_add(&files->paths, &files->n, path);
}

/* Written to a temporary name beside path, then renamed over it, so that the application never
 * sees a partial secret and a leftover from an earlier run is replaced. */
static cw_status deliver_file(const char *path, const unsigned char *data, size_t len,
                              const struct ent_opts *o, struct ent_files *files, char *err,
                              size_t errsz)
{
	char tmp[4200];
	cw_status st = CW_ERR_IO;
	if (cw_path(tmp, sizeof tmp, "%s.wallet-entry.%ld", path, (long)getpid()) != CW_OK)
		return CW_ERR_NAME;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		return CW_ERR_IO;
	}
	if (cw_write_all(fd, data, len) != CW_OK) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, o->has_mode ? o->mode : 0400) != 0 ||
	    ((o->has_uid || o->has_gid) &&
	     fchown(fd, o->has_uid ? o->uid : (uid_t)-1, o->has_gid ? o->gid : (gid_t)-1) != 0)) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	st = files_add(files, path);
	if (st != CW_OK)
		snprintf(err, errsz, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	if (st != CW_OK)
		unlink(tmp);
	return st;
}

/* The variable of an fd: or env: delivery: the one given, or the one derived from objname. */
static const char *dest_var(const struct ent_spec *spec, const char *objname, char *var,
                            size_t varsz)
{
	if (spec->target[0] != '\0')
		return spec->target;
	if (!ent_var_name(objname, spec->kind == ENT_FD ? "_FILE" : "", var, varsz))
		return NULL;
	return var;
}

/* The entry of a group member in the group's directory: the rest of its name after the
 * group, '/' turned into '_'. */
static void group_entry(const struct ent_spec *spec, const char *objname, char *flat)
{
	const char *rel = objname + strlen(spec->name);
	size_t i;
	for (i = 0; i < CW_NAME_MAX && rel[i]; i++)
		flat[i] = rel[i] == '/' ? '_' : rel[i];
	flat[i] = '\0';
}

cw_status ent_check_stdout(const struct ent_opts *o, char *err, size_t errsz)
{
	struct stat sb;
	if (fstat(STDOUT_FILENO, &sb) != 0) {
		snprintf(err, errsz, "--print: standard output: %s", strerror(errno));
		return CW_ERR_USAGE;
	}
	/* the magic link leads statfs to the open file, wherever it is */
	if (!o->allow_disk &&
	    (S_ISBLK(sb.st_mode) || (S_ISREG(sb.st_mode) && !cw_on_memory_fs("/proc/self/fd/1")))) {
		snprintf(err, errsz,
		         "--print: standard output is a file on a disk file system (refusing to "
		         "write a secret to a disk; --allow-disk overrides)");
		return CW_ERR_USAGE;
	}
	return CW_OK;
}

static cw_status deliver_env(const char *v, const unsigned char *data, size_t len,
                             struct ent_files *files, char *err, size_t errsz)
{
	if (memchr(data, '\0', len) != NULL) {
		snprintf(err, errsz, "env: cannot carry a secret that contains a NUL byte");
		return CW_ERR_USAGE;
	}
	if (cw_strv_add(&files->vars, &files->nvars, v) != CW_OK) {
		snprintf(err, errsz, "out of memory");
		return CW_ERR_NOMEM;
	}
	/* data is NUL-terminated (wallet_secret_data, envjson_walk) */
	if (setenv(v, (const char *)data, 1) != 0) {
		snprintf(err, errsz, "setenv: %s", strerror(errno));
		return CW_ERR_IO;
	}
	return CW_OK;
}

/* ---- env-json ---- */

/* What envjson_walk hands over for each field: its variable, who (for messages) and its
 * value as a C string (in locked memory, valid during the call). */
typedef cw_status (*field_fn)(void *arg, const char *var, const char *who, const char *value,
                              char *err, size_t errsz);

/* A field name as messages show it: at most 64 bytes, other bytes than printable ASCII as
 * '?'. */
static void show_field(const char *f, size_t n, char *out, size_t outsz)
{
	size_t k = 0;
	for (size_t i = 0; i < n && i < 64 && k + 1 < outsz; i++)
		out[k++] = f[i] >= 0x20 && f[i] < 0x7f ? f[i] : '?';
	out[k] = '\0';
}

/* The value of one field as text: a string decoded, a number as written, true, false, and
 * null as "". NULL when the field cannot become a variable (err says why). */
static const char *field_value(const struct ent_json *val, char *buf, const char *shown,
                               const char *objname, char *err, size_t errsz)
{
	switch (val->type) {
	case ENT_JSON_STRING: {
		size_t n = ent_json_string(val, buf);
		if (memchr(buf, '\0', n) == NULL)
			return buf;
		snprintf(err, errsz, "%s: env-json: field '%s' holds a NUL character", objname,
		         shown);
		return NULL;
	}
	case ENT_JSON_NUMBER:
		memcpy(buf, val->p, val->len);
		buf[val->len] = '\0';
		return buf;
	case ENT_JSON_TRUE:
		return "true";
	case ENT_JSON_FALSE:
		return "false";
	case ENT_JSON_NULL:
		return "";
	case ENT_JSON_OBJECT:
	case ENT_JSON_ARRAY:
		break;
	}
	snprintf(err, errsz,
	         "%s: env-json: field '%s' is %s (only strings, numbers, true, false and null "
	         "become variables)",
	         objname, shown, val->type == ENT_JSON_OBJECT ? "an object" : "an array");
	return NULL;
}

/* Reads data, a JSON object, in place and calls fn for each top-level field with its
 * variable: the spec's PREFIX (or objname upper-cased plus '_') and the field's name
 * upper-cased, other characters than A-Z0-9 made '_'. Values are decoded into locked memory,
 * wiped afterwards. The first error stops the walk. */
static cw_status envjson_walk(const struct ent_spec *spec, const char *objname,
                              const unsigned char *data, size_t len, field_fn fn, void *arg,
                              char *err, size_t errsz)
{
	struct ent_json root, key, val;
	char field[512], shown[80], var[sizeof spec->target + sizeof field], who[CW_NAME_MAX + 100];
	size_t at, plen, pos = 0;
	cw_status st = CW_ERR_USAGE;
	if (!ent_json_parse(data, len, &root, &at)) {
		snprintf(err, errsz, "%s: env-json: not valid JSON (at byte %zu)", objname, at);
		return CW_ERR_USAGE;
	}
	if (root.type != ENT_JSON_OBJECT) {
		snprintf(err, errsz, "%s: env-json: not a JSON object", objname);
		return CW_ERR_USAGE;
	}
	if (spec->target[0] != '\0')
		snprintf(var, sizeof var, "%s", spec->target);
	else if (!ent_var_name(objname, "_", var, sizeof var)) {
		snprintf(err, errsz, "%s: env-json: name too long", objname);
		return CW_ERR_NAME;
	}
	plen = strlen(var);
	char *buf = cw_secure_alloc(len + 1);
	if (buf == NULL) {
		snprintf(err, errsz, "out of memory");
		return CW_ERR_NOMEM;
	}
	while (ent_json_next(&root, &pos, &key, &val)) {
		if (key.len > sizeof field) {
			snprintf(err, errsz, "%s: env-json: a field name is longer than %zu bytes",
			         objname, sizeof field - 2);
			goto out;
		}
		size_t n = ent_json_string(&key, field);
		show_field(field, n, shown, sizeof shown);
		if (n == 0 || memchr(field, '\0', n) != NULL) {
			snprintf(err, errsz, "%s: env-json: a field name is empty or holds a NUL",
			         objname);
			goto out;
		}
		const char *v = field_value(&val, buf, shown, objname, err, errsz);
		if (v == NULL)
			goto out;
		(void)ent_var_name(field, "", var + plen, sizeof var - plen);
		snprintf(who, sizeof who, "%s (field %s)", objname, shown);
		if ((st = fn(arg, var, who, v, err, errsz)) != CW_OK)
			goto out;
		st = CW_ERR_USAGE;
	}
	st = CW_OK;
out:
	cw_wipe(field, sizeof field);
	cw_secure_free(buf);
	return st;
}

static cw_status field_check(void *arg, const char *var, const char *who, const char *value,
                             char *err, size_t errsz)
{
	(void)arg, (void)var, (void)who, (void)value, (void)err, (void)errsz;
	return CW_OK;
}

static cw_status field_set(void *arg, const char *var, const char *who, const char *value,
                           char *err, size_t errsz)
{
	(void)who;
	return deliver_env(var, (const unsigned char *)value, strlen(value), arg, err, errsz);
}

cw_status ent_deliver(const struct ent_spec *spec, const char *objname, const unsigned char *data,
                      size_t len, const struct ent_opts *o, struct ent_files *files, char *err,
                      size_t errsz)
{
	char var[CW_NAME_MAX + 16], flat[CW_NAME_MAX + 1];
	char path[4200];
	const char *v;
	cw_status st = ent_check_file_dest(spec, o, err, errsz);
	if (st != CW_OK)
		return st;
	switch (spec->kind) {
	case ENT_FD:
	case ENT_ENV:
		if ((v = dest_var(spec, objname, var, sizeof var)) == NULL)
			return CW_ERR_NAME;
		if (spec->kind == ENT_ENV)
			return deliver_env(v, data, len, files, err, errsz);
		return deliver_fd(v, objname, data, len, o, files, err, errsz);
	case ENT_ENVJSON:
		/* all fields are checked before the first variable is set */
		st = envjson_walk(spec, objname, data, len, field_check, NULL, err, errsz);
		if (st == CW_OK)
			st = envjson_walk(spec, objname, data, len, field_set, files, err, errsz);
		return st;
	case ENT_PRINT:
		if ((st = ent_check_stdout(o, err, errsz)) != CW_OK)
			return st;
		if (cw_write_all(STDOUT_FILENO, data, len) != CW_OK) {
			snprintf(err, errsz, "writing standard output: %s", strerror(errno));
			return CW_ERR_IO;
		}
		return CW_OK;
	case ENT_FILE:
		if (spec->group) {
			group_entry(spec, objname, flat);
			if (cw_path(path, sizeof path, "%s/%s", spec->target, flat) != CW_OK)
				return CW_ERR_NAME;
		} else if (cw_path(path, sizeof path, "%s", spec->target) != CW_OK) {
			return CW_ERR_NAME;
		}
		return deliver_file(path, data, len, o, files, err, errsz);
	case ENT_NONE:
		return CW_OK;
	}
	return CW_ERR_INTERNAL;
}

void ent_files_remove(struct ent_files *files)
{
	static const unsigned char zeros[4096];
	for (size_t i = 0; i < files->n; i++) {
		/* overwrite before unlinking: another link or an open descriptor would keep the
		 * content alive otherwise */
		int fd = open(files->paths[i], O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		struct stat sb;
		if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
			for (off_t left = sb.st_size; left > 0;) {
				size_t n = left > (off_t)sizeof zeros ? sizeof zeros : (size_t)left;
				ssize_t w = write(fd, zeros, n);
				if (w <= 0)
					break;
				left -= w;
			}
		}
		if (fd >= 0)
			close(fd);
		unlink(files->paths[i]);
		free(files->paths[i]);
	}
	free(files->paths);
	files->paths = NULL;
	files->n = 0;
}

void ent_files_close_fds(struct ent_files *files)
{
	for (size_t i = 0; i < files->nfds; i++)
		close(files->fds[i]);
	free(files->fds);
	files->fds = NULL;
	files->nfds = 0;
}

void ent_files_forget_env(struct ent_files *files)
{
	for (size_t i = 0; i < files->nvars; i++) {
		/* setenv's copy lives in this process's heap: overwrite it before unsetting */
		char *val = getenv(files->vars[i]);
		if (val != NULL)
			cw_wipe(val, strlen(val));
		unsetenv(files->vars[i]);
	}
	cw_strv_free(files->vars, files->nvars);
	files->vars = NULL;
	files->nvars = 0;
}

void ent_files_free(struct ent_files *files)
{
	cw_strv_free(files->vars, files->nvars);
	cw_strv_free(files->paths, files->n);
	free(files->fds);
	files->vars = NULL;
	files->nvars = 0;
	files->paths = NULL;
	files->n = 0;
	files->fds = NULL;
	files->nfds = 0;
}

/* ---- collisions ---- */

cw_status ent_slots_add(struct ent_slots *s, enum ent_slot_kind kind, const char *key,
                        const char *who)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct ent_slot *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL)
			return CW_ERR_NOMEM;
		s->v = v;
		s->cap = cap;
	}
	char *k = strdup(key), *w = strdup(who);
	if (k == NULL || w == NULL) {
		free(k);
		free(w);
		return CW_ERR_NOMEM;
	}
	struct ent_slot *sl = &s->v[s->n];
	sl->kind = kind;
	sl->key = k;
	sl->who = w;
	sl->order = s->n++;
	return CW_OK;
}

/* A file's slot: its directory as the kernel resolves it (symbolic links, "..", "//") and
 * its name there. */
static cw_status file_slot(struct ent_slots *s, const char *dir, const char *base, const char *who)
{
	char real[PATH_MAX], key[PATH_MAX + CW_NAME_MAX + 2];
	const char *d = realpath(dir, real) != NULL ? real : dir;
	if (cw_path(key, sizeof key, "%s/%s", strcmp(d, "/") == 0 ? "" : d, base) != CW_OK)
		return CW_ERR_NAME;
	return ent_slots_add(s, ENT_SLOT_FILE, key, who);
}

static cw_status field_slot(void *arg, const char *var, const char *who, const char *value,
                            char *err, size_t errsz)
{
	(void)value;
	cw_status st = ent_slots_add(arg, ENT_SLOT_VAR, var, who);
	if (st != CW_OK)
		snprintf(err, errsz, "out of memory");
	return st;
}

cw_status ent_spec_slots(const struct ent_spec *spec, const char *objname,
                         const unsigned char *data, size_t len, struct ent_slots *s, char *err,
                         size_t errsz)
{
	char var[CW_NAME_MAX + 16], flat[CW_NAME_MAX + 1], tmp[4096];
	const char *v;
	cw_status st = CW_ERR_NAME;
	if (spec->group && strcmp(objname, spec->name) == 0)
		return CW_OK; /* the members are not known yet */
	switch (spec->kind) {
	case ENT_FD:
	case ENT_ENV:
		if ((v = dest_var(spec, objname, var, sizeof var)) != NULL)
			st = ent_slots_add(s, ENT_SLOT_VAR, v, objname);
		break;
	case ENT_ENVJSON:
		if (data == NULL)
			return CW_OK;
		return envjson_walk(spec, objname, data, len, field_slot, s, err, errsz);
	case ENT_PRINT:
		st = ent_slots_add(s, ENT_SLOT_STDOUT, "", objname);
		break;
	case ENT_NONE: /* fetched for a template, which adds its own slot */
		return CW_OK;
	case ENT_FILE:
		if (spec->group) {
			group_entry(spec, objname, flat);
			st = file_slot(s, spec->target, flat, objname);
		} else if (cw_path(tmp, sizeof tmp, "%s", spec->target) == CW_OK) {
			char base[4096];
			snprintf(base, sizeof base, "%s", basename(tmp));
			snprintf(tmp, sizeof tmp, "%s", spec->target);
			st = file_slot(s, dirname(tmp), base, objname);
		}
		break;
	}
	if (st != CW_OK)
		snprintf(err, errsz, "%s: %s", objname, cw_strerror(st));
	return st;
}

static int slot_cmp(const void *a, const void *b)
{
	const struct ent_slot *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	int c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

cw_status ent_slots_check(struct ent_slots *s, char *err, size_t errsz)
{
	static const char *const what[] = {"the variable ", "the file ", "standard output"};
	const struct ent_slot *hit = NULL;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, slot_cmp);
	/* of several collisions, the one whose second delivery comes first */
	for (size_t i = 1; i < s->n; i++) {
		const struct ent_slot *a = &s->v[i - 1], *b = &s->v[i];
		if (a->kind == b->kind && strcmp(a->key, b->key) == 0 &&
		    (hit == NULL || b->order < hit->order))
			hit = b;
	}
	if (hit == NULL)
		return CW_OK;
	const struct ent_slot *first = hit - 1;
	while (first > s->v && strcmp((first - 1)->key, hit->key) == 0 &&
	       (first - 1)->kind == hit->kind)
		first--;
	snprintf(err, errsz, "%s and %s both deliver to %s%s", first->who, hit->who,
	         what[hit->kind], hit->key);
	return CW_ERR_EXISTS;
}

void ent_slots_free(struct ent_slots *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].who);
	}
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
