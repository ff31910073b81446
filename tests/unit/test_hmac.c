/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMAC-SHA1 against the seven RFC 2202 section 3 test cases (short and long keys, long
 * data, truncation-free), and the incremental form against the one-shot one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hmac.h"
#include "lib/util.h"

static void check(const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
		  const char *want)
{
	uint8_t d[SHA1_DIGEST_LEN];
	char hex[2 * SHA1_DIGEST_LEN + 1];

	hmac_sha1(key, klen, data, dlen, d);
	hex_encode(hex, d, sizeof(d));
	assert_string_equal(hex, want);
}

static void test_rfc2202(void **state)
{
	uint8_t key[80], data[50];

	(void)state;
	memset(key, 0x0b, 20);
	check(key, 20, (const uint8_t *)"Hi There", 8, "b617318655057264e28bc0b6fb378c8ef146be00");
	check((const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want for nothing?", 28,
	      "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	check(key, 20, data, 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
	for (int i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	check(key, 25, data, 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da");
	memset(key, 0x0c, 20);
	check(key, 20, (const uint8_t *)"Test With Truncation", 20,
	      "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04");
	/* Keys longer than the 64-byte block are hashed first. */
	memset(key, 0xaa, 80);
	check(key, 80, (const uint8_t *)"Test Using Larger Than Block-Size Key - Hash Key First",
	      54, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
	check(key, 80,
	      (const uint8_t *)"Test Using Larger Than Block-Size Key and Larger Than One "
			       "Block-Size Data",
	      73, "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
}

static void test_incremental(void **state)
{
	static const uint8_t key[] = "a key of some length";
	uint8_t buf[200], one[SHA1_DIGEST_LEN], split[SHA1_DIGEST_LEN];
	struct hmac_sha1_ctx c;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i ^ 0x5a);
	hmac_sha1(key, sizeof(key) - 1, buf, sizeof(buf), one);
	hmac_sha1_init(&c, key, sizeof(key) - 1);
	hmac_sha1_update(&c, buf, 20);
	hmac_sha1_update(&c, buf + 20, 0);
	hmac_sha1_update(&c, buf + 20, 111);
	hmac_sha1_update(&c, buf + 131, sizeof(buf) - 131);
	hmac_sha1_final(&c, split);
	assert_memory_equal(one, split, SHA1_DIGEST_LEN);
	/* The empty key is a key of 64 zero bytes, not an error. */
	check(NULL, 0, (const uint8_t *)"", 0, "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2202),
		cmocka_unit_test(test_incremental),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
