/* File-system helpers: atomic publication (temp file, fsync, rename, fsync of the directory),
 * no-overwrite creation, whole writes, bounded reads, recursive removal, the kind of file
 * system. Thread-safe (no shared state). */
#ifndef CW_FSUTIL_H
#define CW_FSUTIL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "status.h"

/* How a directory is opened to work relative to it (openat): never through a symlink. */
#define CW_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Writes all len bytes to fd, retrying after EINTR and short writes. CW_ERR_IO with errno set
 * (ENOSPC when write returns 0). */
cw_status cw_write_all(int fd, const void *data, size_t len);

/* Writes len bytes to dir/name atomically with the given mode: a reader sees the old file or
 * the whole new one, never a part. With replace false, an existing dir/name gives
 * CW_ERR_EXISTS and is left alone (the check and the publication are one atomic step).
 * On any failure the temp file is removed and dir/name is untouched. */
cw_status cw_write_atomic(const char *dir, const char *name, const void *data, size_t len,
                          mode_t mode, bool replace);

/* fsync() of a directory, so that a rename or unlink in it is durable. */
cw_status cw_fsync_dir(const char *dir);

/* mkdir -p; directories it creates get mode. Existing ones are left as they are. */
cw_status cw_mkdir_p(const char *path, mode_t mode);

/* Reads a regular file (not through a symlink in the last component) into malloc'd memory,
 * NUL-terminated for convenience (*len excludes it). CW_ERR_TOOBIG above limit bytes,
 * CW_ERR_NOTFOUND when it does not exist. Free with free(). */
cw_status cw_read_file(const char *path, size_t limit, unsigned char **out, size_t *len);
/* The same from an open descriptor (not closed here), for callers that open relative to a
 * directory descriptor. */
cw_status cw_read_fd(int fd, size_t limit, unsigned char **out, size_t *len);

/* Unlinks every entry of dir but "." and ".." for which keep(name, arg) is false. A missing
 * entry is no error; anything else stops it with CW_ERR_IO (errno kept). */
cw_status cw_unlink_unless(const char *dir, bool (*keep)(const char *name, void *arg), void *arg);

/* rm -rf without following symlinks. A missing path is CW_OK. */
cw_status cw_rm_rf(const char *path);

/* Whether path lies on a tmpfs or ramfs (false when it cannot be examined). */
int cw_on_memory_fs(const char *path);

/* snprintf into buf; CW_ERR_NAME when it does not fit (a path too long is bad input). */
cw_status cw_path(char *buf, size_t bufsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
