/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SHA-1 against the RFC 3174 section 7.3 test vectors, plus the empty message and
 * input fed in awkward pieces (block boundaries are where implementations break). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/sha1.h"
#include "lib/util.h"

static void check(const char *msg, size_t repeat, const char *want)
{
	struct sha1_ctx c;
	uint8_t d[SHA1_DIGEST_LEN];
	char hex[2 * SHA1_DIGEST_LEN + 1];

	sha1_init(&c);
	for (size_t i = 0; i < repeat; i++)
		sha1_update(&c, (const uint8_t *)msg, strlen(msg));
	sha1_final(&c, d);
	hex_encode(hex, d, sizeof(d));
	assert_string_equal(hex, want);
}

static void test_rfc3174(void **state)
{
	(void)state;
	check("abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	      "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	check("a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	check("0123456701234567012345670123456701234567012345670123456701234567", 10,
	      "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

static void test_empty(void **state)
{
	(void)state;
	check("", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

static void test_pieces(void **state)
{
	uint8_t buf[300], one[SHA1_DIGEST_LEN], split[SHA1_DIGEST_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	/* Lengths around the 55/56/64-byte padding edges. */
	for (size_t len = 50; len < sizeof(buf); len += 3) {
		struct sha1_ctx c;

		sha1(buf, len, one);
		sha1_init(&c);
		for (size_t off = 0; off < len;) {
			size_t n = (off % 5) + 1;

			if (n > len - off)
				n = len - off;
			sha1_update(&c, buf + off, n);
			off += n;
		}
		sha1_final(&c, split);
		assert_memory_equal(one, split, SHA1_DIGEST_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3174),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
