/* Writing side of the data directory: publication of a new version and removal.
 *
 * Locks: objects/FILE/.lock (flock, exclusive) serialises writers of one object, across
 * processes. tmp/.lock is held shared by every writer while it has a work directory under tmp/;
 * a writer that manages to take it exclusively knows nobody else is working there, so whatever
 * tmp/ holds is a leftover of a killed writer and can be removed. No pids, no clocks. */
#define _GNU_SOURCE
#include "objstore_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

struct ws_txn {
	ws_store *st;
	char name[CW_NAME_MAX + 1];
	char file[CW_NAME_MAX + 1];
	char objdir[PATH_MAX];
	char work[32]; /* entry under tmp/ */
	int tmpfd, tmplock, odfd, lockfd, workfd;
	uint64_t version;
	bool published;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static cw_status io_fail(void)
{
	return CW_ERR_IO; /* errno stays as the failed call left it */
}

static void clean_tmp(int tmpfd, const char *tmpdir)
{
	DIR *d = ws_opendir_at(tmpfd);
	struct dirent *e;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char p[PATH_MAX];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, ".lock") == 0)
			continue;
		if (cw_path(p, sizeof p, "%s/%s", tmpdir, e->d_name) == CW_OK)
			(void)cw_rm_rf(p);
	}
	closedir(d);
}

/* Opens tmp/ and takes tmp/.lock shared, cleaning leftovers first when nobody else works. */
static cw_status tmp_enter(ws_store *st, int *tmpfd, int *lockfd)
{
	char tmpdir[PATH_MAX];
	*tmpfd = *lockfd = -1;
	if (cw_path(tmpdir, sizeof tmpdir, "%s/tmp", st->dir) != CW_OK)
		return CW_ERR_NAME;
	if (mkdirat(st->dfd, "tmp", 0700) != 0 && errno != EEXIST)
		return io_fail();
	*tmpfd = openat(st->dfd, "tmp", CW_DIR_FLAGS);
	if (*tmpfd < 0)
		return io_fail();
	*lockfd = openat(*tmpfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*lockfd < 0)
		goto fail;
	if (flock(*lockfd, LOCK_EX | LOCK_NB) == 0)
		clean_tmp(*tmpfd, tmpdir);
	if (flock(*lockfd, LOCK_SH) != 0)
		goto fail;
	return CW_OK;
fail:;
	int saved = errno;
	close_fd(lockfd);
	close_fd(tmpfd);
	errno = saved;
	return CW_ERR_IO;
}

/* Opens (creating when asked) objects/FILE and takes its .lock exclusively. */
static cw_status obj_enter(ws_store *st, const char *file, bool create, int *odfd, int *lockfd)
{
	*odfd = *lockfd = -1;
	if (create && mkdirat(st->objfd, file, 0700) != 0 && errno != EEXIST)
		return io_fail();
	*odfd = openat(st->objfd, file, CW_DIR_FLAGS);
	if (*odfd < 0)
		return (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) ? CW_ERR_NOTFOUND
		                                                               : CW_ERR_IO;
	*lockfd = openat(*odfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = -1;
	if (*lockfd >= 0)
		while ((rc = flock(*lockfd, LOCK_EX)) != 0 && errno == EINTR)
			;
	if (*lockfd < 0 || rc != 0) {
		int saved = errno;
		close_fd(lockfd);
		close_fd(odfd);
		errno = saved;
		return CW_ERR_IO;
	}
	/* temp files of a killed writer of this object (we hold its lock: nobody else writes) */
	DIR *d = ws_opendir_at(*odfd);
	struct dirent *e;
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strncmp(e->d_name, ".tmp-", 5) == 0 ||
			    strncmp(e->d_name, ".latest-", 8) == 0)
				(void)unlinkat(*odfd, e->d_name, 0);
		closedir(d);
	}
	return CW_OK;
}

static cw_status read_seq(int odfd, uint64_t *seq)
{
	unsigned char *buf;
	size_t len;
	*seq = 0;
	cw_status s = ws_read_at(odfd, "seq", 64, &buf, &len);
	if (s == CW_ERR_NOTFOUND)
		return CW_OK;
	if (s != CW_OK)
		return s == CW_ERR_TOOBIG ? CW_ERR_INTEGRITY : s;
	char vd[40];
	snprintf(vd, sizeof vd, "v%.*s", (int)strcspn((char *)buf, "\n"), (char *)buf);
	free(buf);
	return ws_parse_vdir(vd, seq) ? CW_OK : CW_ERR_INTEGRITY;
}

cw_status ws_object_seq(ws_store *st, const char *name, uint64_t *seq)
{
	int odfd;
	*seq = 0;
	cw_status s = ws_open_objdir(st, name, &odfd);
	if (s != CW_OK)
		return s;
	s = read_seq(odfd, seq);
	close(odfd);
	return s;
}

/* Points latest at version v (0: at WS_LATEST_NONE, nothing published), atomically, durably. */
static cw_status set_latest(int odfd, uint64_t v)
{
	char target[32], tmp[40];
	unsigned char rnd[8];
	if (getentropy(rnd, sizeof rnd) != 0)
		return CW_ERR_INTERNAL;
	if (v == 0)
		snprintf(target, sizeof target, "%s", WS_LATEST_NONE);
	else
		snprintf(target, sizeof target, "v%llu", (unsigned long long)v);
	snprintf(tmp, sizeof tmp, ".latest-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
	         rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (symlinkat(target, odfd, tmp) != 0)
		return io_fail();
	if (renameat(odfd, tmp, odfd, "latest") != 0) {
		int saved = errno;
		(void)unlinkat(odfd, tmp, 0);
		errno = saved;
		return CW_ERR_IO;
	}
	return fsync(odfd) == 0 ? CW_OK : io_fail();
}

/* Makes seq at least v, durably: a version directory is the only other record of a number
 * issued, and removing one must not let the number be issued again. */
static cw_status seq_at_least(ws_store *st, int odfd, const char *file, uint64_t v)
{
	char dir[PATH_MAX], txt[32];
	uint64_t seq;
	cw_status s = read_seq(odfd, &seq);
	if (s == CW_ERR_INTEGRITY)
		seq = 0; /* unreadable: written again */
	else if (s != CW_OK)
		return s;
	if (seq >= v)
		return CW_OK;
	if ((s = cw_path(dir, sizeof dir, "%s/objects/%s", st->dir, file)) != CW_OK)
		return s;
	snprintf(txt, sizeof txt, "%llu\n", (unsigned long long)v);
	return cw_write_atomic(dir, "seq", txt, strlen(txt), 0600, true);
}

/* Moves vN out of the object directory into tmp/ (one atomic step readers cannot see half of),
 * then deletes it there. */
static cw_status drop_version(ws_store *st, int odfd, int tmpfd, const char *file, uint64_t v)
{
	char vdir[32], dst[CW_NAME_MAX + 64], p[PATH_MAX];
	unsigned char rnd[4];
	cw_status s = seq_at_least(st, odfd, file, v);
	if (s != CW_OK)
		return s;
	if (getentropy(rnd, sizeof rnd) != 0)
		return CW_ERR_INTERNAL;
	snprintf(vdir, sizeof vdir, "v%llu", (unsigned long long)v);
	snprintf(dst, sizeof dst, "rm-%02x%02x%02x%02x-%s", rnd[0], rnd[1], rnd[2], rnd[3], vdir);
	if (renameat2(odfd, vdir, tmpfd, dst, RENAME_NOREPLACE) != 0)
		return errno == ENOENT ? CW_ERR_NOTFOUND : io_fail();
	if (fsync(odfd) != 0)
		return io_fail();
	if (cw_path(p, sizeof p, "%s/tmp/%s", st->dir, dst) == CW_OK)
		(void)cw_rm_rf(p);
	return CW_OK;
}

/* Versions above latest are not published: a store killed between renaming its vN into place
 * and swapping latest leaves one, and so does an rm killed between its swap and the removal
 * (latest at WS_LATEST_NONE counts as 0: an object's first store sets it before anything
 * else, and rm NAME leaves it). Readers never load them (ws_object_load). The next writer of
 * the object, holding its lock, finishes the job: it removes them, so that latest is the
 * highest version again. With no latest at all, which none of our steps leaves, nothing is
 * removed: that is damage (a link lost in a copy), which checkintegrity reports, and every
 * version stays for the operator. vers is ascending; *nv shrinks to what stays. */
static cw_status drop_unpublished(ws_store *st, int odfd, int tmpfd, const char *file,
                                  const uint64_t *vers, size_t *nv)
{
	uint64_t latest;
	cw_status s = ws_latest_at(odfd, &latest);
	if (s == CW_ERR_NOTFOUND)
		return CW_OK;
	while (s == CW_OK && *nv > 0 && vers[*nv - 1] > latest) {
		s = drop_version(st, odfd, tmpfd, file, vers[*nv - 1]);
		if (s == CW_ERR_NOTFOUND)
			s = CW_OK;
		if (s == CW_OK)
			(*nv)--;
	}
	return s;
}

cw_status ws_publish_begin(ws_store *st, const char *name, ws_txn **out)
{
	uint64_t seq, *vers = NULL, latest;
	size_t nv = 0;
	cw_status s;
	ws_txn *t = calloc(1, sizeof *t);
	*out = NULL;
	if (t == NULL)
		return CW_ERR_NOMEM;
	t->st = st;
	t->tmpfd = t->tmplock = t->odfd = t->lockfd = t->workfd = -1;
	if (name == NULL || strlen(name) >= sizeof t->name ||
	    !cw_name_to_file(name, t->file, sizeof t->file)) {
		s = CW_ERR_NAME;
		goto out;
	}
	strcpy(t->name, name);
	if ((s = cw_path(t->objdir, sizeof t->objdir, "%s/objects/%s", st->dir, t->file)) !=
	        CW_OK ||
	    (s = tmp_enter(st, &t->tmpfd, &t->tmplock)) != CW_OK ||
	    (s = obj_enter(st, t->file, true, &t->odfd, &t->lockfd)) != CW_OK ||
	    (s = read_seq(t->odfd, &seq)) != CW_OK ||
	    (s = ws_object_versions(st, name, &vers, &nv, &latest)) != CW_OK)
		goto out;
	/* seq is authoritative; a version directory above it (seq lost) still is never reused */
	if (nv > 0 && vers[nv - 1] > seq)
		seq = vers[nv - 1];
	if (latest > seq)
		seq = latest;
	if ((s = drop_unpublished(st, t->odfd, t->tmpfd, t->file, vers, &nv)) != CW_OK)
		goto out;
	/* a first store (or the first after rm NAME by an older version) marks the object as
	 * having nothing published before its version can appear: a kill leaves that version
	 * above latest, not beside no latest at all */
	uint64_t mark;
	if (nv == 0 && ws_latest_at(t->odfd, &mark) == CW_ERR_NOTFOUND &&
	    (s = set_latest(t->odfd, 0)) != CW_OK)
		goto out;
	if (seq >= CW_VERSION_MAX) {
		s = CW_ERR_TOOBIG;
		goto out;
	}
	t->version = seq + 1;
	unsigned char rnd[6];
	if (getentropy(rnd, sizeof rnd) != 0) {
		s = CW_ERR_INTERNAL;
		goto out;
	}
	snprintf(t->work, sizeof t->work, "store-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
	         rnd[3], rnd[4], rnd[5]);
	if (mkdirat(t->tmpfd, t->work, 0700) != 0) {
		s = io_fail();
		t->work[0] = '\0'; /* not ours to remove */
		goto out;
	}
	if ((t->workfd = openat(t->tmpfd, t->work, CW_DIR_FLAGS)) < 0) {
		s = io_fail();
		goto out;
	}
	*out = t;
	t = NULL;
out:
	free(vers);
	if (t != NULL) {
		int saved = errno;
		ws_txn_end(t);
		errno = saved;
	}
	return s;
}

uint64_t ws_txn_version(const ws_txn *t)
{
	return t->version;
}

static cw_status write_new(int dfd, const char *file, const void *data, size_t len)
{
	int fd = openat(dfd, file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return io_fail();
	cw_status s = cw_write_all(fd, data, len);
	if (s == CW_OK && (fchmod(fd, 0600) != 0 || fsync(fd) != 0))
		s = CW_ERR_IO;
	int saved = errno;
	if (close(fd) != 0 && s == CW_OK) {
		s = CW_ERR_IO;
		saved = errno;
	}
	errno = saved;
	return s;
}

cw_status ws_publish_commit(ws_txn *t, ws_object *obj)
{
	char vdir[32], seqtxt[32];
	char *meta = NULL;
	cw_status s;
	if (t->published || t->workfd < 0 || strcmp(obj->name, t->name) != 0 ||
	    obj->version != t->version || obj->nrecipients == 0)
		return CW_ERR_INTERNAL;
	ws_sha256_hex(obj->sealed, obj->sealed_len, obj->sha256);
	if ((meta = ws_meta_json(obj)) == NULL) {
		s = CW_ERR_NOMEM;
		goto out;
	}
	if ((s = write_new(t->workfd, "object.gpg", obj->sealed, obj->sealed_len)) != CW_OK ||
	    (s = write_new(t->workfd, "object.sig", obj->sig, obj->sig_len)) != CW_OK ||
	    (s = write_new(t->workfd, "meta.json", meta, strlen(meta))) != CW_OK)
		goto out;
	if (fsync(t->workfd) != 0) {
		s = io_fail();
		goto out;
	}
	/* The version is burnt from here on: a crash below skips it, never reuses it. */
	snprintf(seqtxt, sizeof seqtxt, "%llu\n", (unsigned long long)t->version);
	if ((s = cw_write_atomic(t->objdir, "seq", seqtxt, strlen(seqtxt), 0600, true)) != CW_OK)
		goto out;
	snprintf(vdir, sizeof vdir, "v%llu", (unsigned long long)t->version);
	if (renameat2(t->tmpfd, t->work, t->odfd, vdir, RENAME_NOREPLACE) != 0) {
		s = errno == EEXIST ? CW_ERR_INTEGRITY : CW_ERR_IO;
		goto out;
	}
	t->published = true;
	if (fsync(t->odfd) != 0) {
		s = io_fail();
		goto out;
	}
	(void)fsync(t->tmpfd);
	s = set_latest(t->odfd, t->version);
out:
	free(meta);
	return s;
}

void ws_txn_end(ws_txn *t)
{
	if (t == NULL)
		return;
	close_fd(&t->workfd);
	if (!t->published && t->work[0] != '\0' && t->tmpfd >= 0) {
		char p[PATH_MAX];
		if (cw_path(p, sizeof p, "%s/tmp/%s", t->st->dir, t->work) == CW_OK)
			(void)cw_rm_rf(p);
	}
	close_fd(&t->lockfd);
	close_fd(&t->odfd);
	close_fd(&t->tmplock);
	close_fd(&t->tmpfd);
	free(t);
}

cw_status ws_remove(ws_store *st, const char *name, uint64_t version)
{
	char file[CW_NAME_MAX + 1];
	int tmpfd = -1, tmplock = -1, odfd = -1, lockfd = -1;
	uint64_t *vers = NULL, latest = 0;
	size_t nv = 0;
	cw_status s;
	if (name == NULL || !cw_name_to_file(name, file, sizeof file))
		return CW_ERR_NAME;
	if ((s = tmp_enter(st, &tmpfd, &tmplock)) != CW_OK ||
	    (s = obj_enter(st, file, false, &odfd, &lockfd)) != CW_OK ||
	    (s = ws_object_versions(st, name, &vers, &nv, &latest)) != CW_OK ||
	    (s = drop_unpublished(st, odfd, tmpfd, file, vers, &nv)) != CW_OK)
		goto out;
	if (version == 0) {
		if (nv == 0 && latest == 0) {
			s = CW_ERR_NOTFOUND;
			goto out;
		}
		/* readers stop finding it first, then the versions go */
		if ((s = set_latest(odfd, 0)) != CW_OK)
			goto out;
		for (size_t i = 0; i < nv && s == CW_OK; i++) {
			s = drop_version(st, odfd, tmpfd, file, vers[i]);
			if (s == CW_ERR_NOTFOUND)
				s = CW_OK;
		}
		goto out;
	}
	size_t idx = nv;
	for (size_t i = 0; i < nv; i++)
		if (vers[i] == version)
			idx = i;
	if (idx == nv) {
		s = CW_ERR_NOTFOUND;
		goto out;
	}
	if (latest == version) {
		/* latest moves to the highest remaining version, or goes */
		uint64_t next = 0;
		for (size_t i = 0; i < nv; i++)
			if (i != idx && vers[i] > next)
				next = vers[i];
		if ((s = set_latest(odfd, next)) != CW_OK)
			goto out;
	}
	s = drop_version(st, odfd, tmpfd, file, version);
out:;
	int saved = errno;
	free(vers);
	close_fd(&lockfd);
	close_fd(&odfd);
	close_fd(&tmplock);
	close_fd(&tmpfd);
	errno = saved;
	return s;
}
