/* The serve configuration (wallet/server/config.c): the input is the JSON config file, read
 * through serve_config_load from a memfd (by its /proc/self/fd path), then completed by
 * serve_config_finish as `wallet serve` does. The same bytes, split at the first '=', are a
 * flag's KEY=VALUE for serve_config_set. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static int memfd = -1;
static char path[64];

static void write_file(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz_serve_config", MFD_CLOEXEC);
		FUZZ_CHECK(memfd >= 0);
		snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	}
	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	for (size_t off = 0; off < size;) {
		ssize_t w = pwrite(memfd, data + off, size - off, (off_t)off);
		FUZZ_CHECK(w > 0);
		off += (size_t)w;
	}
}

static void check_config(const struct serve_config *cfg)
{
	FUZZ_CHECK(cfg->listen != NULL && cfg->data != NULL && cfg->tls_cert != NULL &&
	           cfg->tls_key != NULL && cfg->tls_ca != NULL);
	FUZZ_CHECK(cfg->threads >= 1 && cfg->threads <= 512);
	FUZZ_CHECK(cfg->health_listen == NULL || strchr(cfg->health_listen, ':') != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct serve_config cfg = {0};
	write_file(data, size);
	if (serve_config_load(&cfg, path, err, sizeof err) == CW_OK &&
	    serve_config_finish(&cfg, "/var/lib/wallet", err, sizeof err) == CW_OK)
		check_config(&cfg);
	serve_config_free(&cfg);

	char *s = fuzz_cstr(data, size);
	char *eq = strchr(s, '=');
	if (eq != NULL) {
		*eq = '\0';
		struct serve_config flags = {0};
		(void)serve_config_set(&flags, s, eq + 1, err, sizeof err);
		serve_config_free(&flags);
	}
	free(s);
	return 0;
}
