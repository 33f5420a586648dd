/* wallet-keygen's argument values (keygen/args.c): --days, --key, --algo, --clients, and the
 * names and addresses that go into certificates (CN, DNS names, IP addresses). */
#include <arpa/inet.h>

#include "args.h"
#include "fuzz.h"

static void check_clients(const char *s)
{
	size_t bufsz = strlen(s) + 1, n = 0;
	char *buf = malloc(bufsz), err[512];
	const char *names[KG_CLIENTS_MAX];
	FUZZ_CHECK(buf != NULL);
	if (kg_parse_clients(s, buf, bufsz, names, &n, err, sizeof err) == CW_OK) {
		FUZZ_CHECK(n >= 1 && n <= KG_CLIENTS_MAX);
		for (size_t i = 0; i < n; i++) {
			FUZZ_CHECK(cw_client_name_valid(names[i], strlen(names[i])));
			for (size_t j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(names[i], names[j]) != 0);
		}
	}
	/* one byte too few for the copy */
	FUZZ_CHECK(kg_parse_clients(s, buf, bufsz - 1, names, &n, err, sizeof err) != CW_OK);
	free(buf);
}

static void check_ip(const char *s)
{
	unsigned char ip[16];
	size_t iplen = 0;
	if (!kg_ip_parse(s, ip, &iplen))
		return;
	char text[INET6_ADDRSTRLEN];
	FUZZ_CHECK(iplen == 4 || iplen == 16);
	FUZZ_CHECK(inet_ntop(iplen == 4 ? AF_INET : AF_INET6, ip, text, sizeof text) != NULL);
	FUZZ_CHECK(!kg_dns_name_valid(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), err[512];
	unsigned days = 0;
	kg_keytype kt;
	kg_gpgalgo algo;
	if (kg_parse_days(s, &days, err, sizeof err) == CW_OK)
		FUZZ_CHECK(days >= 1 && days <= KG_DAYS_MAX);
	if (kg_parse_keytype(s, &kt, err, sizeof err) == CW_OK)
		FUZZ_CHECK(strcmp(kg_keytype_name(kt), s) == 0);
	(void)kg_parse_gpgalgo(s, &algo, err, sizeof err);
	if (kg_dns_name_valid(s))
		FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= KG_DNS_MAX);
	if (kg_ca_cn_valid(s))
		FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= KG_CN_MAX);
	if (kg_server_cn_valid(s))
		FUZZ_CHECK(strlen(s) <= KG_CN_MAX);
	check_ip(s);
	check_clients(s);
	free(s);
	return 0;
}
