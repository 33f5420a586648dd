#define _GNU_SOURCE /* renameat2 */
#include "outfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "secmem.h"

enum pub_state { P_NONE, P_TEMP, P_NEW, P_SWAPPED };

/* Bookkeeping of one publication, so that a failure can be undone. */
struct pub {
	char (*tmp)[PATH_MAX];
	char (*dst)[PATH_MAX];
	enum pub_state *state;
	char **made_dirs; /* in creation order */
	size_t n_made;
};

void kg_files_init(kg_files *fs)
{
	memset(fs, 0, sizeof *fs);
}

cw_status kg_files_add(kg_files *fs, const char *rel, const void *data, size_t len, mode_t mode,
                       bool secret)
{
	kg_file *f;

	if (fs->n == KG_FILES_MAX)
		return CW_ERR_TOOBIG;
	f = &fs->f[fs->n];
	if (cw_path(f->rel, sizeof f->rel, "%s", rel) != CW_OK)
		return CW_ERR_NAME;
	f->data = secret ? cw_secure_alloc(len ? len : 1) : malloc(len ? len : 1);
	if (!f->data)
		return CW_ERR_NOMEM;
	memcpy(f->data, data, len);
	f->len = len;
	f->mode = mode;
	f->secret = secret;
	fs->n++;
	return CW_OK;
}

void kg_files_free(kg_files *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (fs->f[i].secret)
			cw_secure_free(fs->f[i].data);
		else
			free(fs->f[i].data);
	}
	fs->n = 0;
}

cw_status kg_files_check(const kg_files *fs, const char *outdir, bool force, char *err,
                         size_t errsz)
{
	char path[PATH_MAX];
	struct stat sb;

	if (lstat(outdir, &sb) == 0 && !S_ISDIR(sb.st_mode) &&
	    !(S_ISLNK(sb.st_mode) && stat(outdir, &sb) == 0 && S_ISDIR(sb.st_mode))) {
		snprintf(err, errsz, "%.200s exists and is not a directory", outdir);
		return CW_ERR_EXISTS;
	}
	for (size_t i = 0; i < fs->n; i++) {
		if (cw_path(path, sizeof path, "%s/%s", outdir, fs->f[i].rel) != CW_OK) {
			snprintf(err, errsz, "output path too long");
			return CW_ERR_NAME;
		}
		if (lstat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			snprintf(err, errsz, "%.300s exists and is a directory", path);
			return CW_ERR_EXISTS;
		}
		if (!force) {
			snprintf(err, errsz, "%.300s already exists (use --force to replace it)",
			         path);
			return CW_ERR_EXISTS;
		}
	}
	return CW_OK;
}

/* mkdir -p of path, recording every directory it creates. */
static cw_status ensure_dir(struct pub *p, const char *path, size_t max_made, char *err,
                            size_t errsz)
{
	char buf[PATH_MAX];
	struct stat sb;

	if (cw_path(buf, sizeof buf, "%s", path) != CW_OK)
		return CW_ERR_NAME;
	for (char *c = buf + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char saved = *c;
		*c = '\0';
		if (mkdir(buf, 0700) == 0) {
			if (p->n_made == max_made || !(p->made_dirs[p->n_made] = strdup(buf))) {
				(void)rmdir(buf);
				snprintf(err, errsz, "out of memory");
				return CW_ERR_NOMEM;
			}
			p->n_made++;
		} else if (errno != EEXIST || stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			snprintf(err, errsz, "cannot create directory %.300s: %s", buf,
			         errno == EEXIST ? "not a directory" : strerror(errno));
			return CW_ERR_IO;
		}
		if (saved == '\0')
			break;
		*c = saved;
		while (c[1] == '/')
			c++;
	}
	return CW_OK;
}

static cw_status write_temp(const kg_file *f, const char *tmp, char *err, size_t errsz)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errsz, "cannot create %.300s: %s", tmp, strerror(errno));
		return CW_ERR_IO;
	}
	cw_status st = cw_write_all(fd, f->data, f->len);
	/* fchmod: the umask must neither widen nor narrow the mode. */
	if (st != CW_OK || fchmod(fd, f->mode) != 0 || fsync(fd) != 0)
		st = CW_ERR_IO;
	if (close(fd) != 0)
		st = CW_ERR_IO;
	if (st != CW_OK)
		snprintf(err, errsz, "cannot write %.300s: %s", tmp,
		         errno ? strerror(errno) : "short write");
	return st;
}

static void dir_of(const char *path, char *out)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 1;

	if (!slash)
		path = ".";
	if (n == 0)
		n = 1; /* "/x" */
	memcpy(out, path, n);
	out[n] = '\0';
}

static void rollback(struct pub *p, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (p->state[i] == P_SWAPPED &&
		    renameat2(AT_FDCWD, p->tmp[i], AT_FDCWD, p->dst[i], RENAME_EXCHANGE) == 0)
			p->state[i] = P_TEMP;
		if (p->state[i] == P_NEW)
			(void)unlink(p->dst[i]);
		if (p->state[i] == P_TEMP || p->state[i] == P_SWAPPED)
			(void)unlink(p->tmp[i]);
		p->state[i] = P_NONE;
	}
	for (size_t i = p->n_made; i-- > 0;)
		(void)rmdir(p->made_dirs[i]);
}

static cw_status publish(struct pub *p, const kg_files *fs, const char *outdir, bool force,
                         char *err, size_t errsz)
{
	char dir[PATH_MAX], prev[PATH_MAX] = "";
	unsigned char rnd[8];
	struct stat sb;
	cw_status st;

	st = ensure_dir(p, outdir, fs->n + 64, err, errsz);
	for (size_t i = 0; st == CW_OK && i < fs->n; i++) {
		const char *base;
		if (cw_path(p->dst[i], PATH_MAX, "%s/%s", outdir, fs->f[i].rel) != CW_OK) {
			snprintf(err, errsz, "output path too long");
			return CW_ERR_NAME;
		}
		dir_of(p->dst[i], dir);
		base = strrchr(p->dst[i], '/') + 1;
		if ((st = ensure_dir(p, dir, fs->n + 64, err, errsz)) != CW_OK)
			return st;
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
			snprintf(err, errsz, "no randomness for a temp name");
			return CW_ERR_INTERNAL;
		}
		if (cw_path(p->tmp[i], PATH_MAX, "%s/.tmp-%s-%02x%02x%02x%02x%02x%02x%02x%02x", dir,
		            base, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
		            rnd[7]) != CW_OK) {
			snprintf(err, errsz, "output path too long");
			return CW_ERR_NAME;
		}
		p->state[i] = P_TEMP; /* rollback may unlink it even if open failed */
		st = write_temp(&fs->f[i], p->tmp[i], err, errsz);
	}
	if (st != CW_OK)
		return st;
	for (size_t i = 0; i < fs->n; i++) {
		bool exists = lstat(p->dst[i], &sb) == 0;
		int rc;
		if (exists && !force) {
			snprintf(err, errsz, "%.300s already exists (use --force to replace it)",
			         p->dst[i]);
			return CW_ERR_EXISTS;
		}
		rc = renameat2(AT_FDCWD, p->tmp[i], AT_FDCWD, p->dst[i],
		               exists ? RENAME_EXCHANGE : RENAME_NOREPLACE);
		if (rc != 0) {
			snprintf(err, errsz, "cannot publish %.300s: %s", p->dst[i],
			         strerror(errno));
			return errno == EEXIST ? CW_ERR_EXISTS : CW_ERR_IO;
		}
		p->state[i] = exists ? P_SWAPPED : P_NEW;
	}
	/* Make the renames and new directories durable. */
	for (size_t i = 0; i < fs->n; i++) {
		dir_of(p->dst[i], dir);
		if (strcmp(dir, prev) == 0)
			continue;
		if (cw_fsync_dir(dir) != CW_OK) {
			snprintf(err, errsz, "cannot sync %.300s: %s", dir, strerror(errno));
			return CW_ERR_IO;
		}
		memcpy(prev, dir, strlen(dir) + 1);
	}
	for (size_t i = 0; i < p->n_made; i++) {
		dir_of(p->made_dirs[i], dir);
		if (cw_fsync_dir(dir) != CW_OK) {
			snprintf(err, errsz, "cannot sync %.300s: %s", dir, strerror(errno));
			return CW_ERR_IO;
		}
	}
	return CW_OK;
}

cw_status kg_files_publish(const kg_files *fs, const char *outdir, bool force, char *err,
                           size_t errsz)
{
	struct pub p = {0};
	cw_status st = kg_files_check(fs, outdir, force, err, errsz);

	if (st != CW_OK)
		return st;
	p.tmp = calloc(fs->n ? fs->n : 1, sizeof *p.tmp);
	p.dst = calloc(fs->n ? fs->n : 1, sizeof *p.dst);
	p.state = calloc(fs->n ? fs->n : 1, sizeof *p.state);
	p.made_dirs = calloc(fs->n + 64, sizeof *p.made_dirs);
	if (!p.tmp || !p.dst || !p.state || !p.made_dirs) {
		snprintf(err, errsz, "out of memory");
		st = CW_ERR_NOMEM;
		goto out;
	}
	st = publish(&p, fs, outdir, force, err, errsz);
	if (st != CW_OK) {
		rollback(&p, fs->n);
		goto out;
	}
	/* Committed: what remains under the temp names is the replaced old content. */
	for (size_t i = 0; i < fs->n; i++)
		if (p.state[i] == P_SWAPPED)
			(void)unlink(p.tmp[i]);
out:
	if (p.made_dirs)
		for (size_t i = 0; i < p.n_made; i++)
			free(p.made_dirs[i]);
	free(p.made_dirs);
	free(p.state);
	free(p.dst);
	free(p.tmp);
	return st;
}
