/* wallet-entry's templates (client/entry/template.c): the parser on any text, then a
 * rendering of what it accepts against a small fake wallet. What a parse accepts names only
 * valid objects, at lines the text has; every error is one line that names the template and
 * never holds a secret's content; a failed rendering leaves nothing behind, a good one is a
 * C string within the size limit. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "name.h"
#include "template.h"

/* The fake wallet: names starting with 'j' are this JSON object, 'z' are missing, the rest
 * this text; every secret is version 2. The marker is what no message may contain. */
#define MARK "Xq7-secret-content"
static const char json_secret[] =
    "{\"a\":{\"b\":[\"" MARK "\",{\"c\":\"" MARK "\\u00e9\"}],\"n\":null,\"x.y\":1.5e3},"
    "\"k\":\"" MARK "\",\"d\":1,\"d\":2,\"t\":true}";
static const char text_secret[] = MARK " text";

static cw_status lookup(void *arg, const char *name, const unsigned char **data, size_t *len,
                        uint64_t *version)
{
	(void)arg;
	if (name[0] == 'z')
		return CW_ERR_NOTFOUND;
	if (name[0] == 'e')
		return CW_ERR_CRYPTO;
	const char *s = name[0] == 'j' ? json_secret : text_secret;
	*data = (const unsigned char *)s;
	*len = strlen(s);
	*version = 2;
	return CW_OK;
}

/* in: whether the template itself holds the marker (it may then be echoed, as template text) */
static void check_message(const char *err, bool in)
{
	FUZZ_CHECK(strncmp(err, "t:", 2) == 0);
	for (const char *c = err; *c; c++)
		FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
	FUZZ_CHECK(in || strstr(err, "Xq7") == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ent_template *t = NULL;
	char err[512] = "";
	size_t lines = 1;
	bool in = memmem(data, size, "Xq7", 3) != NULL;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	cw_status st = ent_template_parse("t", (const char *)data, size, &t, err, sizeof err);
	if (st != CW_OK) {
		FUZZ_CHECK(t == NULL);
		check_message(err, in);
		return 0;
	}
	for (size_t i = 0; i < ent_template_nuses(t); i++) {
		const struct ent_template_use *u = ent_template_use(t, i);
		FUZZ_CHECK(cw_name_valid(u->name, strlen(u->name)));
		FUZZ_CHECK(u->min_version <= CW_VERSION_MAX);
		FUZZ_CHECK(u->line >= 1 && u->line <= lines);
	}
	FUZZ_CHECK(ent_template_use(t, ent_template_nuses(t)) == NULL);
	cw_sbuf out = {0};
	err[0] = '\0';
	st = ent_template_render(t, lookup, NULL, &out, err, sizeof err);
	if (st == CW_OK) {
		FUZZ_CHECK(out.len <= ENT_TEMPLATE_OUT_MAX);
		FUZZ_CHECK(out.data != NULL && out.data[out.len] == '\0');
		/* rendering again gives the same bytes */
		cw_sbuf again = {0};
		FUZZ_CHECK(ent_template_render(t, lookup, NULL, &again, err, sizeof err) == CW_OK);
		FUZZ_CHECK(again.len == out.len && memcmp(again.data, out.data, out.len) == 0);
		cw_sbuf_free(&again);
	} else {
		FUZZ_CHECK(out.data == NULL && out.len == 0);
		check_message(err, in);
	}
	cw_sbuf_free(&out);
	ent_template_free(t);
	return 0;
}
