/* wallet-entry's spec file (client/entry/specfile.c, over the JSON reader of json.c): what it
 * accepts is valid JSON and fits the option table (one entry per row, flags without values,
 * single values single, no empty value, paths absolute once taken from the file's directory,
 * a command with its program first); what it refuses gets one line naming the file. */
#include "fuzz.h"
#include "json.h"
#include "options.h"
#include "specfile.h"

#define FILE_NAME "/etc/w/spec.json"

static void check_accepted(const struct ent_specfile *f)
{
	bool *seen = calloc(ent_noptions, sizeof *seen);
	FUZZ_CHECK(seen != NULL);
	for (size_t i = 0; i < f->nkeys; i++) {
		const struct ent_specfile_key *k = &f->keys[i];
		FUZZ_CHECK(k->row < ent_noptions && !seen[k->row]);
		seen[k->row] = true;
		const struct ent_option *o = &ent_options[k->row];
		FUZZ_CHECK(!(o->flags & ENT_OPT_NOFILE));
		FUZZ_CHECK(o->arg != NULL || k->n == 0);
		FUZZ_CHECK(o->arg == NULL || o->repeatable || k->n == 1);
		for (size_t j = 0; j < k->n; j++) {
			FUZZ_CHECK(k->vals[j][0] != '\0');
			FUZZ_CHECK(!(o->flags & ENT_OPT_PATH) || k->vals[j][0] == '/');
		}
	}
	FUZZ_CHECK((f->command == NULL) == (f->ncommand == 0));
	if (f->command != NULL) {
		FUZZ_CHECK(f->command[0][0] != '\0');
		FUZZ_CHECK(f->command[f->ncommand] == NULL);
	}
	free(seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ent_specfile *f = NULL;
	struct ent_json root;
	char err[512];
	size_t at;
	/* the bytes as they are, embedded NULs included, in a buffer of exactly their size */
	char *text = malloc(size ? size : 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data, size);
	cw_status st = ent_specfile_parse(text, size, FILE_NAME, &f, err, sizeof err);
	if (st == CW_OK) {
		FUZZ_CHECK(ent_json_parse((const unsigned char *)text, size, &root, &at) &&
		           root.type == ENT_JSON_OBJECT);
		check_accepted(f);
		ent_specfile_free(f);
	} else {
		FUZZ_CHECK(st == CW_ERR_USAGE && f == NULL);
		FUZZ_CHECK(
		    strncmp(err, "spec file " FILE_NAME ": ", sizeof "spec file " FILE_NAME) == 0);
		FUZZ_CHECK(strchr(err, '\n') == NULL);
	}
	free(text);
	return 0;
}
