/* Known-answer vectors of format 2 (spec/vectors/v2, README.md in spec/vectors): two sealed
 * objects whose detached signatures carry the name, version and created notations, and the
 * client app1's signed manifest listing them (valid for 100 years), made once by the real
 * wallet and committed. With both engines of libwalletclient: every object opens to exactly
 * its plaintext through wc_open_sealed with its detached signature, and again as after a
 * manifest check (prechecked, no signature); app1's manifest verifies through the engine's
 * open_manifest and parses (wc_manifest_parse) to exactly the committed objects and their
 * sha256; another client's manifest and one with a byte flipped are refused. The sha256 of
 * every committed file is pinned here. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <sys/stat.h>

/* v2/keys/wallet.fpr: the pinned wallet key of this set */
#define WALLET_FPR "5920B3B8DD324E1B11E9F08433DB3ECEE9726E63"
#include "vectors_fixture.h" /* after WALLET_FPR, which it uses */

#define SHA_TEXT "7c60c07a16e4b8c4c60419c4841cccd82dd1cef3366c77557b37663da0577b9d"
#define SHA_GROUP "88acd9eba8e14f1d9798d1cd637f8de9f46c8f9e724ec5c386aaac21ce920246"
#define SHA_TEXT_GPG "787c162c3d09ae3d0fbe7f978ed3361b4645bb2cc37fe897b70a9798eee4f356"
#define SHA_GROUP_GPG "bbdf5fbf17253da6d89c7cf5fd705dc748b46110dada0b9d8f3f28482f177902"

/* The objects, in name order: what the manifest must list, exactly. */
static const struct obj {
	const char *name;
	const char *dir; /* holds object.gpg, object.sig */
	const char *plain;
	const char *plain_sha256;
	const char *sealed_sha256;
} OBJS[] = {
    {"app1/api_key", "objects/app1@api_key/v1", "plain/app1@api_key", SHA_GROUP, SHA_GROUP_GPG},
    {"db_pass", "objects/db_pass/v1", "plain/db_pass", SHA_TEXT, SHA_TEXT_GPG},
};
#define NOBJ (sizeof OBJS / sizeof OBJS[0])

/* The sha256 of every committed file of v2. */
static const struct pin {
	const char *path;
	const char *sha256;
} PINS[] = {
    {"keys/app2.pub.asc", "9da1c041b1ec3a6bcdab34f94d3edfccb3a547f265de7f451c6e9ec893376e62"},
    {"keys/client.pub.asc", "d436f3937adb195f7d4f27582f6058b9b32db14b002bda60fcb98bc4ae89b417"},
    {"keys/client.sec.asc", "22a060e000809499cceb369447b72a752dccc96aa7998f2df143cc77cb7d67fd"},
    {"keys/wallet.fpr", "114f194a0d4da3f48abd85ebc8cbc618b5577832f81a8662505f60d07a051514"},
    {"keys/wallet.pub.asc", "d80a0912515b300ee0627d175f775280481b677832e7ee177adb1eb9cfb4197d"},
    {"manifests/app1", "70c42d454dbac0aae48f291c71f2c8646680f734e2d20935c706d848eaa24cc4"},
    {"negative/manifest-app2", "dd5878b59435cc22f839cbf3ba014e1fd7d325595fbaf1aad1fd1158bbd4e57e"},
    {"negative/manifest-flipped",
     "1d4d3205a4e41c1c2f68d273afbc2f497432160bd35543bbc17187771699d6b5"},
    {"objects/app1@api_key/v1/meta.json",
     "edb1b9e7744f34fec26bb21e6854fe1ddfa0b4bd6d6b9ecbbd4c30d631dad03a"},
    {"objects/app1@api_key/v1/object.gpg", SHA_GROUP_GPG},
    {"objects/app1@api_key/v1/object.sig",
     "dde815286b1b003223cc7d7ebdccb54b7fa5b404be185ba7c67c9fd80fba834e"},
    {"objects/db_pass/v1/meta.json",
     "d49fda01b8b937c2e07e47d68fa4dd9459e4e18b6e20ad4aadead3c7193a4d48"},
    {"objects/db_pass/v1/object.gpg", SHA_TEXT_GPG},
    {"objects/db_pass/v1/object.sig",
     "475530ddbb9771cdd78bfce9e07ed54a78b7ad111cd21dade592e1fcc71ff2a8"},
    {"plain/app1@api_key", SHA_GROUP},
    {"plain/db_pass", SHA_TEXT},
};
#define NPIN (sizeof PINS / sizeof PINS[0])

static size_t nfiles;
static int count_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type != FTW_F)
		return type == FTW_D ? 0 : -1;
	const char *rel = path + strlen(vdir) + 1;
	for (size_t i = 0; i < NPIN; i++)
		if (strcmp(rel, PINS[i].path) == 0) {
			nfiles++;
			return 0;
		}
	fprintf(stderr, "# %s is not pinned\n", rel);
	return -1;
}

/* Every committed file still has the bytes it was made with, and there is no other. */
static void test_pinned_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < NPIN; i++) {
		size_t n;
		char hex[65];
		unsigned char *b = slurp(PINS[i].path, &n);
		sha256_hex(b, n, hex);
		free(b);
		if (strcmp(hex, PINS[i].sha256) != 0)
			fail_msg("%s: sha256 %s, pinned %s", PINS[i].path, hex, PINS[i].sha256);
	}
	size_t n;
	char *fpr = (char *)slurp("keys/wallet.fpr", &n);
	assert_string_equal(fpr, WALLET_FPR "\n");
	free(fpr);
	nfiles = 0;
	assert_int_equal(nftw(vdir, count_file, 16, FTW_PHYS), 0);
	assert_int_equal(nfiles, NPIN);
}

/* Opens one object: with its detached signature, or (prechecked) without one, as after the
 * manifest vouched for the sealed bytes. */
static void open_obj(const struct obj *ob, bool prechecked)
{
	size_t sealed_len, sig_len = 0;
	char path[256], err[768] = "";
	snprintf(path, sizeof path, "%s/object.gpg", ob->dir);
	unsigned char *sealed = slurp(path, &sealed_len);
	unsigned char *sig = NULL;
	if (!prechecked) {
		snprintf(path, sizeof path, "%s/object.sig", ob->dir);
		sig = slurp(path, &sig_len);
	}
	assert_non_null(client);
	struct wc_opener o = {NULL, client, err, sizeof err, false};
	assert_int_equal(client->engine->thread_ctx(client, 0, &o.ctx), CW_OK);
	const struct wc_sealed in = {ob->name,   1,   0,       0,         sealed,
	                             sealed_len, sig, sig_len, prechecked};
	cw_sbuf plain = {0};
	uint64_t version = 0;
	cw_status st = wc_open_sealed(&o, &in, &plain, &version);
	free(sealed);
	free(sig);
	if (st != CW_OK)
		fail_msg("%s (%s): %s (%s)", ob->name, prechecked ? "prechecked" : "detached",
		         cw_strerror(st), err);
	size_t want_len;
	char hex[65];
	unsigned char *want = slurp(ob->plain, &want_len);
	sha256_hex(plain.data, plain.len, hex);
	bool same = plain.len == want_len && memcmp(plain.data, want, want_len) == 0;
	bool nul = plain.data[plain.len] == '\0';
	cw_sbuf_free(&plain);
	free(want);
	assert_true(same);
	assert_string_equal(hex, ob->plain_sha256);
	assert_true(nul);
	assert_int_equal(version, 1);
}

static void test_open_detached(void **state)
{
	open_obj(*state, false);
}

static void test_open_prechecked(void **state)
{
	open_obj(*state, true);
}

/* The engine's open_manifest on a committed manifest file for client "app1". */
static cw_status open_manifest(const char *rel, unsigned char **doc, size_t *doclen, char *err,
                               size_t errsz)
{
	size_t len;
	unsigned char *data = slurp(rel, &len);
	assert_non_null(client);
	struct wc_opener o = {NULL, client, err, errsz, false};
	assert_int_equal(client->engine->thread_ctx(client, 0, &o.ctx), CW_OK);
	cw_status st = client->engine->open_manifest(&o, data, len, "app1", doc, doclen);
	free(data);
	return st;
}

/* app1's manifest: good, for app1, not expired, listing exactly the committed objects. */
static void test_manifest(void **state)
{
	(void)state;
	unsigned char *doc = NULL;
	size_t doclen = 0;
	char err[768] = "", why[768] = "";
	cw_status st = open_manifest("manifests/app1", &doc, &doclen, err, sizeof err);
	if (st != CW_OK)
		fail_msg("manifests/app1: %s (%s)", cw_strerror(st), err);
	snprintf(client->client_name, sizeof client->client_name, "app1");
	struct wc_manifest m;
	st = wc_manifest_parse(client, (const char *)doc, doclen, &m, why, sizeof why);
	free(doc);
	if (st != CW_OK)
		fail_msg("manifests/app1 parsed: %s (%s)", cw_strerror(st), why);
	bool ok = m.n == NOBJ && m.expires - m.signed_at == 3153600000LL;
	for (size_t i = 0; ok && i < NOBJ; i++) {
		size_t len;
		char path[256], hex[65];
		snprintf(path, sizeof path, "%s/object.gpg", OBJS[i].dir);
		unsigned char *sealed = slurp(path, &len);
		sha256_hex(sealed, len, hex);
		free(sealed);
		const struct wc_mf_entry *e = wc_manifest_find(&m, OBJS[i].name);
		ok = e != NULL && e == &m.v[i] && e->version == 1 && e->size == len &&
		     strcmp(e->sha256, hex) == 0 && strcmp(e->sha256, OBJS[i].sealed_sha256) == 0;
		if (!ok)
			fprintf(stderr, "# manifest entry for %s differs\n", OBJS[i].name);
	}
	wc_manifest_clear(&m);
	assert_true(ok);
}

/* app2's manifest, validly signed, asked for as app1's: refused by its notation. */
static void test_manifest_other_client(void **state)
{
	(void)state;
	unsigned char *doc = NULL;
	size_t doclen = 0;
	char err[768] = "";
	cw_status st = open_manifest("negative/manifest-app2", &doc, &doclen, err, sizeof err);
	free(doc);
	if (st != CW_ERR_BADSIG || strstr(err, "manifest for another client") == NULL ||
	    strstr(err, "app2") == NULL)
		fail_msg("manifest-app2: %s (%s), expected a refusal naming app2", cw_strerror(st),
		         err);
	assert_null(doc);
}

/* app1's manifest with one byte flipped: a bad signature. */
static void test_manifest_flipped(void **state)
{
	(void)state;
	unsigned char *doc = NULL;
	size_t doclen = 0;
	char err[768] = "";
	cw_status st = open_manifest("negative/manifest-flipped", &doc, &doclen, err, sizeof err);
	free(doc);
	if (st != CW_ERR_BADSIG)
		fail_msg("manifest-flipped: %s (%s), expected %s", cw_strerror(st), err,
		         cw_strerror(CW_ERR_BADSIG));
	assert_null(doc);
}

int main(void)
{
	const char *root = getenv("CW_ROOT");
	snprintf(vdir, sizeof vdir, "%s/spec/vectors/v2", root && root[0] ? root : ".");

	const struct CMUnitTest file_tests[] = {
	    cmocka_unit_test(test_pinned_files),
	};
	enum { NT = 2 * NOBJ + 3 };
	static char names[2][NT][96];
	struct CMUnitTest tests[2][NT];
	for (int e = 0; e < 2; e++) {
		const char *en = e == 0 ? "rnp" : "gnupg";
		size_t k = 0;
		for (size_t i = 0; i < NOBJ; i++) {
			snprintf(names[e][k], sizeof names[e][k],
			         "%s: open %s (detached signature)", en, OBJS[i].name);
			tests[e][k] = (struct CMUnitTest){names[e][k], test_open_detached, NULL,
			                                  NULL, (void *)(uintptr_t)&OBJS[i]};
			k++;
			snprintf(names[e][k], sizeof names[e][k], "%s: open %s (prechecked)", en,
			         OBJS[i].name);
			tests[e][k] = (struct CMUnitTest){names[e][k], test_open_prechecked, NULL,
			                                  NULL, (void *)(uintptr_t)&OBJS[i]};
			k++;
		}
		snprintf(names[e][k], sizeof names[e][k], "%s: manifest of app1", en);
		tests[e][k] = (struct CMUnitTest){names[e][k], test_manifest, NULL, NULL, NULL};
		k++;
		snprintf(names[e][k], sizeof names[e][k], "%s: manifest of app2 refused", en);
		tests[e][k] =
		    (struct CMUnitTest){names[e][k], test_manifest_other_client, NULL, NULL, NULL};
		k++;
		snprintf(names[e][k], sizeof names[e][k], "%s: flipped manifest refused", en);
		tests[e][k] =
		    (struct CMUnitTest){names[e][k], test_manifest_flipped, NULL, NULL, NULL};
		k++;
		assert_int_equal(k, NT);
	}
	int failed = cmocka_run_group_tests_name("vectors_v2_files", file_tests, NULL, NULL);
	failed +=
	    cmocka_run_group_tests_name("vectors_v2_rnp", tests[0], setup_rnp, teardown_client);
	failed +=
	    cmocka_run_group_tests_name("vectors_v2_gnupg", tests[1], setup_gnupg, teardown_client);
	return failed != 0;
}
