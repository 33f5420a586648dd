/* wallet-entry's --fetch argument, NAME[@MINVERSION][=DEST] (client/entry/dest.c): what it
 * accepts must be a valid name or group with a valid destination, and the variable name
 * derived from the name must fit the buffer it is given or be refused. The same bytes as a
 * signal (--stop-signal, --on-change signal:SIG; client/entry/run.c): one in range or none. */
#include <signal.h>

#include "dest.h"
#include "fuzz.h"
#include "run.h"

static bool var_chars(const char *v)
{
	return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg = fuzz_cstr(data, size);
	char err[512], var[CW_NAME_MAX + 16];
	struct ent_spec spec;
	if (ent_parse_spec(arg, &spec, err, sizeof err) == CW_OK) {
		size_t n = strlen(spec.name);
		FUZZ_CHECK(spec.group ? cw_group_valid(spec.name, n) : cw_name_valid(spec.name, n));
		FUZZ_CHECK(spec.min_version <= CW_VERSION_MAX);
		FUZZ_CHECK(spec.kind != ENT_FILE || spec.target[0] == '/');
		FUZZ_CHECK(strlen(spec.target) < sizeof spec.target);
		FUZZ_CHECK(ent_var_name(spec.name, "_FILE", var, sizeof var) && var_chars(var));
	}
	/* the derivation on any string, into a buffer of exactly the size it asks for */
	size_t need = strlen(arg) + sizeof "_FILE";
	char *out = malloc(need);
	FUZZ_CHECK(out != NULL);
	FUZZ_CHECK(ent_var_name(arg, "_FILE", out, need) && strlen(out) == need - 1);
	FUZZ_CHECK(!ent_var_name(arg, "_FILE", out, need - 1));
	free(out);
	int sig = 0;
	if (ent_signal_parse(arg, &sig))
		FUZZ_CHECK(sig >= 1 && sig <= SIGRTMAX);
	free(arg);
	return 0;
}
