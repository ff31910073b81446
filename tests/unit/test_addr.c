/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one address module: every form the program reads (records, WireGuard's UAPI,
 * STUN server specs) and the one text form it writes, both ways. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/addr.h"

static int parse(const char *s, int family, unsigned flags, union sm_addr *a)
{
	struct errbuf e = { "" };
	int r = addr_parse(s, strlen(s), family, flags, a, &e);

	if (r)
		assert_true(e.msg[0] != '\0'); /* every refusal says why */
	return r;
}

static void round_trip(const char *s, int family, unsigned flags)
{
	union sm_addr a;
	char buf[ADDR_STR_LEN];

	if (parse(s, family, flags, &a))
		fail_msg("'%s' refused", s);
	addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, s);
}

static void test_parse_forms(void **state)
{
	(void)state;
	round_trip("203.0.113.7:51820", AF_INET, 0);
	round_trip("203.0.113.7:51820", AF_UNSPEC, 0);
	round_trip("[2001:db8::7]:51820", AF_INET6, 0);
	round_trip("[2001:db8::7]:1", AF_UNSPEC, 0);
	round_trip("[fe80::1%3]:51820", AF_UNSPEC, ADDR_ZONE);
	round_trip("192.0.2.1:0", AF_UNSPEC, ADDR_PORT0);
	round_trip("198.51.100.2:65535", AF_INET, 0);
}

static void test_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"", ":", "192.0.2.1", "192.0.2.1:", "192.0.2.1:65536", "192.0.2.1:1x", "host:1",
		"wg.example.com:51820", "2001:db8::1:5", "[2001:db8::1]", "[2001:db8::1]5", "[]:1",
		"[192.0.2.1]:1", "192.0.2.1:+1", "192.0.2.1:-1", "192.0.2.1: 1", " 192.0.2.1:1",
		"192.0.2.1:0", "010.0.0.1:1", "1.2.3:4", "[2001:db8::1%3]:1", "[fe80::1%eth0]:1",
		"[2001:db8::1]:123456", "192.0.2.1:000000000000000000001",
	};
	union sm_addr a, before;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&a, 0x5a, sizeof(a));
		before = a;
		if (parse(bad[i], AF_UNSPEC, 0, &a) != -EINVAL)
			fail_msg("'%s' parsed", bad[i]);
		/* out-parameters are written on success only */
		assert_memory_equal(&a, &before, sizeof(a));
	}
	/* the family is enforced */
	assert_int_equal(parse("203.0.113.7:51820", AF_INET6, 0, &a), -EINVAL);
	assert_int_equal(parse("[2001:db8::7]:51820", AF_INET, 0, &a), -EINVAL);
	/* a NUL inside the text is not its end */
	assert_int_equal(addr_parse("192.0.2.1\0:1", 12, AF_UNSPEC, 0, &a, NULL), -EINVAL);
	assert_int_equal(addr_parse("192.0.2.1:1\0", 12, AF_UNSPEC, 0, &a, NULL), -EINVAL);
	/* only the first n bytes are read */
	assert_int_equal(addr_parse("192.0.2.1:51820", 11, AF_UNSPEC, 0, &a, NULL), 0);
	assert_int_equal(addr_port(&a), 5);
}

static void test_no_port(void **state)
{
	union sm_addr a;

	(void)state;
	assert_int_equal(parse("192.0.2.9", AF_UNSPEC, ADDR_NO_PORT, &a), 0);
	assert_int_equal(a.sa.sa_family, AF_INET);
	assert_int_equal(addr_port(&a), 0);
	assert_int_equal(parse("2001:db8::9", AF_UNSPEC, ADDR_NO_PORT, &a), 0);
	assert_int_equal(a.sa.sa_family, AF_INET6);
	assert_int_equal(parse("[2001:db8::9]", AF_INET6, ADDR_NO_PORT, &a), 0);
	assert_int_equal(parse("192.0.2.9:1", AF_UNSPEC, ADDR_NO_PORT, &a), -EINVAL);
	assert_int_equal(parse("[2001:db8::9]:1", AF_UNSPEC, ADDR_NO_PORT, &a), -EINVAL);
	assert_int_equal(parse("stun.example.com", AF_UNSPEC, ADDR_NO_PORT, &a), -EINVAL);
}

static void test_equal(void **state)
{
	union sm_addr a, b, none1, none2;

	(void)state;
	assert_int_equal(parse("203.0.113.7:51820", AF_INET, 0, &a), 0);
	assert_int_equal(parse("203.0.113.7:51821", AF_INET, 0, &b), 0);
	assert_false(addr_equal(&a, &b));
	assert_true(addr_same_host(&a, &b));
	addr_set_port(&b, 51820);
	assert_true(addr_equal(&a, &b));
	assert_int_equal(parse("[2001:db8::7]:51820", AF_INET6, 0, &b), 0);
	assert_false(addr_equal(&a, &b));
	assert_false(addr_same_host(&a, &b));
	/* the scope is not part of equality */
	assert_int_equal(parse("[2001:db8::7%4]:51820", AF_INET6, ADDR_ZONE, &a), 0);
	assert_true(addr_equal(&a, &b));
	addr_clear(&none1);
	memset(&none2, 0x77, sizeof(none2));
	addr_clear(&none2);
	assert_true(addr_equal(&none1, &none2));
	assert_false(addr_equal(&none1, &a));
	assert_false(addr_is_set(&none1));
	assert_true(addr_is_set(&a));
}

static void test_sockaddr(void **state)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(7) };
	struct sockaddr_un_like {
		sa_family_t family;
		char path[20];
	} un = { .family = AF_UNIX };
	union sm_addr a;
	char buf[ADDR_STR_LEN];

	(void)state;
	in.sin_addr.s_addr = htonl(0xc0000201); /* 192.0.2.1 */
	assert_int_equal(addr_from_sockaddr(&a, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "192.0.2.1:7");
	assert_int_equal(addr_len(&a), sizeof(struct sockaddr_in));
	assert_int_equal(addr_from_sockaddr(&a, (struct sockaddr *)&in, sizeof(in) - 1),
			 -EAFNOSUPPORT);
	assert_int_equal(addr_from_sockaddr(&a, (struct sockaddr *)&un, sizeof(un)), -EAFNOSUPPORT);
	addr_clear(&a);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "(none)");
	assert_int_equal(addr_len(&a), 0);
}

static void test_split_hostport(void **state)
{
	char h[64];
	uint16_t port = 0;
	struct errbuf e = { "" };

	(void)state;
	assert_int_equal(addr_split_hostport("stun.example.com:19302", 22, h, sizeof(h), &port, &e), 0);
	assert_string_equal(h, "stun.example.com");
	assert_int_equal(port, 19302);
	assert_int_equal(addr_split_hostport("[2001:db8::1]:3478", 18, h, sizeof(h), &port, &e), 0);
	assert_string_equal(h, "2001:db8::1");
	assert_int_equal(addr_split_hostport("[2001:db8::1]", 13, h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("2001:db8::1:3478", 16, h, sizeof(h), &port, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "[address]:port"));
	assert_int_equal(addr_split_hostport(":3478", 5, h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("a:0", 3, h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("a:65536", 7, h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("a:-1", 4, h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("a", 1, h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("a\0b:1", 5, h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("abcdef:1", 8, h, 4, &port, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),    cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_no_port),	       cmocka_unit_test(test_equal),
		cmocka_unit_test(test_sockaddr),       cmocka_unit_test(test_split_hostport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
