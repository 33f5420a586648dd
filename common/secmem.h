/* Memory for secrets: locked where the system allows it, excluded from core dumps, wiped
 * with a primitive the compiler cannot remove, and wiped again when freed.
 * All functions are thread-safe. */
#ifndef CW_SECMEM_H
#define CW_SECMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "status.h"

/* Zero n bytes in a way the optimiser may not elide. p may be NULL when n is 0. */
void cw_wipe(void *p, size_t n);

/* Clears up to `want` bytes of the calling thread's stack below the caller's frame, where the
 * functions it just called (a crypto library) may have left copies of secrets: the nearest
 * 16 KiB by writing zeros, the rest by giving its pages back to the kernel (they read as
 * zeros afterwards; pages never used are not touched), or by writing zeros where the kernel
 * keeps them (locked memory). Only the pages mapped without a gap below the caller are
 * touched (the main thread's stack is mapped only as deep as it has grown). Never more than
 * the thread's stack has room for, minus a safety margin, nor more than 256 pages (1 MiB of
 * 4 KiB pages); does nothing when the stack's bounds are unknown or the caller runs outside
 * them (a coroutine's stack, a signal stack, mapped elsewhere). A stack set up inside the
 * thread's own (a buffer of one of its frames) is not told apart: do not call this there.
 * The stack must be private memory (glibc's stacks are; a stack given to
 * pthread_attr_setstack must be a private mapping too). Cleared means gone from the
 * process: a page given back is erased by the kernel before its next use, not at once.
 * Returns the number of bytes below the caller cleared or found unmapped (a hole holds
 * nothing). */
size_t cw_scrub_stack(size_t want);

/* Constant-time comparison: true when the n bytes are equal. */
bool cw_ct_equal(const void *a, const void *b, size_t n);

/* Zeroed secure memory of n bytes (n may be 0). NULL when out of memory. mlock() is tried and
 * its failure tolerated (RLIMIT_MEMLOCK, no CAP_IPC_LOCK): see cw_secure_locked(). */
void *cw_secure_alloc(size_t n);
/* Grows or shrinks; the old block is wiped and freed. NULL (old block untouched) on failure. */
void *cw_secure_realloc(void *p, size_t n);
/* Wipes and releases; NULL is accepted. */
void cw_secure_free(void *p);
/* The size given to cw_secure_alloc/realloc. */
size_t cw_secure_size(const void *p);
/* Whether that block is locked in RAM. */
bool cw_secure_locked(const void *p);

/* A growable secret buffer in secure memory. Initialise with {0}. */
typedef struct cw_sbuf {
	unsigned char *data;
	size_t len;
	size_t cap;
} cw_sbuf;

cw_status cw_sbuf_append(cw_sbuf *b, const void *src, size_t n);
/* Reads fd to end into b. CW_ERR_TOOBIG once more than limit bytes arrive (b is then wiped). */
cw_status cw_sbuf_read_fd(cw_sbuf *b, int fd, size_t limit);
/* Wipes, frees and resets to {0}. */
void cw_sbuf_free(cw_sbuf *b);

/* For a process about to hold secrets: PR_SET_DUMPABLE 0 (no core dump, no ptrace by
 * same-uid processes, /proc/PID/mem closed) and RLIMIT_CORE 0. Returns CW_ERR_INTERNAL if
 * the kernel refuses. */
cw_status cw_nodump(void);

#endif
