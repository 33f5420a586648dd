#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>
#include <fcntl.h>

#include "cmocka_common.h"
#include "secmem.h"

/* Under AddressSanitizer, with fake stacks on: a function's locals then live off the thread's
 * stack, and the scrub must still clear the stack itself (its first part is not
 * instrumented for that reason). The environment's ASAN_OPTIONS still win. */
__attribute__((visibility("default"))) const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_stack_use_after_return=1";
}

static void test_alloc_free(void **state)
{
	(void)state;
	unsigned char *p = cw_secure_alloc(100);
	assert_non_null(p);
	assert_int_equal(cw_secure_size(p), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	memset(p, 0xAB, 100);
	p = cw_secure_realloc(p, 10000);
	assert_non_null(p);
	assert_int_equal(p[99], 0xAB);
	assert_int_equal(p[100], 0);
	cw_secure_free(p);
	cw_secure_free(NULL);
	void *z = cw_secure_alloc(0);
	assert_non_null(z);
	cw_secure_free(z);
}

static void test_wipe(void **state)
{
	(void)state;
	unsigned char buf[64];
	memset(buf, 0x5A, sizeof buf);
	cw_wipe(buf, sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0);
	cw_wipe(NULL, 0);
}

static void test_ct_equal(void **state)
{
	(void)state;
	assert_true(cw_ct_equal("abc", "abc", 3));
	assert_false(cw_ct_equal("abc", "abd", 3));
	assert_true(cw_ct_equal("", "x", 0));
}

static void test_sbuf(void **state)
{
	(void)state;
	cw_sbuf b = {0};
	for (int i = 0; i < 1000; i++)
		assert_int_equal(cw_sbuf_append(&b, "0123456789", 10), CW_OK);
	assert_int_equal(b.len, 10000);
	assert_memory_equal(b.data + 9990, "0123456789", 10);
	cw_sbuf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_sbuf_read_fd(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	assert_int_equal(write(p[1], all, 256), 256);
	close(p[1]);
	cw_sbuf b = {0};
	assert_int_equal(cw_sbuf_read_fd(&b, p[0], 1024), CW_OK);
	assert_int_equal(b.len, 256);
	assert_memory_equal(b.data, all, 256);
	cw_sbuf_free(&b);
	close(p[0]);

	/* over the limit: refused and wiped */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], all, 256), 256);
	close(p[1]);
	assert_int_equal(cw_sbuf_read_fd(&b, p[0], 255), CW_ERR_TOOBIG);
	assert_null(b.data);
	close(p[0]);
}

static void test_nodump(void **state)
{
	(void)state;
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	assert_int_equal(cw_nodump(), CW_OK);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
}

/* Whether the mapping that starts at `start` has `flag` (" dd", " lo") in /proc/self/smaps. */
static bool vm_flag(const void *start, const char *flag)
{
	char needle[64];
	snprintf(needle, sizeof needle, "%lx-", (unsigned long)(uintptr_t)start);
	FILE *f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	char line[512];
	bool in_block = false, found = false;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, needle, strlen(needle)) == 0)
			in_block = true;
		else if (in_block && strncmp(line, "VmFlags:", 8) == 0) {
			found = strstr(line, flag) != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

static void test_locked_and_dontdump(void **state)
{
	(void)state;
	/* As root (CI, containers with IPC_LOCK) the block is locked; elsewhere tolerated. */
	void *p = cw_secure_alloc(32);
	assert_non_null(p);
	if (geteuid() == 0)
		assert_true(cw_secure_locked(p));
	/* The mapping carries the dd (dont-dump) flag in smaps. */
	assert_true(vm_flag((unsigned char *)p - 64, " dd"));
	cw_secure_free(p);
}

/* cw_scrub_stack: a callee (a crypto library) left bytes far below its caller's frame; after
 * the caller scrubs, none of them may be left. The frames are read with process_vm_readv,
 * as another process would read them, so that no sanitizer's view of a dead frame is
 * involved. The work runs in the thread under test and only records; the checks are made
 * by the test's own thread (cmocka's failures cannot leave another thread). */
#define MARK_DEPTH ((size_t)96 << 10)
#define SCRUB_WANT ((size_t)256 << 10)
/* The marks: 8-byte words that neither a return address nor a stack canary repeats. */
static const uint64_t MARK = 0x5A17C3E9A5D2B4F1u;

struct scrub_run {
	bool count_resident; /* the stack is a mapping of the test's own (mincore works below) */
	bool marked;         /* the deepest mark was there before the scrub */
	bool read_back;
	size_t cleared;  /* cw_scrub_stack's answer */
	size_t left;     /* marks left afterwards */
	size_t resident; /* pages in RAM afterwards, from below the marks to near the caller */
	int mincore_err;
};

static __attribute__((noinline, no_sanitize_address)) void leave_marks(uintptr_t *deepest)
{
	uint64_t buf[MARK_DEPTH / 8];
	for (size_t i = 0; i < MARK_DEPTH / 8; i++)
		buf[i] = MARK;
	*deepest = (uintptr_t)buf; /* an address to read from outside, never dereferenced */
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static bool stack_bytes(uintptr_t p, unsigned char *out, size_t n)
{
	struct iovec local = {out, n}, remote = {(void *)p, n};
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)n;
}

static size_t page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	return pg > 0 ? (size_t)pg : 4096;
}

/* Pages of [lo, hi) in RAM; before anything reads them (a read maps the zero page). */
static size_t resident_pages(uintptr_t lo, uintptr_t hi, int *err)
{
	uintptr_t page = page_size();
	lo &= ~(page - 1);
	hi &= ~(page - 1);
	size_t np = (hi - lo) / page, n = 0;
	unsigned char *vec = calloc(np ? np : 1, 1);
	*err = vec == NULL || mincore((void *)lo, hi - lo, vec) != 0 ? errno : 0;
	for (size_t i = 0; vec != NULL && i < np; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

/* Marks, then the scrub. Every mark but the top 4 KiB (where this function's own callees
 * have frames by the time it looks) is read back. Scrubbing leaves zeros, or, where it
 * writes through frames of its own, their return addresses and canaries: no mark. */
static __attribute__((noinline)) void marks_scrubbed(struct scrub_run *r)
{
	uintptr_t deep = 0;
	uint64_t first = 0;
	leave_marks(&deep);
	r->marked = stack_bytes(deep, (unsigned char *)&first, sizeof first) && first == MARK;
	r->cleared = cw_scrub_stack(SCRUB_WANT);
	/* from 64 KiB below the lowest mark (never used) to 32 KiB below the highest */
	if (r->count_resident)
		r->resident =
		    resident_pages(deep - ((size_t)64 << 10),
		                   deep + MARK_DEPTH - ((size_t)32 << 10), &r->mincore_err);
	size_t n = (MARK_DEPTH - 4096) / 8;
	uint64_t *got = malloc(n * 8);
	r->read_back = got != NULL && stack_bytes(deep, (unsigned char *)got, n * 8);
	for (size_t i = 0; r->read_back && i < n; i++)
		r->left += got[i] == MARK;
	free(got);
}

static void assert_scrubbed(const struct scrub_run *r)
{
	assert_true(r->marked); /* the marks were there to be scrubbed */
	assert_in_range(r->cleared, MARK_DEPTH + 4096, SCRUB_WANT);
	assert_true(r->read_back);
	assert_int_equal(r->left, 0);
}

static void test_scrub_main_thread(void **state)
{
	(void)state;
	struct scrub_run r = {0};
	marks_scrubbed(&r);
	assert_scrubbed(&r);
}

static void *scrub_thread(void *arg)
{
	marks_scrubbed(arg);
	return NULL;
}

static void test_scrub_other_thread(void **state)
{
	(void)state;
	struct scrub_run r = {0};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, scrub_thread, &r), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_scrubbed(&r);
}

/* A thread on a stack of the test's own mapping, locked in RAM or not, and mapped only `keep`
 * bytes deep from its top (below: a hole, as below the main thread's stack). */
#define OWN_STACK ((size_t)1 << 20)
static bool run_on_own_stack(bool lock, size_t keep, struct scrub_run *r)
{
	unsigned char *stk = mmap(NULL, OWN_STACK, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	assert_true(stk != MAP_FAILED);
	if (lock && mlock(stk, OWN_STACK) != 0) /* RLIMIT_MEMLOCK without CAP_IPC_LOCK */
		print_message("# mlock: %s: the stack is not locked\n", strerror(errno));
	if (keep < OWN_STACK)
		assert_int_equal(munmap(stk, OWN_STACK - keep), 0);
	/* AddressSanitizer makes mlock do nothing: the kernel's word is what counts */
	bool locked = vm_flag(stk + OWN_STACK - keep, " lo");
	pthread_attr_t a;
	pthread_t t;
	assert_int_equal(pthread_attr_init(&a), 0);
	assert_int_equal(pthread_attr_setstack(&a, stk, OWN_STACK), 0);
	int e = pthread_create(&t, &a, scrub_thread, r);
	if (e == 0)
		e = pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	munlock(stk + OWN_STACK - keep, keep);
	munmap(stk + OWN_STACK - keep, keep);
	assert_int_equal(e, 0);
	return locked;
}

/* The pages below the frames nearest the caller are given back, not written: after the
 * scrub, neither the marked pages nor the ones below them that nothing used are in RAM. */
static void test_scrub_releases_pages(void **state)
{
	(void)state;
	struct scrub_run r = {.count_resident = true};
	assert_false(run_on_own_stack(false, OWN_STACK, &r));
	assert_scrubbed(&r);
	assert_int_equal(r.mincore_err, 0);
	assert_int_equal(r.resident, 0);
}

/* Locked pages cannot be given back (mlockall in the calling program): they are zeroed by
 * writing instead, and stay in RAM. As root the stack is locked (but in a build with
 * AddressSanitizer, whose mlock does nothing); elsewhere this is the test above again. */
static void test_scrub_locked_stack(void **state)
{
	(void)state;
	struct scrub_run r = {.count_resident = true};
	bool locked = run_on_own_stack(true, OWN_STACK, &r);
	assert_scrubbed(&r);
	assert_int_equal(r.mincore_err, 0);
	size_t all = (((size_t)64 << 10) + MARK_DEPTH - ((size_t)32 << 10)) / page_size();
	assert_int_equal(r.resident, locked ? all : 0);
}

/* Locked, and unmapped from 160 KiB below the top, inside the 256 KiB the scrub may clear:
 * only the mapped pages are written (writing the hole would kill the process, or grow the
 * main thread's stack by locked pages nothing used). Unlocked (not root, or
 * AddressSanitizer), the pages are given back and the hole skipped. */
static void test_scrub_locked_stack_hole(void **state)
{
	(void)state;
	struct scrub_run r = {0};
	if (!run_on_own_stack(true, (size_t)160 << 10, &r))
		print_message(
		    "# the stack is not locked: the pages were given back, not written\n");
	assert_scrubbed(&r);
}

/* Called on another stack than the thread's own (a coroutine's), the scrub clears nothing:
 * below that stack lies memory of the program's (here, marks). One mapping holds the
 * thread's stack, 2 MiB unused (valgrind takes a smaller jump of the stack pointer for a
 * frame, not a switch), the marks and the coroutine's stack, so that the coroutine's frames
 * lie above the thread's stack bottom, as the scrub reckons. */
#define CO_STACK ((size_t)64 << 10)
static ucontext_t co_main, co_ctx;
static size_t co_cleared;
static void co_scrub(void)
{
	co_cleared = cw_scrub_stack(SCRUB_WANT);
}

static void *on_coroutine(void *arg)
{
	co_cleared = 1; /* not 0 unless the scrub said so */
	if (getcontext(&co_ctx) == 0) {
		co_ctx.uc_link = &co_main;
		co_ctx.uc_stack.ss_sp = (unsigned char *)arg;
		co_ctx.uc_stack.ss_size = CO_STACK;
		makecontext(&co_ctx, co_scrub, 0);
		(void)swapcontext(&co_main, &co_ctx);
	}
	return NULL;
}

static void test_scrub_other_stack(void **state)
{
	(void)state;
	size_t marks = OWN_STACK - CO_STACK, gap = 2 * OWN_STACK, all = 4 * OWN_STACK;
	unsigned char *m =
	    mmap(NULL, all, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	assert_true(m != MAP_FAILED);
	uint64_t *w = (uint64_t *)(m + OWN_STACK + gap);
	for (size_t i = 0; i < marks / 8; i++)
		w[i] = MARK;
	pthread_attr_t a;
	pthread_t t;
	assert_int_equal(pthread_attr_init(&a), 0);
	assert_int_equal(pthread_attr_setstack(&a, m, OWN_STACK), 0);
	int e = pthread_create(&t, &a, on_coroutine, m + all - CO_STACK);
	if (e == 0)
		e = pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	size_t left = 0;
	for (size_t i = 0; i < marks / 8; i++)
		left += w[i] == MARK;
	munmap(m, all);
	assert_int_equal(e, 0);
	assert_int_equal(co_cleared, 0);
	assert_int_equal(left, marks / 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_free),
	    cmocka_unit_test(test_wipe),
	    cmocka_unit_test(test_ct_equal),
	    cmocka_unit_test(test_sbuf),
	    cmocka_unit_test(test_sbuf_read_fd),
	    cmocka_unit_test(test_locked_and_dontdump),
	    cmocka_unit_test(test_nodump),
	    cmocka_unit_test(test_scrub_main_thread),
	    cmocka_unit_test(test_scrub_other_thread),
	    cmocka_unit_test(test_scrub_releases_pages),
	    cmocka_unit_test(test_scrub_locked_stack),
	    cmocka_unit_test(test_scrub_locked_stack_hole),
	    cmocka_unit_test(test_scrub_other_stack),
	};
	return cmocka_run_group_tests_name("secmem", tests, NULL, NULL);
}
