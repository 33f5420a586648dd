/* wallet-entry's JSON reader (client/entry/json.c), as templates read a secret. What it
 * accepts cJSON accepts too (cJSON 1.7.15 reads at most 63 characters of a number: longer ones
 * are left out of that comparison), and a refusal points inside the input; the compact form of
 * an accepted value is accepted and compacts to itself; every member of an accepted object is
 * found under its decoded name; decoded strings are UTF-8, the same into a caller's buffer as
 * into a cw_sbuf. */
#include <cJSON.h>

#include "fuzz.h"
#include "json.h"

static bool utf8_valid(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		size_t k = c < 0x80                 ? 1
		           : c >= 0xC2 && c <= 0xDF ? 2
		           : c >= 0xE0 && c <= 0xEF ? 3
		           : c >= 0xF0 && c <= 0xF4 ? 4
		                                    : 0;
		if (k == 0 || n - i < k)
			return false;
		for (size_t j = 1; j < k; j++)
			if ((p[i + j] & 0xC0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

static bool long_number(const uint8_t *data, size_t size)
{
	size_t run = 0;
	for (size_t i = 0; i < size; i++) {
		run = strchr("0123456789+-.eE", data[i]) != NULL && data[i] != '\0' ? run + 1 : 0;
		if (run > 60)
			return true;
	}
	return false;
}

/* Every member or element of v, to the bottom. */
static void walk(const struct ent_json *v, unsigned depth)
{
	struct ent_json k, item, found;
	size_t pos = 0, i = 0;
	FUZZ_CHECK(depth <= ENT_JSON_MAX_DEPTH);
	while (ent_json_next(v, &pos, &k, &item)) {
		if (v->type == ENT_JSON_OBJECT) {
			cw_sbuf name = {0};
			FUZZ_CHECK(k.type == ENT_JSON_STRING);
			FUZZ_CHECK(ent_json_append(&k, &name) == CW_OK);
			FUZZ_CHECK(utf8_valid(name.data, name.len));
			FUZZ_CHECK(ent_json_string_equals(&k, (const char *)name.data, name.len));
			char *buf = malloc(k.len); /* exactly what ent_json_string asks for */
			FUZZ_CHECK(buf != NULL);
			FUZZ_CHECK(ent_json_string(&k, buf) == name.len && buf[name.len] == '\0');
			FUZZ_CHECK(name.len == 0 || memcmp(buf, name.data, name.len) == 0);
			free(buf);
			cw_status st =
			    ent_json_member(v, (const char *)name.data, name.len, &found);
			FUZZ_CHECK(st == CW_OK || st == CW_ERR_EXISTS);
			cw_sbuf_free(&name);
		} else {
			FUZZ_CHECK(ent_json_element(v, i, &found) == CW_OK);
			FUZZ_CHECK(found.p == item.p && found.len == item.len);
		}
		i++;
		walk(&item, depth + 1);
	}
	if (v->type == ENT_JSON_ARRAY)
		FUZZ_CHECK(ent_json_element(v, i, &found) == CW_ERR_NOTFOUND);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ent_json v, v2;
	size_t at = SIZE_MAX;
	if (!ent_json_parse(data, size, &v, &at)) {
		FUZZ_CHECK(at <= size);
		return 0;
	}
	FUZZ_CHECK(v.p >= data && v.p + v.len <= data + size);
	if (!long_number(data, size)) {
		cJSON *j = cJSON_ParseWithLength((const char *)data, size);
		FUZZ_CHECK(j != NULL);
		cJSON_Delete(j);
	}
	cw_sbuf c1 = {0}, c2 = {0};
	FUZZ_CHECK(ent_json_append(&v, &c1) == CW_OK);
	FUZZ_CHECK(c1.len <= v.len);
	if (v.type == ENT_JSON_STRING) {
		FUZZ_CHECK(utf8_valid(c1.data, c1.len));
	} else {
		FUZZ_CHECK(ent_json_parse(c1.data, c1.len, &v2, NULL) && v2.type == v.type);
		FUZZ_CHECK(ent_json_append(&v2, &c2) == CW_OK);
		FUZZ_CHECK(c2.len == c1.len && memcmp(c1.data, c2.data, c1.len) == 0);
	}
	walk(&v, 0);
	cw_sbuf_free(&c1);
	cw_sbuf_free(&c2);
	return 0;
}
