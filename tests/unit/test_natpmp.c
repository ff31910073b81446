/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NAT-PMP codec: request bytes as RFC 6886 lays them out, responses of each kind, the
 * ways a response can be wrong, the PCP-answer case, and the epoch rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>

#include "proto/natpmp.h"

static void test_requests(void **state)
{
	uint8_t b[16];
	size_t len = 0;
	static const uint8_t map[12] = { 0, 1, 0, 0, 0xca, 0x6c, 0xca, 0x6c, 0, 0, 0x0e, 0x10 };
	static const uint8_t del[12] = { 0, 1, 0, 0, 0xca, 0x6c, 0, 0, 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(natpmp_build_public_address(b, sizeof(b), &len), 0);
	assert_int_equal(len, 2);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 0);
	assert_int_equal(natpmp_build_public_address(b, 1, &len), -ENOSPC);

	/* natpmpc -a 51820 51820 udp 3600 */
	assert_int_equal(natpmp_build_map(b, sizeof(b), NATPMP_OP_MAP_UDP, 51820, 51820, 3600, &len), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(b, map, 12);
	/* delete: external port 0 and lifetime 0 */
	assert_int_equal(natpmp_build_map(b, sizeof(b), NATPMP_OP_MAP_UDP, 51820, 0, 0, &len), 0);
	assert_memory_equal(b, del, 12);
	assert_int_equal(natpmp_build_map(b, sizeof(b), NATPMP_OP_MAP_TCP, 22, 22, 60, &len), 0);
	assert_int_equal(b[1], 2);
	assert_int_equal(natpmp_build_map(b, sizeof(b), 3, 22, 22, 60, &len), -EINVAL);
	assert_int_equal(natpmp_build_map(b, sizeof(b), NATPMP_OP_MAP_UDP, 0, 22, 60, &len), -EINVAL);
	assert_int_equal(natpmp_build_map(b, 11, NATPMP_OP_MAP_UDP, 22, 22, 60, &len), -ENOSPC);
}

static void test_public_address(void **state)
{
	static const uint8_t resp[12] = { 0, 0x80, 0, 0, 0, 0, 0x03, 0xe5, 203, 0, 113, 11 };
	struct natpmp_response r;
	struct errbuf e = { "" };
	char s[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(natpmp_parse_response(resp, sizeof(resp), &r, &e), 0);
	assert_int_equal(r.op, NATPMP_OP_PUBLIC_ADDRESS);
	assert_int_equal(r.result, NATPMP_SUCCESS);
	assert_int_equal(r.epoch, 997);
	assert_string_equal(inet_ntop(AF_INET, &r.public_addr, s, sizeof(s)), "203.0.113.11");
	/* Every shorter prefix is refused. */
	for (size_t n = 0; n < sizeof(resp); n++)
		assert_int_equal(natpmp_parse_response(resp, n, &r, &e), -EBADMSG);
}

static void test_map(void **state)
{
	static const uint8_t resp[16] = { 0, 0x81, 0, 0, 0, 0, 0, 9, 0xca, 0x6c, 0xca, 0x6d,
					  0, 0, 0x0e, 0x10 };
	uint8_t b[20];
	struct natpmp_response r;
	struct errbuf e = { "" };

	(void)state;
	assert_int_equal(natpmp_parse_response(resp, sizeof(resp), &r, &e), 0);
	assert_int_equal(r.op, NATPMP_OP_MAP_UDP);
	assert_int_equal(r.epoch, 9);
	assert_int_equal(r.internal_port, 51820);
	assert_int_equal(r.external_port, 51821);
	assert_int_equal(r.lifetime, 3600);
	for (size_t n = 0; n < sizeof(resp); n++)
		assert_int_equal(natpmp_parse_response(resp, n, &r, &e), -EBADMSG);
	/* Padding after the fields is accepted. */
	memcpy(b, resp, 16);
	memset(b + 16, 0, 4);
	assert_int_equal(natpmp_parse_response(b, 20, &r, &e), 0);
	assert_int_equal(r.external_port, 51821);
	/* TCP */
	b[1] = 0x82;
	assert_int_equal(natpmp_parse_response(b, 16, &r, &e), 0);
	assert_int_equal(r.op, NATPMP_OP_MAP_TCP);
}

static void test_errors(void **state)
{
	/* A refusal is 8 bytes of header: well-formed, with its result code. */
	static const uint8_t refused[8] = { 0, 0x81, 0, 2, 0, 0, 0, 50 };
	uint8_t b[16];
	struct natpmp_response r;
	struct errbuf e = { "" };

	(void)state;
	assert_int_equal(natpmp_parse_response(refused, sizeof(refused), &r, &e), 0);
	assert_int_equal(r.result, NATPMP_NOT_AUTHORIZED);
	assert_int_equal(r.epoch, 50);
	assert_int_equal(r.external_port, 0);
	assert_non_null(strstr(natpmp_result_str(r.result), "not authorized"));
	assert_string_equal(natpmp_result_str(99), "unknown result code");

	/* A request (R bit clear), an unknown opcode, another version. */
	memcpy(b, refused, 8);
	b[1] = 0x01;
	assert_int_equal(natpmp_parse_response(b, 8, &r, &e), -EBADMSG);
	memset(b, 0, sizeof(b));
	b[1] = 0x85;
	assert_int_equal(natpmp_parse_response(b, 16, &r, &e), -EBADMSG);
	b[0] = 1;
	b[1] = 0x80;
	assert_int_equal(natpmp_parse_response(b, 16, &r, &e), -EBADMSG);
	/* A PCP answer (version 2) says the gateway speaks PCP. */
	b[0] = 2;
	assert_int_equal(natpmp_parse_response(b, 16, &r, &e), -EPROTONOSUPPORT);
	/* An unknown opcode's refusal is still readable (UNSUPP_OPCODE comes that way). */
	memset(b, 0, sizeof(b));
	b[1] = 0x85;
	b[3] = NATPMP_UNSUPP_OPCODE;
	assert_int_equal(natpmp_parse_response(b, 8, &r, &e), 0);
	assert_int_equal(r.op, 5);
	assert_int_equal(r.result, NATPMP_UNSUPP_OPCODE);
}

static void test_out_untouched(void **state)
{
	static const uint8_t shortmap[12] = { 0, 0x81, 0, 0, 0, 0, 0, 9, 0xca, 0x6c, 0xca, 0x6d };
	struct natpmp_response r;

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(natpmp_parse_response(shortmap, sizeof(shortmap), &r, NULL), -EBADMSG);
	assert_int_equal(((uint8_t *)&r)[0], 0xa5);
}

static void test_epoch(void **state)
{
	(void)state;
	/* Steady: 100 s on both clocks. */
	assert_false(natpmp_epoch_lost(1000, 5000, 1100, 5100));
	/* The gateway's clock 1/8 slow plus 2 s is still fine, a little more is not. */
	assert_false(natpmp_epoch_lost(1000, 5000, 1000 + 800 * 7 / 8 - 2, 5800));
	assert_true(natpmp_epoch_lost(1000, 5000, 1000 + 800 * 7 / 8 - 3, 5800));
	/* A reboot: the epoch starts again. */
	assert_true(natpmp_epoch_lost(1000, 5000, 3, 5010));
	/* One second backwards is reordering, not a reboot. */
	assert_false(natpmp_epoch_lost(1000, 5000, 999, 5000));
	/* Our clock not moving (two answers in the same second) is fine. */
	assert_false(natpmp_epoch_lost(1000, 5000, 1000, 5000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),   cmocka_unit_test(test_public_address),
		cmocka_unit_test(test_map),	   cmocka_unit_test(test_errors),
		cmocka_unit_test(test_out_untouched), cmocka_unit_test(test_epoch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
