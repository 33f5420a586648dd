/* The JSON reader (client/entry/json.c) and env-json (client/entry/dest.c) on a secret's
 * bytes: a checked document can be walked to its leaves, every string decodes into a buffer
 * of its text's size, and env-json accepts only an object whose fields are scalars, each
 * becoming one variable named PREFIX + the field upper-cased. */
#include "dest.h"
#include "fuzz.h"
#include "json.h"

/* Walks every container below v; each value lies inside its parent. */
static void walk(const struct ent_json *v, int depth)
{
	FUZZ_CHECK(depth <= ENT_JSON_MAX_DEPTH);
	if (v->type == ENT_JSON_STRING) {
		char *buf = malloc(v->len); /* exactly what ent_json_string asks for */
		FUZZ_CHECK(buf != NULL);
		size_t n = ent_json_string(v, buf);
		FUZZ_CHECK(n + 2 <= v->len && buf[n] == '\0');
		free(buf);
	}
	if (v->type != ENT_JSON_OBJECT && v->type != ENT_JSON_ARRAY)
		return;
	struct ent_json key, child;
	size_t pos = 0;
	while (ent_json_next(v, &pos, &key, &child)) {
		FUZZ_CHECK(child.p > v->p && child.p + child.len < v->p + v->len);
		if (v->type == ENT_JSON_OBJECT) {
			FUZZ_CHECK(key.type == ENT_JSON_STRING);
			walk(&key, depth + 1);
		}
		walk(&child, depth + 1);
	}
}

static bool var_chars(const char *v)
{
	return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ent_json root;
	struct ent_slots sl = {0};
	struct ent_spec spec;
	char err[1024];
	size_t at;
	/* a secret is NUL-terminated past its size (wallet_secret_data) */
	char *text = malloc(size + 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	bool valid = ent_json_parse((const unsigned char *)text, size, &root, &at);
	if (valid)
		walk(&root, 0);
	else
		FUZZ_CHECK(at <= size);
	FUZZ_CHECK(ent_parse_spec("db=env-json:P_", &spec, err, sizeof err) == CW_OK);
	cw_status st =
	    ent_spec_slots(&spec, "db", (const unsigned char *)text, size, &sl, err, sizeof err);
	if (st == CW_OK) {
		FUZZ_CHECK(valid && root.type == ENT_JSON_OBJECT);
		for (size_t i = 0; i < sl.n; i++) {
			FUZZ_CHECK(sl.v[i].kind == ENT_SLOT_VAR);
			FUZZ_CHECK(strncmp(sl.v[i].key, "P_", 2) == 0 && sl.v[i].key[2] != '\0');
			FUZZ_CHECK(var_chars(sl.v[i].key));
			FUZZ_CHECK(strncmp(sl.v[i].who, "db (field ", 10) == 0);
		}
		st = ent_slots_check(&sl, err, sizeof err);
		FUZZ_CHECK(st == CW_OK || st == CW_ERR_EXISTS);
	} else {
		FUZZ_CHECK(st == CW_ERR_USAGE && strncmp(err, "db: env-json: ", 14) == 0);
	}
	FUZZ_CHECK(strchr(err, '\n') == NULL || st == CW_OK);
	ent_slots_free(&sl);
	free(text);
	return 0;
}
