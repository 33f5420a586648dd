#define _GNU_SOURCE
#include "secmem.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* Where valgrind's headers are present, zero_below tells memcheck that it writes below the
 * stack pointer on purpose (the requests cost a few instructions outside valgrind). */
#if defined(__has_include) && !defined(__CPPCHECK__) /* cppcheck 2.10 cannot evaluate it */
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define CW_HAVE_MEMCHECK 1
#endif
#endif

/* Each block is its own mapping, so that mlock() and MADV_DONTDUMP cover exactly it and
 * nothing else shares its pages. The header sits in the first bytes of the mapping. */
struct hdr {
	size_t map_len;
	size_t user_len;
	bool locked;
};

/* User data starts HDR_SIZE bytes into the mapping: suitably aligned for any type. */
#define HDR_SIZE ((size_t)64)
_Static_assert(sizeof(struct hdr) <= 64, "header fits");

/* The system's page size; 4096 should sysconf fail or answer something not a power of two. */
static size_t page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	return pg > 0 && ((size_t)pg & ((size_t)pg - 1)) == 0 ? (size_t)pg : 4096;
}

void cw_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

/* The scrub's first part: a frame of SCRUB_CHUNK bytes right below the caller's, zeroed by
 * writing. Returns the buffer's lowest address, where what lies below may be released. Not
 * inlined, so that the buffer is a frame of its own; not instrumented by AddressSanitizer,
 * whose fake stacks (detect_stack_use_after_return) would move the buffer off this stack. */
#define SCRUB_CHUNK ((size_t)16384)
/* Room kept between the released pages and the buffer's top, for the frames of the calls
 * that release or write them (a few hundred bytes; more under AddressSanitizer). */
#define SCRUB_SLACK ((size_t)4096)
static __attribute__((noinline, no_sanitize_address)) uintptr_t scrub_near(void)
{
	unsigned char buf[SCRUB_CHUNK];
	explicit_bzero(buf, sizeof buf);
	uintptr_t at = (uintptr_t)buf;
	__asm__ volatile("" : "+r"(at) : : "memory"); /* the address, not a pointer to return */
	return at;
}

/* The lowest page from which [lo, hi) is mapped up to hi without a gap (lo and hi page
 * aligned, the page below hi mapped: the caller's frames are above it). The main thread's
 * stack mapping reaches only as deep as the stack has grown; below it lies a gap that
 * nothing of this stack may be written or released in. mincore fails with ENOMEM when a
 * range holds an unmapped page, so [m, hi) mapped is monotonic in m: a binary search. Any
 * failure counts as a hole: less is cleared, and nothing unmapped is written. */
#define SCRUB_MAX_PAGES 256
static uintptr_t mapped_from(uintptr_t lo, uintptr_t hi, uintptr_t page)
{
	unsigned char vec[SCRUB_MAX_PAGES + 1]; /* the range: at most that many, and a part */
	if (hi <= lo || mincore((void *)lo, hi - lo, vec) == 0)
		return lo;
	size_t bad = 0, good = (hi - lo) / page; /* [lo + bad*page, hi) has a hole; good: none */
	while (good - bad > 1) {
		size_t mid = bad + (good - bad) / 2;
		if (mincore((void *)(lo + mid * page), hi - lo - mid * page, vec) == 0)
			good = mid;
		else
			bad = mid;
	}
	return lo + good * page;
}

/* Gives [lo, hi) of this thread's stack, below every frame in use and mapped throughout, back
 * to the kernel: private pages read as zeros afterwards, and a page never touched is not
 * faulted in to be zeroed. One system call, during which no signal handler of this thread
 * can run on those pages. Fails (EINVAL) for locked pages (mlockall), leaving them as they
 * were. */
static bool release_below(uintptr_t lo, uintptr_t hi)
{
	/* ENOMEM: a hole (none is expected here, see mapped_from), which holds nothing */
	return hi <= lo || madvise((void *)lo, hi - lo, MADV_DONTNEED) == 0 || errno == ENOMEM;
}

/* Zeroes [lo, hi), below every frame in use, by writing: for pages that cannot be released.
 * With the signals blocked that a program can block (glibc keeps two of its own, whose
 * handlers are shallow), no handler leaves a frame in the part already written. One write
 * over the whole range, so that no frame of the scrub's own lies inside it. */
static void zero_below(uintptr_t lo, uintptr_t hi)
{
	if (hi <= lo)
		return;
	sigset_t all, old;
	sigfillset(&all);
	bool masked = pthread_sigmask(SIG_BLOCK, &all, &old) == 0; /* fails for a bad `how` only */
#ifdef CW_HAVE_MEMCHECK
	(void)VALGRIND_MAKE_MEM_UNDEFINED((void *)lo, hi - lo);
#endif
	explicit_bzero((void *)lo, hi - lo);
#ifdef CW_HAVE_MEMCHECK
	(void)VALGRIND_MAKE_MEM_NOACCESS((void *)lo, hi - lo); /* below the stack pointer again */
#endif
	if (masked)
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Not inlined: `here` must be this function's own frame, right above scrub_near's. */
__attribute__((noinline)) size_t cw_scrub_stack(size_t want)
{
	pthread_attr_t attr;
	void *lo = NULL;
	size_t size = 0;
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return 0;
	int e = pthread_attr_getstack(&attr, &lo, &size);
	pthread_attr_destroy(&attr);
	if (e != 0 || lo == NULL)
		return 0;
	uintptr_t here = (uintptr_t)__builtin_frame_address(0), base = (uintptr_t)lo;
	/* on another stack than the thread's own (a coroutine's, a signal stack): nothing */
	if (here <= base || here - base > size)
		return 0;
	/* keep a quarter of what is left, and at least 64 KiB, for signal handlers and guard */
	size_t room = here - base, margin = room / 4 > 65536 ? room / 4 : 65536;
	if (room <= margin + SCRUB_CHUNK)
		return 0;
	uintptr_t page = page_size();
	size_t chunks = (room - margin) / SCRUB_CHUNK, most = want / SCRUB_CHUNK;
	/* at most SCRUB_MAX_PAGES pages (1 MiB of 4 KiB pages), mapped_from's vector */
	if (most > SCRUB_MAX_PAGES * page / SCRUB_CHUNK)
		most = SCRUB_MAX_PAGES * page / SCRUB_CHUNK;
	if (chunks > most)
		chunks = most;
	if (chunks == 0)
		return 0;
	/* The chunk next to the frames in use is zeroed by writing. Below it, whole pages are
	 * released: from within that chunk (its lowest page boundary) down to a page below the
	 * deepest chunk, so that nothing is left between the two. Where a page is too large
	 * for a boundary to lie low enough in the chunk, the pages below the chunk's lowest
	 * one are released and the rest of that page is written. */
	uintptr_t near = scrub_near();
	uintptr_t bottom = (here - chunks * SCRUB_CHUNK) & ~(page - 1); /* above base + 60 KiB */
	uintptr_t top = (near + page - 1) & ~(page - 1);
	if (top + SCRUB_SLACK > near + SCRUB_CHUNK)
		top = near & ~(page - 1);
	if (chunks > 1) {
		uintptr_t from = bottom < top ? mapped_from(bottom, top, page) : top;
		if (!release_below(from, top))
			zero_below(from, top);
		if (top < near)
			zero_below(top, near);
	}
	return chunks * SCRUB_CHUNK;
}

bool cw_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d == 0;
}

static struct hdr *hdr_of(const void *p)
{
	return (struct hdr *)(void *)((unsigned char *)(uintptr_t)p - HDR_SIZE);
}

void *cw_secure_alloc(size_t n)
{
	size_t page = page_size();
	if (n > SIZE_MAX - HDR_SIZE - page)
		return NULL;
	size_t map_len = (HDR_SIZE + n + page - 1) / page * page;
	void *m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	(void)madvise(m, map_len, MADV_DONTDUMP);
	(void)madvise(m, map_len, MADV_DONTFORK);
	struct hdr *h = m;
	h->map_len = map_len;
	h->user_len = n;
	h->locked = mlock(m, map_len) == 0;
	return (unsigned char *)m + HDR_SIZE;
}

size_t cw_secure_size(const void *p)
{
	return p ? hdr_of(p)->user_len : 0;
}

bool cw_secure_locked(const void *p)
{
	return p ? hdr_of(p)->locked : false;
}

void cw_secure_free(void *p)
{
	if (p == NULL)
		return;
	struct hdr *h = hdr_of(p);
	size_t map_len = h->map_len;
	bool locked = h->locked;
	cw_wipe(h, map_len);
	if (locked)
		(void)munlock(h, map_len);
	(void)munmap(h, map_len);
}

void *cw_secure_realloc(void *p, size_t n)
{
	void *q = cw_secure_alloc(n);
	if (q == NULL)
		return NULL;
	if (p != NULL) {
		size_t old = cw_secure_size(p);
		memcpy(q, p, old < n ? old : n);
		cw_secure_free(p);
	}
	return q;
}

cw_status cw_sbuf_append(cw_sbuf *b, const void *src, size_t n)
{
	if (n > SIZE_MAX - b->len)
		return CW_ERR_TOOBIG;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096 - HDR_SIZE;
		while (cap < b->len + n)
			cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2 + HDR_SIZE;
		void *q = cw_secure_realloc(b->data, cap);
		if (q == NULL)
			return CW_ERR_NOMEM;
		b->data = q;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, src, n);
	b->len += n;
	return CW_OK;
}

cw_status cw_sbuf_read_fd(cw_sbuf *b, int fd, size_t limit)
{
	cw_status st = CW_OK;
	unsigned char *chunk = cw_secure_alloc(65536);
	if (chunk == NULL)
		return CW_ERR_NOMEM;
	for (;;) {
		ssize_t r = read(fd, chunk, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = CW_ERR_IO;
			break;
		}
		if (r == 0)
			break;
		if ((size_t)r > limit || b->len > limit - (size_t)r) {
			st = CW_ERR_TOOBIG;
			break;
		}
		st = cw_sbuf_append(b, chunk, (size_t)r);
		if (st != CW_OK)
			break;
	}
	cw_secure_free(chunk);
	if (st != CW_OK)
		cw_sbuf_free(b);
	return st;
}

void cw_sbuf_free(cw_sbuf *b)
{
	cw_secure_free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

cw_status cw_nodump(void)
{
	struct rlimit rl = {0, 0};
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return CW_ERR_INTERNAL;
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return CW_ERR_INTERNAL;
	return CW_OK;
}
