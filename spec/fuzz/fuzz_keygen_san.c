/* wallet-keygen's subjectAltName lists (keygen/san.c): --san "DNS:a,IP:b,..." and --cn, then
 * the DER encoding and the text form of what was accepted, into buffers of exactly the size
 * given so that AddressSanitizer sees any write past them. */
#include "fuzz.h"
#include "san.h"

static void check_der(const kg_san_list *l)
{
	unsigned char big[16384];
	const unsigned char *der = NULL;
	size_t derlen = 0;
	if (kg_san_der(l, big, sizeof big, &der, &derlen) != CW_OK) {
		FUZZ_CHECK(l->n == 0);
		return;
	}
	FUZZ_CHECK(der >= big && der + derlen == big + sizeof big && derlen >= 2);
	/* every smaller buffer must be refused, never overrun */
	for (size_t sz = derlen > 8 ? derlen - 8 : 0; sz < derlen; sz++) {
		unsigned char *small = malloc(sz ? sz : 1);
		FUZZ_CHECK(small != NULL);
		FUZZ_CHECK(kg_san_der(l, small, sz, &der, &derlen) == CW_ERR_TOOBIG);
		free(small);
	}
}

static void check_format(const kg_san_list *l)
{
	size_t sizes[] = {1, 2, 7, 16, 64, 4096};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char *out = malloc(sizes[i]);
		FUZZ_CHECK(out != NULL);
		kg_san_format(l, out, sizes[i]);
		FUZZ_CHECK(strlen(out) < sizes[i]);
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), err[512];
	kg_san_list *l = calloc(1, sizeof *l);
	FUZZ_CHECK(l != NULL);
	if (kg_san_parse(l, s, err, sizeof err) == CW_OK)
		FUZZ_CHECK(l->n >= 1 && l->n <= KG_SAN_MAX);
	FUZZ_CHECK(l->n <= KG_SAN_MAX);
	(void)kg_san_add_host(l, s, err, sizeof err);
	FUZZ_CHECK(l->n <= KG_SAN_MAX);
	check_der(l);
	check_format(l);
	free(l);
	free(s);
	return 0;
}
