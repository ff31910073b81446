/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MD5 against the RFC 1321 appendix A.5 test suite, input fed in awkward pieces, and
 * the TURN long-term key of RFC 5769 2.4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/md5.h"
#include "lib/util.h"

static void check(const char *msg, const char *want)
{
	uint8_t d[MD5_DIGEST_LEN];
	char hex[2 * MD5_DIGEST_LEN + 1];

	md5((const uint8_t *)msg, strlen(msg), d);
	hex_encode(hex, d, sizeof(d));
	assert_string_equal(hex, want);
}

static void test_rfc1321(void **state)
{
	(void)state;
	check("", "d41d8cd98f00b204e9800998ecf8427e");
	check("a", "0cc175b9c0f1b6a831c399e269772661");
	check("abc", "900150983cd24fb0d6963f7d28e17f72");
	check("message digest", "f96b697d7cb7938d525a2f31aaf161d0");
	check("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
	check("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	      "d174ab98d277d9f5a5611c2c9f419d9f");
	check("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
	      "57edf4a22be3c955ac49da2e2107b67a");
}

static void test_pieces(void **state)
{
	uint8_t buf[300], one[MD5_DIGEST_LEN], split[MD5_DIGEST_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	/* Lengths around the 56- and 64-byte padding boundaries, in uneven pieces. */
	for (size_t n = 50; n < sizeof(buf); n += 3) {
		struct md5_ctx c;

		md5(buf, n, one);
		md5_init(&c);
		for (size_t off = 0; off < n;) {
			size_t k = (off % 5) + 1;

			if (k > n - off)
				k = n - off;
			md5_update(&c, buf + off, k);
			off += k;
		}
		md5_final(&c, split);
		assert_memory_equal(one, split, MD5_DIGEST_LEN);
	}
}

static void test_turn_key(void **state)
{
	/* RFC 5769 2.4: username "マトリックス" (UTF-8), realm "example.org", password
	 * "TheMatrIX" (SASLprep'd from "The<U+00AD>M<U+00AA>tr<U+2168>"). */
	static const char input[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82"
				    "\xaf\xe3\x82\xb9:example.org:TheMatrIX";
	uint8_t d[MD5_DIGEST_LEN];
	char hex[2 * MD5_DIGEST_LEN + 1];

	(void)state;
	md5((const uint8_t *)input, strlen(input), d);
	hex_encode(hex, d, sizeof(d));
	/* Computed independently (Python's hashlib); test_turn checks that the RFC's
	 * MESSAGE-INTEGRITY verifies with this key. */
	assert_string_equal(hex, "e8ca7ad59d5eb0518e312911d2dab2a9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1321),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_turn_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
