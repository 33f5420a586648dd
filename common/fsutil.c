#define _GNU_SOURCE
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "secmem.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif

cw_status cw_path(char *buf, size_t bufsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= bufsz) ? CW_ERR_NAME : CW_OK;
}

cw_status cw_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return CW_ERR_IO;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc == 0 ? CW_OK : CW_ERR_IO;
}

cw_status cw_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return CW_ERR_IO;
		if (w == 0) {
			errno = ENOSPC;
			return CW_ERR_IO;
		}
		p += w;
		len -= (size_t)w;
	}
	return CW_OK;
}

cw_status cw_write_atomic(const char *dir, const char *name, const void *data, size_t len,
                          mode_t mode, bool replace)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	unsigned char rnd[8];
	cw_status st;
	int fd = -1, saved = 0;

	if (getentropy(rnd, sizeof rnd) != 0)
		return CW_ERR_INTERNAL;
	st = cw_path(tmp, sizeof tmp, "%s/.tmp-%s-%02x%02x%02x%02x%02x%02x%02x%02x", dir, name,
	             rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (st == CW_OK)
		st = cw_path(dst, sizeof dst, "%s/%s", dir, name);
	if (st != CW_OK)
		return st;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return CW_ERR_IO;
	st = cw_write_all(fd, data, len);
	if (st == CW_OK && fchmod(fd, mode) != 0) /* the umask must not widen or narrow it */
		st = CW_ERR_IO;
	if (st == CW_OK && fsync(fd) != 0)
		st = CW_ERR_IO;
	saved = errno;
	if (close(fd) != 0 && st == CW_OK) {
		st = CW_ERR_IO;
		saved = errno;
	}
	if (st == CW_OK) {
		int rc = replace ? rename(tmp, dst)
		                 : renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE);
		if (rc != 0) {
			saved = errno;
			st = (saved == EEXIST) ? CW_ERR_EXISTS : CW_ERR_IO;
		}
	}
	if (st != CW_OK) {
		(void)unlink(tmp);
		errno = saved;
		return st;
	}
	return cw_fsync_dir(dir);
}

cw_status cw_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (cw_path(buf, sizeof buf, "%s", path) != CW_OK)
		return CW_ERR_NAME;
	size_t n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) != 0 && errno != EEXIST)
				return CW_ERR_IO;
			if (c == '\0')
				break;
			*p = c;
		}
	}
	struct stat sb;
	if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return CW_ERR_IO;
	}
	return CW_OK;
}

cw_status cw_read_fd(int fd, size_t limit, unsigned char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	struct stat sb;
	cw_status st = CW_OK;
	unsigned char *buf = NULL;
	size_t have = 0;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		st = CW_ERR_IO;
		goto out;
	}
	if ((unsigned long long)sb.st_size > limit) {
		st = CW_ERR_TOOBIG;
		goto out;
	}
	/* one byte of room past the size seen, so that EOF is read without growing */
	size_t cap = (size_t)sb.st_size + 2;
	buf = malloc(cap);
	if (buf == NULL) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		if (have + 1 == cap) { /* the file grew since fstat */
			if (have > limit) {
				st = CW_ERR_TOOBIG;
				goto out;
			}
			unsigned char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				st = CW_ERR_NOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + have, cap - 1 - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = CW_ERR_IO;
			goto out;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	if (have > limit) {
		st = CW_ERR_TOOBIG;
		goto out;
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	buf = NULL;
out:
	free(buf);
	return st;
}

cw_status cw_read_file(const char *path, size_t limit, unsigned char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? CW_ERR_NOTFOUND : CW_ERR_IO;
	cw_status st = cw_read_fd(fd, limit, out, len);
	close(fd);
	return st;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	int rc = (flag == FTW_DP) ? rmdir(path) : unlink(path);
	return (rc != 0 && errno != ENOENT) ? -1 : 0;
}

cw_status cw_rm_rf(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? CW_OK : CW_ERR_IO;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? CW_OK : CW_ERR_IO;
}

int cw_on_memory_fs(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) != 0)
		return 0;
	return (unsigned long)sf.f_type == (unsigned long)TMPFS_MAGIC ||
	       (unsigned long)sf.f_type == (unsigned long)RAMFS_MAGIC;
}

cw_status cw_unlink_unless(const char *dir, bool (*keep)(const char *name, void *arg), void *arg)
{
	int dfd = open(dir, CW_DIR_FLAGS);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return CW_ERR_IO;
	}
	cw_status s = CW_OK;
	struct dirent *de;
	while (s == CW_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    keep(de->d_name, arg))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
			s = CW_ERR_IO;
	}
	closedir(d);
	return s;
}
