/* wallet-keygen: argument validation and the subjectAltName parser and encoder. */
#include <stdio.h>
#include <string.h>

#include "cmocka_common.h"
#include "../../keygen/args.h"
#include "../../keygen/san.h"

static char err[512];

static void test_days(void **state)
{
	unsigned d = 0;
	(void)state;
	assert_int_equal(kg_parse_days("1", &d, err, sizeof err), CW_OK);
	assert_int_equal(d, 1);
	assert_int_equal(kg_parse_days("825", &d, err, sizeof err), CW_OK);
	assert_int_equal(d, 825);
	assert_int_equal(kg_parse_days("36500", &d, err, sizeof err), CW_OK);
	assert_int_equal(d, 36500);
	const char *bad[] = {
	    "0",  "36501", "", "-1", "+5", " 5", "5 ", "0x10", "1e3", "12x", "99999999999999999999",
	    "3.5"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		d = 7;
		err[0] = '\0';
		assert_int_equal(kg_parse_days(bad[i], &d, err, sizeof err), CW_ERR_USAGE);
		assert_int_equal(d, 7);
		assert_non_null(strstr(err, "--days"));
		assert_null(strchr(err, '\n'));
	}
}

static void test_keytype(void **state)
{
	kg_keytype t;
	kg_gpgalgo a;
	(void)state;
	assert_int_equal(kg_parse_keytype("ec256", &t, err, sizeof err), CW_OK);
	assert_int_equal(t, KG_KEY_EC256);
	assert_int_equal(kg_parse_keytype("ec384", &t, err, sizeof err), CW_OK);
	assert_int_equal(t, KG_KEY_EC384);
	assert_int_equal(kg_parse_keytype("rsa3072", &t, err, sizeof err), CW_OK);
	assert_int_equal(t, KG_KEY_RSA3072);
	assert_int_equal(kg_parse_keytype("rsa4096", &t, err, sizeof err), CW_OK);
	assert_int_equal(t, KG_KEY_RSA4096);
	assert_string_equal(kg_keytype_name(KG_KEY_RSA3072), "rsa3072");
	assert_int_equal(kg_parse_keytype("rsa2048", &t, err, sizeof err), CW_ERR_USAGE);
	assert_int_equal(kg_parse_keytype("EC256", &t, err, sizeof err), CW_ERR_USAGE);
	assert_int_equal(kg_parse_keytype("", &t, err, sizeof err), CW_ERR_USAGE);
	assert_int_equal(kg_parse_gpgalgo("ed25519", &a, err, sizeof err), CW_OK);
	assert_int_equal(a, KG_GPG_ED25519);
	assert_int_equal(kg_parse_gpgalgo("rsa4096", &a, err, sizeof err), CW_OK);
	assert_int_equal(a, KG_GPG_RSA4096);
	assert_int_equal(kg_parse_gpgalgo("cv25519", &a, err, sizeof err), CW_ERR_USAGE);
}

static void test_dns_names(void **state)
{
	char long_label[80], long_name[300];
	(void)state;
	const char *good[] = {"localhost",       "wallet",       "a.example",
	                      "x-1.y-2.example", "A.B",          "a",
	                      "1a.example",      "example.123a", "xn--bcher-kva.example"};
	const char *bad[] = {"",      ".",    "a.",        ".a",  "a..b",      "-a",
	                     "a-",    "a.-b", "a_b",       "a b", "*.example", "1.2.3.4",
	                     "a.123", "a/b",  "ä.example", "a:b"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(kg_dns_name_valid(good[i]));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(kg_dns_name_valid(bad[i]));
	memset(long_label, 'a', 63);
	long_label[63] = '\0';
	assert_true(kg_dns_name_valid(long_label));
	long_label[63] = 'a';
	long_label[64] = '\0';
	assert_false(kg_dns_name_valid(long_label));
	/* 253 bytes pass, 254 do not */
	memset(long_name, 'a', sizeof long_name);
	for (size_t i = 50; i < 253; i += 51)
		long_name[i] = '.';
	long_name[253] = '\0';
	assert_true(kg_dns_name_valid(long_name));
	long_name[253] = 'b';
	long_name[254] = '\0';
	assert_false(kg_dns_name_valid(long_name));
}

static void test_cns(void **state)
{
	(void)state;
	assert_true(kg_ca_cn_valid("containerwallet CA"));
	assert_true(kg_ca_cn_valid("My-CA_1.0"));
	assert_false(kg_ca_cn_valid(""));
	assert_false(kg_ca_cn_valid(" lead"));
	assert_false(kg_ca_cn_valid("trail "));
	assert_false(kg_ca_cn_valid("CN=x,O=y"));
	assert_false(kg_ca_cn_valid("a\nb"));
	assert_false(
	    kg_ca_cn_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_true(kg_server_cn_valid("wallet"));
	assert_true(kg_server_cn_valid("wallet.internal"));
	assert_true(kg_server_cn_valid("127.0.0.1"));
	assert_true(kg_server_cn_valid("::1"));
	assert_false(kg_server_cn_valid("wallet server"));
	assert_false(kg_server_cn_valid("300.1.1.1"));
	assert_false(kg_server_cn_valid(""));
}

static void test_clients(void **state)
{
	char buf[256];
	const char *names[KG_CLIENTS_MAX];
	size_t n = 0;
	(void)state;
	assert_int_equal(kg_parse_clients("app1", buf, sizeof buf, names, &n, err, sizeof err),
	                 CW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "app1");
	assert_int_equal(
	    kg_parse_clients("app1,db.x,web_2", buf, sizeof buf, names, &n, err, sizeof err),
	    CW_OK);
	assert_int_equal(n, 3);
	assert_string_equal(names[2], "web_2");
	const char *bad[] = {"",    ",",  "app1,", ",app1", "app1,,app2", "app1,app1",
	                     "a/b", "..", ".",     "app 1", "app1;rm"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(
		    kg_parse_clients(bad[i], buf, sizeof buf, names, &n, err, sizeof err),
		    CW_ERR_USAGE);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(kg_parse_clients("app1,app2", buf, 5, names, &n, err, sizeof err),
	                 CW_ERR_USAGE);
}

static void test_san_parse(void **state)
{
	kg_san_list l;
	char s[256];
	(void)state;
	memset(&l, 0, sizeof l);
	assert_int_equal(
	    kg_san_parse(&l, "DNS:wallet.example,IP:10.1.2.3,ip:::1,dns:Other", err, sizeof err),
	    CW_OK);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.e[0].type, KG_SAN_DNS);
	assert_string_equal(l.e[0].dns, "wallet.example");
	assert_int_equal(l.e[1].type, KG_SAN_IP);
	assert_int_equal(l.e[1].iplen, 4);
	assert_memory_equal(l.e[1].ip, "\x0a\x01\x02\x03", 4);
	assert_int_equal(l.e[2].iplen, 16);
	/* duplicates (DNS case-insensitively, IP by value) are dropped */
	assert_int_equal(kg_san_parse(&l, "DNS:OTHER,IP:0:0::1,IP:10.1.2.3", err, sizeof err),
	                 CW_OK);
	assert_int_equal(l.n, 4);
	assert_int_equal(kg_san_add_host(&l, "wallet", err, sizeof err), CW_OK);
	assert_int_equal(kg_san_add_host(&l, "192.168.1.1", err, sizeof err), CW_OK);
	assert_int_equal(l.e[5].type, KG_SAN_IP);
	kg_san_format(&l, s, sizeof s);
	assert_string_equal(s, "DNS:wallet.example, IP Address:10.1.2.3, IP Address:::1, "
	                       "DNS:Other, DNS:wallet, IP Address:192.168.1.1");

	const char *bad[] = {"",
	                     ",",
	                     "DNS:a,",
	                     ",DNS:a",
	                     "DNS:a,,DNS:b",
	                     "FOO:bar",
	                     "DNS:",
	                     "IP:",
	                     "IP:1.2.3",
	                     "IP:1.2.3.256",
	                     "IP:example",
	                     "DNS:a_b",
	                     "DNS:1.2.3.4",
	                     "localhost",
	                     "DNS :a",
	                     "URI:https://x",
	                     "email:a@b",
	                     "DNS:a b"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&l, 0, sizeof l);
		err[0] = '\0';
		assert_int_equal(kg_san_parse(&l, bad[i], err, sizeof err), CW_ERR_USAGE);
		assert_non_null(strstr(err, "--san"));
		assert_null(strchr(err, '\n'));
	}
	/* at most KG_SAN_MAX entries */
	memset(&l, 0, sizeof l);
	for (int i = 0; i < KG_SAN_MAX; i++) {
		snprintf(s, sizeof s, "DNS:h%d", i);
		assert_int_equal(kg_san_parse(&l, s, err, sizeof err), CW_OK);
	}
	assert_int_equal(kg_san_parse(&l, "DNS:one-more", err, sizeof err), CW_ERR_USAGE);
}

static void test_san_defaults_and_der(void **state)
{
	kg_san_list l;
	unsigned char buf[256];
	const unsigned char *der;
	size_t len;
	/* SEQUENCE { [2] "localhost", [7] 7f000001 } */
	static const unsigned char want[] = {0x30, 0x11, 0x82, 0x09, 'l', 'o', 'c',
	                                     'a',  'l',  'h',  'o',  's', 't', 0x87,
	                                     0x04, 0x7f, 0x00, 0x00, 0x01};
	(void)state;
	memset(&l, 0, sizeof l);
	assert_int_equal(kg_san_der(&l, buf, sizeof buf, &der, &len), CW_ERR_USAGE);
	assert_int_equal(kg_san_add_defaults(&l, err, sizeof err), CW_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(kg_san_der(&l, buf, sizeof buf, &der, &len), CW_OK);
	assert_int_equal(len, sizeof want);
	assert_memory_equal(der, want, sizeof want);
	assert_int_equal(kg_san_der(&l, buf, 10, &der, &len), CW_ERR_TOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_days),
	    cmocka_unit_test(test_keytype),
	    cmocka_unit_test(test_dns_names),
	    cmocka_unit_test(test_cns),
	    cmocka_unit_test(test_clients),
	    cmocka_unit_test(test_san_parse),
	    cmocka_unit_test(test_san_defaults_and_der),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
