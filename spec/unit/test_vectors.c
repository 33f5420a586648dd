/* Known-answer vectors (spec/vectors, README.md there): sealed objects made once by the real
 * wallet and committed. Every case of vectors.txt is opened with both engines of
 * libwalletclient through wc_open_sealed, the function wallet_fetch calls on what the server
 * sent: a positive case must give exactly the committed plaintext and the signed version, a
 * negative one must be refused with exactly its status. The sha256 of every committed file is
 * pinned here, so that regenerating the vectors along with a format change fails too. */

/* keys/wallet.fpr: the pinned wallet key */
#define WALLET_FPR "768EBD650890695394D88CDD171FCF101943F0CE"
#include "vectors_fixture.h" /* after WALLET_FPR, which it uses */

/* One case of vectors.txt, in its order. plain and plain_sha256: NULL for a refusal. */
struct vec {
	const char *id;
	const char *dir; /* holds object.gpg and object.sig */
	const char *name;
	uint64_t served; /* X-Wallet-Version */
	uint64_t want;   /* ?version=, 0: latest */
	uint64_t min;    /* minimum version, 0: any */
	cw_status expect;
	const char *plain;
	const char *plain_sha256;
	const char *reason; /* for a refusal: what the error line names (the check that failed) */
};

#define SHA_TEXT "73fe04e5a7a16dbe16492a8773036db1646d87e22337b1c64aae0afab788b626"
#define SHA_ALL_BYTES "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880"
#define SHA_GROUP "57aedf9918c7df9665ba49b1a6deda99ddb1868cad7d08f1f9d269f866c213ba"
#define SHA_ROTATED_V3 "19096d1ee5ad4f3152d5b85e2fda2edf9f6b290098f0a5e8a023134f47d74628"
#define SHA_ROTATED_V1 "0f01b93d38c9f926f031472b20a577643e660d49b1bdf373c6f6d99f65842ed3"

static const struct vec VECS[] = {
    {"text", "objects/db_pass/v1", "db_pass", 1, 0, 0, CW_OK, "plain/db_pass", SHA_TEXT, NULL},
    {"text-exact", "objects/db_pass/v1", "db_pass", 1, 1, 0, CW_OK, "plain/db_pass", SHA_TEXT,
     NULL},
    {"all-bytes", "objects/all_bytes/v1", "all_bytes", 1, 0, 0, CW_OK, "plain/all_bytes",
     SHA_ALL_BYTES, NULL},
    {"group-member", "objects/app1@api_key/v1", "app1/api_key", 1, 0, 0, CW_OK,
     "plain/app1@api_key", SHA_GROUP, NULL},
    {"version-3", "objects/rotated/v3", "rotated", 3, 0, 3, CW_OK, "plain/rotated.v3",
     SHA_ROTATED_V3, NULL},
    {"version-1-exact", "objects/rotated/v1", "rotated", 1, 1, 0, CW_OK, "plain/rotated.v1",
     SHA_ROTATED_V1, NULL},
    {"tampered", "negative/tampered", "db_pass", 1, 0, 0, CW_ERR_BADSIG, NULL, NULL,
     "detached signature"},
    {"substituted", "objects/app1@api_key/v1", "db_pass", 1, 0, 0, CW_ERR_BINDING, NULL, NULL,
     "asked for db_pass, the wallet signed app1/api_key"},
    {"substituted-group", "objects/db_pass/v1", "app1/api_key", 1, 0, 0, CW_ERR_BINDING, NULL, NULL,
     "asked for app1/api_key, the wallet signed db_pass"},
    {"rolled-back", "objects/rotated/v1", "rotated", 1, 0, 3, CW_ERR_ROLLBACK, NULL, NULL,
     "version 1 is below the minimum 3"},
    {"rolled-back-exact", "objects/rotated/v1", "rotated", 1, 3, 0, CW_ERR_BINDING, NULL, NULL,
     "signed version 1 differs"},
    {"rolled-back-header", "objects/rotated/v1", "rotated", 3, 0, 3, CW_ERR_BINDING, NULL, NULL,
     "signed version 1 differs"},
    {"forged", "negative/forged", "db_pass", 1, 0, 0, CW_ERR_BADSIG, NULL, NULL,
     "detached signature"},
    {"inner-forged", "negative/inner-forged", "db_pass", 1, 0, 0, CW_ERR_BADSIG, NULL, NULL,
     "inner signature"},
};
#define NVEC (sizeof VECS / sizeof VECS[0])

/* The sha256 of every committed vector file. */
static const struct pin {
	const char *path;
	const char *sha256;
} PINS[] = {
    {"keys/client.pub.asc", "72be89d67d1a19fa0bcd4cd976f5f65b566238706d5ca68fc3d1f6e44aee3bec"},
    {"keys/client.sec.asc", "46b4cc68a0e50d5f79b4d408e31e85d39b2ff490297cc97853f720886fbb0b34"},
    {"keys/forger.pub.asc", "f7fd493ec14d607797f9c676f919cf919654d013b156388304de71d90fc0a7e5"},
    {"keys/wallet.fpr", "698d94fcb51b76c40f4dcf6be5dd3ee55723f2e2eb63f41b193106716642a328"},
    {"keys/wallet.pub.asc", "243c5958db59d9ca9394b9a45db15026d10e631550c98d8b8565548901846155"},
    {"negative/forged/object.gpg",
     "b65e099641b8f0682ec9ae560925b59b67812e37e23c724efe185195b4403880"},
    {"negative/forged/object.sig",
     "58ed893b5320fd17487578162c6458e7f1baceb8052b1d354a4967327547d3b3"},
    {"negative/inner-forged/object.gpg",
     "fba049207e74ed42e441365632d7eebe329524e6e5581bd276f497bb7860b95f"},
    {"negative/inner-forged/object.sig",
     "3e57217a92e1ea3845f6cd0db4b81187c21a5723a49d35419066b223e72a406b"},
    {"negative/tampered/object.gpg",
     "e39cd325f21df63015807334c0b2d928bf6d4fe4b0f49feab4bbaa058cd0dda9"},
    {"negative/tampered/object.sig",
     "62763c41d0c0a0de5245d32a1af87d1338ac703791f1cc8cf3ed993606f3557a"},
    {"objects/all_bytes/v1/meta.json",
     "2baddd2f7506af8b52b4fac69197d8911169adc87605cd0c6a292af44daa670f"},
    {"objects/all_bytes/v1/object.gpg",
     "441dea1a01c8b48db9bd6d8c69e25f4ccbd1fc9048e12b37c35e46dc72b7de8b"},
    {"objects/all_bytes/v1/object.sig",
     "21cf46aaf506449176a4ade51a43f9196cd74c76f23da73c28e6c9feacf22d0a"},
    {"objects/app1@api_key/v1/meta.json",
     "370e9974ed0f9a716c57bd914ef0259c3db3e21787537cd8a10bb598ba5cafa3"},
    {"objects/app1@api_key/v1/object.gpg",
     "d32039a9b7b4795dcd0ef36bd55e2c55c5b936a86b730f9288288bb472ad2a3e"},
    {"objects/app1@api_key/v1/object.sig",
     "4aaa8efcc17a781c1aba06a3c63eeed152e0edeaf092959fde482de4a644d026"},
    {"objects/db_pass/v1/meta.json",
     "351aca39ae750edaa00e4675f5aea17a1fe43c7051ca2b2979a6908a68b685f2"},
    {"objects/db_pass/v1/object.gpg",
     "b65e099641b8f0682ec9ae560925b59b67812e37e23c724efe185195b4403880"},
    {"objects/db_pass/v1/object.sig",
     "62763c41d0c0a0de5245d32a1af87d1338ac703791f1cc8cf3ed993606f3557a"},
    {"objects/rotated/v1/meta.json",
     "8e1867730a83b0719ba9f9d3a3d5b91f06346036d7842b27957ce50f002c42da"},
    {"objects/rotated/v1/object.gpg",
     "44acbc0e2f2df1fd90adbfa8a746d671f6cb37c7de4da468cf524936b60e934c"},
    {"objects/rotated/v1/object.sig",
     "b03080fcde76c1cd8c75c800978b431ce52255415e98c39e9830dc0cbdcd61a9"},
    {"objects/rotated/v3/meta.json",
     "3f6b7c4a6b6e2f84bdce5bba39e70eb46800db9a8ffde7cc09d40ac96817d165"},
    {"objects/rotated/v3/object.gpg",
     "b29ead1bff4feb8af4241b7e3527e2671d157b9fcc6cfca9fe69b0af8857a8cd"},
    {"objects/rotated/v3/object.sig",
     "f4b5797ca1018bf6795b11b00b2d1253ac12f3fba3490dfe76bc8749fae33247"},
    {"plain/all_bytes", SHA_ALL_BYTES},
    {"plain/app1@api_key", SHA_GROUP},
    {"plain/db_pass", SHA_TEXT},
    {"plain/rotated.v1", SHA_ROTATED_V1},
    {"plain/rotated.v3", SHA_ROTATED_V3},
};

static const char *status_word(cw_status st)
{
	switch (st) {
	case CW_OK:
		return "OK";
	case CW_ERR_BADSIG:
		return "BADSIG";
	case CW_ERR_BINDING:
		return "BINDING";
	case CW_ERR_ROLLBACK:
		return "ROLLBACK";
	default:
		return "?";
	}
}

/* Every committed file still has the bytes it was made with. */
static void test_pinned_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof PINS / sizeof PINS[0]; i++) {
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
}

/* vectors.txt is the table above, case by case. */
static void test_case_table(void **state)
{
	(void)state;
	size_t n, k = 0;
	char *txt = (char *)slurp("vectors.txt", &n);
	char *save = NULL;
	for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char id[64], dir[128], name[128], expect[32], plain[128];
		unsigned long long served, want, min;
		if (sscanf(line, "%63s %127s %127s %llu %llu %llu %31s %127s", id, dir, name,
		           &served, &want, &min, expect, plain) != 8)
			fail_msg("vectors.txt: malformed line '%s'", line);
		if (k >= NVEC)
			fail_msg("vectors.txt: case %s is not in the test's table", id);
		const struct vec *v = &VECS[k++];
		if (strcmp(id, v->id) != 0 || strcmp(dir, v->dir) != 0 ||
		    strcmp(name, v->name) != 0 || served != v->served || want != v->want ||
		    min != v->min || strcmp(expect, status_word(v->expect)) != 0 ||
		    strcmp(plain, v->plain ? v->plain : "-") != 0)
			fail_msg("vectors.txt: '%s' differs from the test's case %s", line, v->id);
	}
	free(txt);
	assert_int_equal(k, NVEC);
}

static void test_open(void **state)
{
	const struct vec *v = *state;
	size_t sealed_len, sig_len;
	char path[256], err[768] = "";
	snprintf(path, sizeof path, "%s/object.gpg", v->dir);
	unsigned char *sealed = slurp(path, &sealed_len);
	snprintf(path, sizeof path, "%s/object.sig", v->dir);
	unsigned char *sig = slurp(path, &sig_len);
	assert_non_null(client);
	struct wc_opener o = {NULL, client, err, sizeof err, false};
	assert_int_equal(client->engine->thread_ctx(client, 0, &o.ctx), CW_OK);
	/* the detached signature is checked: the vectors pin it, not a manifest */
	const struct wc_sealed in = {v->name,    v->served, v->want, v->min, sealed,
	                             sealed_len, sig,       sig_len, false};
	cw_sbuf plain = {0};
	uint64_t version = 0;
	cw_status st = wc_open_sealed(&o, &in, &plain, &version);
	free(sealed);
	free(sig);
	if (st != v->expect) {
		cw_sbuf_free(&plain);
		fail_msg("%s: %s (%s), expected %s", v->id, cw_strerror(st), err,
		         cw_strerror(v->expect));
	}
	if (v->expect != CW_OK) {
		/* refused: a reason, and nothing of the content left */
		if (strstr(err, v->reason) == NULL)
			fail_msg("%s: refused for another reason: %s", v->id, err);
		assert_null(plain.data);
		assert_int_equal(plain.len, 0);
		return;
	}
	size_t want_len;
	char hex[65];
	unsigned char *want = slurp(v->plain, &want_len);
	sha256_hex(plain.data, plain.len, hex);
	bool same = plain.len == want_len && memcmp(plain.data, want, want_len) == 0;
	bool nul = plain.data[plain.len] == '\0';
	bool all_bytes = true;
	if (strcmp(v->id, "all-bytes") == 0) {
		all_bytes = plain.len == 256;
		for (size_t i = 0; i < plain.len && all_bytes; i++)
			all_bytes = plain.data[i] == i;
	}
	cw_sbuf_free(&plain);
	free(want);
	assert_true(same);
	assert_string_equal(hex, v->plain_sha256);
	assert_true(nul);
	assert_true(all_bytes);
	assert_int_equal(version, v->served);
}

int main(void)
{
	const char *root = getenv("CW_ROOT");
	snprintf(vdir, sizeof vdir, "%s/spec/vectors", root && root[0] ? root : ".");

	const struct CMUnitTest file_tests[] = {
	    cmocka_unit_test(test_pinned_files),
	    cmocka_unit_test(test_case_table),
	};
	static char names[2][NVEC][96];
	struct CMUnitTest rnp_tests[NVEC], gnupg_tests[NVEC];
	for (size_t i = 0; i < NVEC; i++) {
		snprintf(names[0][i], sizeof names[0][i], "rnp: %s", VECS[i].id);
		snprintf(names[1][i], sizeof names[1][i], "gnupg: %s", VECS[i].id);
		rnp_tests[i] = (struct CMUnitTest){names[0][i], test_open, NULL, NULL,
		                                   (void *)(uintptr_t)&VECS[i]};
		gnupg_tests[i] = (struct CMUnitTest){names[1][i], test_open, NULL, NULL,
		                                     (void *)(uintptr_t)&VECS[i]};
	}
	int failed = cmocka_run_group_tests_name("vectors_files", file_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("vectors_rnp", rnp_tests, setup_rnp, teardown_client);
	failed +=
	    cmocka_run_group_tests_name("vectors_gnupg", gnupg_tests, setup_gnupg, teardown_client);
	return failed != 0;
}
