/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCP codec: MAP and ANNOUNCE request bytes as RFC 6887 lays them out, MAP and
 * ANNOUNCE responses, options, every malformed shape, the NAT-PMP-answer case, the
 * IPv4-mapped addresses, and the epoch rule of section 8.5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>

#include "proto/pcp.h"

static const uint8_t nonce[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static struct in6_addr v4mapped(const char *s)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct in6_addr a;

	inet_pton(AF_INET, s, &in.sin_addr);
	assert_int_equal(pcp_addr_from_sockaddr(&a, (struct sockaddr *)&in), 0);
	return a;
}

/* A MAP response from 203.0.113.11:51820 for 51820/udp, lifetime 120, epoch 7. */
static size_t map_response(uint8_t *b, uint8_t result)
{
	struct in6_addr ext = v4mapped("203.0.113.11");

	memset(b, 0, 60);
	b[0] = 2;
	b[1] = 0x81;
	b[3] = result;
	b[7] = 120;
	b[11] = 7;
	memcpy(b + 24, nonce, 12);
	b[36] = 17;
	b[40] = 0xca, b[41] = 0x6c; /* internal 51820 */
	b[42] = 0xca, b[43] = 0x6c; /* external 51820 */
	memcpy(b + 44, ext.s6_addr, 16);
	return 60;
}

static void test_addresses(void **state)
{
	struct in6_addr a = v4mapped("192.0.2.18"), any;
	union sm_addr ss;
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr un = { .sa_family = AF_UNIX };
	char s[INET6_ADDRSTRLEN];

	(void)state;
	assert_string_equal(inet_ntop(AF_INET6, &a, s, sizeof(s)), "::ffff:192.0.2.18");
	pcp_addr_to_sockaddr(&a, 51820, &ss);
	assert_int_equal(ss.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 51820);
	inet_pton(AF_INET6, "2001:db8:1::2", &in6.sin6_addr);
	assert_int_equal(pcp_addr_from_sockaddr(&a, (struct sockaddr *)&in6), 0);
	pcp_addr_to_sockaddr(&a, 1, &ss);
	assert_int_equal(ss.sa.sa_family, AF_INET6);
	assert_memory_equal(&((struct sockaddr_in6 *)&ss)->sin6_addr, &in6.sin6_addr, 16);
	assert_int_equal(pcp_addr_from_sockaddr(&a, &un), -EAFNOSUPPORT);
	pcp_addr_any_v4(&any);
	assert_string_equal(inet_ntop(AF_INET6, &any, s, sizeof(s)), "::ffff:0.0.0.0");
}

static void test_build_map(void **state)
{
	struct pcp_map_request r = { .protocol = 17, .internal_port = 51820,
				     .suggested_port = 51820, .lifetime = 7200 };
	uint8_t b[64];
	size_t len = 0;

	(void)state;
	memcpy(r.nonce, nonce, 12);
	r.client_addr = v4mapped("192.0.2.18");
	pcp_addr_any_v4(&r.suggested_addr);
	assert_int_equal(pcp_build_map(b, sizeof(b), &r, &len), 0);
	assert_int_equal(len, 60);
	/* header: version 2, R=0 opcode 1, reserved, lifetime, client address */
	assert_int_equal(b[0], 2);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2] | b[3], 0);
	assert_int_equal(b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7], 7200);
	assert_memory_equal(b + 8, r.client_addr.s6_addr, 16);
	/* payload: nonce, protocol, 3 reserved, internal port, suggested port and address */
	assert_memory_equal(b + 24, nonce, 12);
	assert_int_equal(b[36], 17);
	assert_int_equal(b[37] | b[38] | b[39], 0);
	assert_int_equal(b[40] << 8 | b[41], 51820);
	assert_int_equal(b[42] << 8 | b[43], 51820);
	assert_memory_equal(b + 44, r.suggested_addr.s6_addr, 16);

	assert_int_equal(pcp_build_map(b, 59, &r, &len), -ENOSPC);
	r.internal_port = 0;
	assert_int_equal(pcp_build_map(b, sizeof(b), &r, &len), -EINVAL);
	r.protocol = 0; /* all protocols, all ports: allowed */
	assert_int_equal(pcp_build_map(b, sizeof(b), &r, &len), 0);
}

static void test_build_announce(void **state)
{
	struct in6_addr c = v4mapped("192.0.2.18");
	uint8_t b[24];
	size_t len = 0;

	(void)state;
	assert_int_equal(pcp_build_announce(b, sizeof(b), &c, &len), 0);
	assert_int_equal(len, 24);
	assert_int_equal(b[0], 2);
	assert_int_equal(b[1], 0);
	assert_int_equal(b[4] | b[5] | b[6] | b[7], 0);
	assert_memory_equal(b + 8, c.s6_addr, 16);
	assert_int_equal(pcp_build_announce(b, 23, &c, &len), -ENOSPC);
}

static void test_parse_map(void **state)
{
	uint8_t b[84];
	size_t n = map_response(b, 0);
	struct pcp_response r;
	struct errbuf e = { "" };
	union sm_addr ss;
	char s[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(pcp_parse_response(b, n, &r, &e), 0);
	assert_int_equal(r.opcode, PCP_OP_MAP);
	assert_int_equal(r.result, PCP_SUCCESS);
	assert_int_equal(r.lifetime, 120);
	assert_int_equal(r.epoch, 7);
	assert_memory_equal(r.nonce, nonce, 12);
	assert_int_equal(r.protocol, 17);
	assert_int_equal(r.internal_port, 51820);
	assert_int_equal(r.external_port, 51820);
	pcp_addr_to_sockaddr(&r.external_addr, r.external_port, &ss);
	assert_string_equal(inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, s, sizeof(s)),
			    "203.0.113.11");
	assert_int_equal(r.options, 0);
	/* Every shorter length is refused (too short or not a multiple of 4). */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(pcp_parse_response(b, k, &r, &e), -EBADMSG);

	/* An option (PREFER_FAILURE, no data) and a THIRD_PARTY option are walked. */
	b[60] = 2, b[61] = 0, b[62] = 0, b[63] = 0;
	b[64] = 1, b[65] = 0, b[66] = 0, b[67] = 16;
	memset(b + 68, 0, 16);
	assert_int_equal(pcp_parse_response(b, 84, &r, &e), 0);
	assert_int_equal(r.options, 2);
	assert_int_equal(pcp_parse_response(b, 80, &r, &e), -EBADMSG); /* overruns */
	b[67] = 12;
	assert_int_equal(pcp_parse_response(b, 80, &r, &e), 0);
	assert_int_equal(r.options, 2);
	assert_int_equal(pcp_parse_response(b, 64 + 0, &r, &e), 0);
	assert_int_equal(r.options, 1);
}

static void test_parse_errors(void **state)
{
	uint8_t b[80];
	size_t n;
	struct pcp_response r;
	struct errbuf e = { "" };

	(void)state;
	/* A refusal with its payload is readable, nonce and all. */
	n = map_response(b, PCP_NOT_AUTHORIZED);
	assert_int_equal(pcp_parse_response(b, n, &r, &e), 0);
	assert_int_equal(r.result, PCP_NOT_AUTHORIZED);
	assert_memory_equal(r.nonce, nonce, 12);
	assert_string_equal(pcp_result_str(r.result), "not authorized");
	assert_string_equal(pcp_result_str(200), "unknown result code");
	/* ... and without: only the header. A success without payload is not. */
	assert_int_equal(pcp_parse_response(b, 24, &r, &e), 0);
	assert_int_equal(r.result, PCP_NOT_AUTHORIZED);
	assert_int_equal(r.external_port, 0);
	map_response(b, 0);
	assert_int_equal(pcp_parse_response(b, 24, &r, &e), -EBADMSG);
	/* A request, another version, too long. */
	map_response(b, 0);
	b[1] = 0x01;
	assert_int_equal(pcp_parse_response(b, 60, &r, &e), -EBADMSG);
	map_response(b, 0);
	b[0] = 1;
	assert_int_equal(pcp_parse_response(b, 60, &r, &e), -EBADMSG);
	{
		static uint8_t big[1104];

		map_response(big, 0);
		assert_int_equal(pcp_parse_response(big, sizeof(big), &r, &e), -EBADMSG);
	}
	/* A NAT-PMP gateway's UNSUPP_VERSION answer to our PCP request. */
	{
		static const uint8_t natpmp[8] = { 0, 0x81, 0, 1, 0, 0, 0, 5 };

		assert_int_equal(pcp_parse_response(natpmp, 8, &r, &e), -EPROTONOSUPPORT);
	}
	/* A PEER success (we never ask one) is refused; its error is readable. */
	map_response(b, 0);
	b[1] = 0x82;
	assert_int_equal(pcp_parse_response(b, 60, &r, &e), -EBADMSG);
	b[3] = PCP_UNSUPP_OPCODE;
	assert_int_equal(pcp_parse_response(b, 24, &r, &e), 0);
	assert_int_equal(r.opcode, PCP_OP_PEER);
}

static void test_announce(void **state)
{
	uint8_t b[24] = { 2, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3 };
	struct pcp_response r;
	struct errbuf e = { "" };

	(void)state;
	assert_int_equal(pcp_parse_response(b, 24, &r, &e), 0);
	assert_int_equal(r.opcode, PCP_OP_ANNOUNCE);
	assert_int_equal(r.epoch, 3);
}

static void test_out_untouched(void **state)
{
	uint8_t b[60];
	struct pcp_response r;

	(void)state;
	map_response(b, 0);
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(pcp_parse_response(b, 56, &r, NULL), -EBADMSG);
	assert_int_equal(((uint8_t *)&r)[0], 0xa5);
}

static void test_epoch(void **state)
{
	(void)state;
	assert_false(pcp_epoch_lost(1000, 5000, 1100, 5100));
	/* 1/16 plus 2 s of drift either way */
	assert_false(pcp_epoch_lost(1000, 5000, 1000 + 1600 - 100 - 2, 5000 + 1600));
	assert_true(pcp_epoch_lost(1000, 5000, 1000 + 1600 - 100 - 3, 5000 + 1600));
	assert_false(pcp_epoch_lost(1000, 5000, 1000 + 1600, 5000 + 1600 - 100 - 2));
	assert_true(pcp_epoch_lost(1000, 5000, 1000 + 1600, 5000 + 1600 - 100 - 4));
	/* restart */
	assert_true(pcp_epoch_lost(1000, 5000, 2, 5005));
	assert_false(pcp_epoch_lost(1000, 5000, 999, 5000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),     cmocka_unit_test(test_build_map),
		cmocka_unit_test(test_build_announce), cmocka_unit_test(test_parse_map),
		cmocka_unit_test(test_parse_errors),  cmocka_unit_test(test_announce),
		cmocka_unit_test(test_out_untouched), cmocka_unit_test(test_epoch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
