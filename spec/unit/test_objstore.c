/* wallet/objstore: layout, publication, lookup, listing, removal, and refusal to leave the
 * data directory. The sealed bytes here are fake: objstore never looks inside them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "fsutil.h"
#include "objstore_fixture.h"
#include "objstore_int.h"
static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/cwosXXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return ws_store_create(dir, FPR) == CW_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char mnt[128];
	snprintf(mnt, sizeof mnt, "%s/small", dir);
	(void)umount2(mnt, MNT_DETACH); /* test_full_disk's, if it stopped half-way */
	return cw_rm_rf(dir) == CW_OK ? 0 : -1;
}

static void add_client(ws_store *st, const char *name)
{
	ws_client c;
	memset(&c, 0, sizeof c);
	snprintf(c.client, sizeof c.client, "%s", name);
	snprintf(c.fingerprint, sizeof c.fingerprint, "%s", FPR);
	ws_time_now(c.imported);
	assert_int_equal(ws_client_put(st, &c, false), CW_OK);
}

static void test_publish_load(void **state)
{
	(void)state;
	ws_store *st;
	ws_object *o;
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	assert_string_equal(ws_store_signing_fpr(st), FPR);
	assert_int_equal(publish(st, "db_pass", "one"), 1);
	assert_int_equal(publish(st, "db_pass", "two!"), 2);
	assert_int_equal(publish(st, "app1/tls/key", "k"), 1);

	assert_int_equal(ws_object_load(st, "db_pass", 0, &o), CW_OK);
	assert_int_equal(o->version, 2);
	assert_int_equal(o->sealed_len, 4);
	assert_memory_equal(o->sealed, "two!", 4);
	assert_int_equal(o->sig_len, 3);
	assert_string_equal(o->signer, FPR);
	assert_int_equal(strlen(o->sha256), 64);
	assert_true(ws_object_has_recipient(o, "app1"));
	assert_false(ws_object_has_recipient(o, "app2"));
	ws_object_free(o);
	assert_int_equal(ws_object_load(st, "db_pass", 1, &o), CW_OK);
	assert_memory_equal(o->sealed, "one", 3);
	ws_object_free(o);
	assert_int_equal(ws_object_load(st, "app1/tls/key", 0, &o), CW_OK);
	assert_string_equal(o->name, "app1/tls/key");
	ws_object_free(o);

	assert_int_equal(ws_object_load(st, "db_pass", 3, &o), CW_ERR_NOTFOUND);
	assert_null(o);
	assert_int_equal(ws_object_load(st, "nothing", 0, &o), CW_ERR_NOTFOUND);
	assert_int_equal(ws_object_load(st, "app1", 0, &o), CW_ERR_NOTFOUND);
	/* files are 0600, directories 0700 */
	char p[256];
	struct stat sb;
	snprintf(p, sizeof p, "%s/objects/db_pass/v2/object.gpg", dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(p, sizeof p, "%s/objects/db_pass/v2", dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	ws_store_close(st);
}

static void test_bad_names(void **state)
{
	(void)state;
	ws_store *st;
	ws_object *o;
	ws_txn *t;
	ws_client c;
	char longname[300];
	memset(longname, 'a', 256);
	longname[256] = '\0';
	const char *bad[] = {"../x",   "a//b", "",    "/abs", "a/./b",
	                     "a/../b", "x/",   "a b", "a\nb", longname};
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(ws_object_load(st, bad[i], 0, &o), CW_ERR_NAME);
		assert_int_equal(ws_publish_begin(st, bad[i], &t), CW_ERR_NAME);
		assert_int_equal(ws_remove(st, bad[i], 0), CW_ERR_NAME);
		assert_int_equal(ws_client_get(st, bad[i], &c), CW_ERR_NAME);
	}
	assert_int_equal(ws_client_get(st, "app1/x", &c), CW_ERR_NAME);
	assert_int_equal(ws_object_load(st, NULL, 0, &o), CW_ERR_NAME);
	ws_store_close(st);
}

/* Symlinks planted in the data directory never lead a reader outside it. */
static void test_no_escape(void **state)
{
	(void)state;
	ws_store *st;
	ws_object *o;
	ws_client c;
	char p[256], q[256];
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	assert_int_equal(publish(st, "ok", "x"), 1);
	/* an object directory that is a symlink to another object */
	snprintf(p, sizeof p, "%s/objects/evil", dir);
	assert_int_equal(symlink("ok", p), 0);
	assert_int_equal(ws_object_load(st, "evil", 0, &o), CW_ERR_NOTFOUND);
	/* latest pointing outside */
	snprintf(p, sizeof p, "%s/objects/ok/latest", dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("../../../../../../etc", p), 0);
	assert_int_equal(ws_object_load(st, "ok", 0, &o), CW_ERR_NOTFOUND);
	/* a version directory that is a symlink */
	snprintf(q, sizeof q, "%s/objects/ok/v5", dir);
	assert_int_equal(symlink("/etc", q), 0);
	assert_int_equal(ws_object_load(st, "ok", 5, &o), CW_ERR_NOTFOUND);
	/* a sealed file that is a symlink */
	snprintf(p, sizeof p, "%s/objects/ok/v1/object.gpg", dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_not_equal(ws_object_load(st, "ok", 1, &o), CW_OK);
	assert_null(o);
	/* a client file that is a symlink */
	snprintf(p, sizeof p, "%s/clients/app9.json", dir);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_not_equal(ws_client_get(st, "app9", &c), CW_OK);
	ws_store_close(st);
}

static void test_meta_mismatch(void **state)
{
	(void)state;
	ws_store *st;
	ws_object *o;
	char p[256];
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	publish(st, "a", "aaa");
	publish(st, "b", "bbb");
	/* b's version served under a's name: the meta.json names b, the reader refuses */
	snprintf(p, sizeof p, "cp %s/objects/b/v1/meta.json %s/objects/a/v1/meta.json", dir, dir);
	assert_int_equal(system(p), 0);
	assert_int_equal(ws_object_load(st, "a", 1, &o), CW_ERR_INTEGRITY);
	/* sealed bytes longer than meta.json says */
	snprintf(p, sizeof p, "printf xxxx >> %s/objects/b/v1/object.gpg", dir);
	assert_int_equal(system(p), 0);
	assert_int_not_equal(ws_object_load(st, "b", 1, &o), CW_OK);
	ws_store_close(st);
}

struct collect {
	char names[8][64];
	uint64_t versions[8];
	uint64_t nversions[8];
	size_t n;
};

static cw_status collect_fn(const ws_entry *e, void *arg)
{
	struct collect *c = arg;
	if (c->n < 8) {
		snprintf(c->names[c->n], 64, "%.63s", e->name);
		c->versions[c->n] = e->version;
		c->nversions[c->n] = e->nversions;
		c->n++;
	}
	return CW_OK;
}

/* A ws_objiter gives what ws_list lists, in the same order, with nothing cached, and
 * ws_object_count counts them. */
static void assert_same_listings(ws_store *st, size_t n)
{
	struct collect a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	assert_int_equal(ws_list(st, collect_fn, &a), CW_OK);
	ws_objiter *it;
	ws_entry e;
	cw_status s;
	assert_int_equal(ws_objiter_new(st, &it), CW_OK);
	while ((s = ws_objiter_next(it, &e)) == CW_OK)
		assert_int_equal(collect_fn(&e, &b), CW_OK);
	assert_int_equal(s, CW_ERR_NOTFOUND);
	ws_objiter_free(it);
	assert_int_equal(a.n, n);
	assert_memory_equal(&a, &b, sizeof a);
	size_t count = 0;
	assert_int_equal(ws_object_count(st, &count), CW_OK);
	assert_int_equal(count, n);
}

static void test_list_remove(void **state)
{
	(void)state;
	ws_store *st;
	ws_object *o;
	struct collect c;
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	publish(st, "zeta", "z");
	publish(st, "app1/b", "b");
	publish(st, "app1/b", "b2");
	publish(st, "app1-x", "x"); /* '-' sorts before '/' */
	memset(&c, 0, sizeof c);
	assert_int_equal(ws_list(st, collect_fn, &c), CW_OK);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.names[0], "app1-x");
	assert_string_equal(c.names[1], "app1/b");
	assert_string_equal(c.names[2], "zeta");
	assert_int_equal(c.versions[1], 2);
	assert_int_equal(c.nversions[1], 2);
	assert_same_listings(st, 3);
	/* an iterator with a prefix: app1-x and zeta are skipped, app1/b is whole */
	ws_objiter *it;
	ws_entry e;
	assert_int_equal(ws_objiter_new(st, &it), CW_OK);
	ws_objiter_prefix(it, "app1/");
	assert_int_equal(ws_objiter_next(it, &e), CW_OK);
	assert_string_equal(e.name, "app1/b");
	assert_int_equal(e.version, 2);
	assert_int_equal(ws_objiter_next(it, &e), CW_ERR_NOTFOUND);
	ws_objiter_free(it);

	/* a new version shows up in the next listing (cached entries are revalidated) */
	publish(st, "zeta", "z2");
	memset(&c, 0, sizeof c);
	assert_int_equal(ws_list(st, collect_fn, &c), CW_OK);
	assert_int_equal(c.versions[2], 2);
	assert_same_listings(st, 3);

	/* remove the latest version: latest falls back to the previous one */
	assert_int_equal(ws_remove(st, "app1/b", 2), CW_OK);
	assert_int_equal(ws_object_load(st, "app1/b", 0, &o), CW_OK);
	assert_int_equal(o->version, 1);
	ws_object_free(o);
	assert_same_listings(st, 3);
	assert_int_equal(ws_remove(st, "app1/b", 2), CW_ERR_NOTFOUND);
	/* remove everything: not listed, not loadable, versions not reused */
	assert_int_equal(ws_remove(st, "app1/b", 0), CW_OK);
	assert_int_equal(ws_object_load(st, "app1/b", 0, &o), CW_ERR_NOTFOUND);
	assert_int_equal(ws_remove(st, "app1/b", 0), CW_ERR_NOTFOUND);
	assert_int_equal(ws_remove(st, "never", 0), CW_ERR_NOTFOUND);
	memset(&c, 0, sizeof c);
	assert_int_equal(ws_list(st, collect_fn, &c), CW_OK);
	assert_int_equal(c.n, 2);
	assert_same_listings(st, 2);
	assert_int_equal(publish(st, "app1/b", "b3"), 3);
	/* tmp/ holds nothing after completed operations */
	char p[256];
	snprintf(p, sizeof p, "test -z \"$(ls %s/tmp)\"", dir);
	assert_int_equal(system(p), 0);
	ws_store_close(st);
}

/* latest is swapped back from a version's directory, as a store killed between renaming its vN
 * into place and swapping latest leaves it (or an rm killed after its swap) */
static void point_latest_at(const char *name, const char *target)
{
	char link[256];
	snprintf(link, sizeof link, "%s/objects/%s/latest", dir, name);
	(void)unlink(link);
	if (target != NULL)
		assert_int_equal(symlink(target, link), 0);
}

static bool vdir_exists(const char *name, unsigned v)
{
	char p[256];
	struct stat sb;
	snprintf(p, sizeof p, "%s/objects/%s/v%u", dir, name, v);
	return stat(p, &sb) == 0;
}

/* Versions above latest are not published: never loaded, and removed by the next writer. */
static void test_unpublished(void **state)
{
	(void)state;
	ws_store *st;
	ws_object *o;
	uint64_t *vers, latest;
	size_t nv;
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(publish(st, "x", "v"), i);
	point_latest_at("x", "v2");
	assert_int_equal(ws_object_load(st, "x", 3, &o), CW_ERR_NOTFOUND);
	assert_null(o);
	assert_int_equal(ws_version_exists(st, "x", 3), CW_ERR_NOTFOUND); /* serve's cache check */
	assert_int_equal(ws_version_exists(st, "x", 2), CW_OK);
	assert_int_equal(ws_object_load(st, "x", 0, &o), CW_OK);
	assert_int_equal(o->version, 2);
	ws_object_free(o);
	assert_int_equal(ws_object_versions(st, "x", &vers, &nv, &latest), CW_OK);
	assert_int_equal(nv, 3);
	assert_int_equal(latest, 2);
	free(vers);
	/* the next store removes v3 and does not reuse its number */
	assert_int_equal(publish(st, "x", "v"), 4);
	assert_false(vdir_exists("x", 3));
	assert_true(vdir_exists("x", 2));

	/* an rm finishes the job too, before its own: v5 goes, then v4 as asked */
	assert_int_equal(publish(st, "x", "v"), 5);
	point_latest_at("x", "v4");
	assert_int_equal(ws_remove(st, "x", 4), CW_OK);
	assert_false(vdir_exists("x", 5));
	assert_false(vdir_exists("x", 4));
	assert_int_equal(ws_object_load(st, "x", 0, &o), CW_OK);
	assert_int_equal(o->version, 2);
	ws_object_free(o);

	/* latest at "none" (a first store, or rm NAME, killed half-way): nothing is published */
	assert_int_equal(publish(st, "y", "v"), 1);
	point_latest_at("y", "v0");
	assert_int_equal(ws_object_load(st, "y", 1, &o), CW_ERR_NOTFOUND);
	assert_int_equal(ws_version_exists(st, "y", 1), CW_ERR_NOTFOUND);
	assert_int_equal(ws_object_load(st, "y", 0, &o), CW_ERR_NOTFOUND);
	assert_true(ws_object_linked(st, "y"));
	assert_int_equal(ws_remove(st, "y", 0), CW_ERR_NOTFOUND);
	assert_false(vdir_exists("y", 1));
	assert_int_equal(publish(st, "y", "v"), 2);

	/* rm NAME leaves latest at "none"; so does a first store before its version appears */
	assert_int_equal(ws_remove(st, "y", 0), CW_OK);
	assert_true(ws_object_linked(st, "y"));
	assert_int_equal(ws_object_load(st, "y", 0, &o), CW_ERR_NOTFOUND);
	ws_txn *t;
	assert_int_equal(ws_publish_begin(st, "new", &t), CW_OK);
	char link[256], target[16] = "";
	snprintf(link, sizeof link, "%s/objects/new/latest", dir);
	assert_int_equal(readlink(link, target, sizeof target - 1), 2);
	assert_string_equal(target, "v0");
	ws_txn_end(t);
	assert_int_equal(ws_object_load(st, "new", 0, &o), CW_ERR_NOTFOUND);

	/* no latest at all is damage, not a step of ours: every version stays */
	assert_int_equal(publish(st, "z", "v"), 1);
	assert_int_equal(publish(st, "z", "v"), 2);
	point_latest_at("z", NULL);
	assert_false(ws_object_linked(st, "z"));
	assert_int_equal(publish(st, "z", "v"), 3);
	assert_true(vdir_exists("z", 1));
	assert_true(vdir_exists("z", 2));

	/* removing a version above a lost seq raises seq first: its number is never issued again */
	assert_int_equal(publish(st, "w", "v"), 1);
	assert_int_equal(publish(st, "w", "v"), 2);
	point_latest_at("w", "v1");
	snprintf(link, sizeof link, "%s/objects/w/seq", dir);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(ws_remove(st, "w", 1), CW_OK); /* drops v2 (unpublished), then v1 */
	assert_false(vdir_exists("w", 2));
	assert_int_equal(publish(st, "w", "v"), 3);
	char p[256];
	snprintf(p, sizeof p, "test -z \"$(ls %s/tmp)\"", dir);
	assert_int_equal(system(p), 0);
	ws_store_close(st);
}

static size_t read_all(DIR *d)
{
	size_t n = 0;
	while (readdir(d) != NULL)
		n++;
	return n;
}

/* Two streams over one held directory descriptor do not share a position: a listing that
 * starts while another is half-way (serve's refresh and /metrics) leaves it whole. The
 * directory is larger than one getdents buffer, so that the first stream reads it again after
 * the second has run to the end. */
static void test_opendir_streams(void **state)
{
	(void)state;
	char p[128];
	size_t n = 3000;
	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/tmp/d%05zu", dir, i);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	snprintf(p, sizeof p, "%s/tmp", dir);
	int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	DIR *a = ws_opendir_at(dfd);
	assert_non_null(a);
	assert_non_null(readdir(a));
	DIR *b = ws_opendir_at(dfd);
	assert_non_null(b);
	assert_int_equal(read_all(b), n + 2); /* with "." and ".." */
	assert_int_equal(1 + read_all(a), n + 2);
	closedir(a);
	closedir(b);
	close(dfd);
}

static void test_txn_abort(void **state)
{
	(void)state;
	ws_store *st;
	ws_txn *t;
	ws_object *o;
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	assert_int_equal(publish(st, "x", "1"), 1);
	assert_int_equal(ws_publish_begin(st, "x", &t), CW_OK);
	assert_int_equal(ws_txn_version(t), 2);
	ws_txn_end(t); /* abandoned: nothing published, version not burnt */
	assert_int_equal(ws_object_load(st, "x", 0, &o), CW_OK);
	assert_int_equal(o->version, 1);
	ws_object_free(o);
	assert_int_equal(publish(st, "x", "2"), 2);
	ws_store_close(st);
}

static cw_status count_clients(const ws_client *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return CW_OK;
}

static void test_clients(void **state)
{
	(void)state;
	ws_store *st;
	ws_client c;
	int n = 0;
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	assert_int_equal(ws_client_get(st, "app1", &c), CW_ERR_NOTFOUND);
	add_client(st, "app1");
	add_client(st, "app2");
	assert_int_equal(ws_client_get(st, "app1", &c), CW_OK);
	assert_string_equal(c.fingerprint, FPR);
	assert_false(c.revoked);
	assert_int_equal(ws_client_put(st, &c, false), CW_ERR_EXISTS);
	c.revoked = true;
	ws_time_now(c.revoked_at);
	assert_int_equal(ws_client_put(st, &c, true), CW_OK);
	assert_int_equal(ws_client_get(st, "app1", &c), CW_OK);
	assert_true(c.revoked);
	assert_true(c.revoked_at[0] != '\0');
	assert_int_equal(ws_client_list(st, count_clients, &n), CW_OK);
	assert_int_equal(n, 2);
	ws_store_close(st);
}

/* A full disk while writing a version: CW_ERR_IO with ENOSPC, the earlier version intact,
 * nothing half-published, no work files left. Needs root (mount); skipped otherwise. */
static void test_full_disk(void **state)
{
	(void)state;
	char mnt[128], p[256];
	ws_store *st;
	ws_txn *t;
	ws_object *o;
	snprintf(mnt, sizeof mnt, "%s/small", dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700") != 0) {
		skip();
		return;
	}
	assert_int_equal(ws_store_create(mnt, FPR), CW_OK);
	assert_int_equal(ws_store_open(mnt, &st), CW_OK);
	assert_int_equal(publish(st, "x", "first"), 1);

	size_t big = 256 * 1024;
	unsigned char *bytes = calloc(1, big);
	ws_recipient r = {.client = "app1", .fingerprint = FPR};
	assert_int_equal(ws_publish_begin(st, "x", &t), CW_OK);
	ws_object w;
	memset(&w, 0, sizeof w);
	strcpy(w.name, "x");
	w.version = ws_txn_version(t);
	ws_time_now(w.created);
	strcpy(w.signer, FPR);
	w.sealed = bytes;
	w.sealed_len = big;
	w.sig = (unsigned char *)"s";
	w.sig_len = 1;
	w.recipients = &r;
	w.nrecipients = 1;
	errno = 0;
	assert_int_equal(ws_publish_commit(t, &w), CW_ERR_IO);
	assert_int_equal(errno, ENOSPC);
	ws_txn_end(t);
	free(bytes);

	assert_int_equal(ws_object_load(st, "x", 0, &o), CW_OK);
	assert_int_equal(o->version, 1);
	assert_memory_equal(o->sealed, "first", 5);
	ws_object_free(o);
	snprintf(p, sizeof p, "%s/objects/x/v2", mnt);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof p, "test -z \"$(ls %s/tmp)\"", mnt);
	assert_int_equal(system(p), 0);
	assert_int_equal(publish(st, "x", "second"), 2); /* room again: the work files went */
	ws_store_close(st);
	assert_int_equal(umount(mnt), 0);
}

static void test_open_errors(void **state)
{
	(void)state;
	ws_store *st;
	assert_int_equal(ws_store_open("/nonexistent-cw-dir", &st), CW_ERR_NOTFOUND);
	assert_null(st);
	assert_int_equal(ws_store_create(dir, FPR), CW_ERR_EXISTS); /* init twice keeps it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_publish_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_escape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta_mismatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unpublished, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_opendir_streams, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_txn_abort, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clients, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
	};
	return cmocka_run_group_tests_name("objstore", tests, NULL, NULL);
}
