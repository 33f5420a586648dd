/* wallet-entry: parsing of --fetch and delivery of secrets. */
#define _GNU_SOURCE
#include "dest.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gpgutil.h"
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
	if (strncmp(d, "fd", 2) == 0 && (d[2] == '\0' || d[2] == ':')) {
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
		snprintf(err, errsz, "%s: destination must be fd:VAR, file:PATH or env:VAR",
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
		             : "%s: invalid variable name",
		         out->name);
		return CW_ERR_USAGE;
	}
	return CW_OK;
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

static cw_status write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return CW_ERR_IO;
		p += w;
		n -= (size_t)w;
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
	if (write_all(fd, data, len) != CW_OK || lseek(fd, 0, SEEK_SET) != 0) {
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
	if (write_all(fd, data, len) != CW_OK) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0400) != 0 ||
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

cw_status ent_deliver(const struct ent_spec *spec, const char *objname, const unsigned char *data,
                      size_t len, const struct ent_opts *o, struct ent_files *files, char *err,
                      size_t errsz)
{
	char var[CW_NAME_MAX + 16];
	char path[4200];
	const char *v = spec->target;
	cw_status st = ent_check_file_dest(spec, o, err, errsz);
	if (st != CW_OK)
		return st;
	switch (spec->kind) {
	case ENT_FD:
		if (v[0] == '\0' && ent_var_name(objname, "_FILE", var, sizeof var))
			v = var;
		return deliver_fd(v, objname, data, len, o, files, err, errsz);
	case ENT_ENV:
		if (memchr(data, '\0', len) != NULL) {
			snprintf(err, errsz, "env: cannot carry a secret that contains a NUL byte");
			return CW_ERR_USAGE;
		}
		if (v[0] == '\0' && ent_var_name(objname, "", var, sizeof var))
			v = var;
		/* data is NUL-terminated (wallet_secret_data) */
		if (cw_strv_add(&files->vars, &files->nvars, v) != CW_OK) {
			snprintf(err, errsz, "out of memory");
			return CW_ERR_NOMEM;
		}
		if (setenv(v, (const char *)data, 1) != 0) {
			snprintf(err, errsz, "setenv: %s", strerror(errno));
			return CW_ERR_IO;
		}
		return CW_OK;
	case ENT_FILE:
		if (spec->group) {
			/* DIR/<name inside the group, '/' turned into '_'> */
			const char *rel = objname + strlen(spec->name);
			char flat[CW_NAME_MAX + 1];
			size_t i;
			for (i = 0; i < CW_NAME_MAX && rel[i]; i++)
				flat[i] = rel[i] == '/' ? '_' : rel[i];
			flat[i] = '\0';
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
