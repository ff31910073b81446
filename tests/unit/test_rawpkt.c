/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rawsock's pure parts: the classic BPF program is run through a small interpreter of
 * classic BPF semantics (as the kernel runs it: loads past the end reject the packet),
 * over IPv4 packets with and without options, IPv6 UDP segments, wrong ports, wrong
 * cookies and truncations; the packet parser; the UDP checksum. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <string.h>

#include "proto/rawpkt.h"
#include "proto/stun.h"

static uint32_t bpf_run(const struct rawpkt_insn *prog, size_t n, const uint8_t *p,
			size_t len)
{
	uint32_t a = 0, x = 0;

	for (size_t pc = 0; pc < n; pc++) {
		const struct rawpkt_insn *i = &prog[pc];
		uint32_t k = i->k, off = 0;
		size_t sz;

		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			sz = BPF_SIZE(i->code) == BPF_W ? 4 : BPF_SIZE(i->code) == BPF_H ? 2 : 1;
			if (BPF_MODE(i->code) == BPF_ABS)
				off = k;
			else if (BPF_MODE(i->code) == BPF_IND)
				off = x + k;
			else
				fail_msg("unexpected LD mode 0x%x", i->code);
			if (off > len || len - off < sz)
				return 0;
			a = 0;
			for (size_t j = 0; j < sz; j++)
				a = a << 8 | p[off + j];
			break;
		case BPF_LDX:
			assert_int_equal(i->code, BPF_LDX | BPF_B | BPF_MSH);
			if (k >= len)
				return 0;
			x = 4u * (p[k] & 0xf);
			break;
		case BPF_JMP:
			assert_int_equal(i->code, BPF_JMP | BPF_JEQ | BPF_K);
			pc += (a == k) ? i->jt : i->jf;
			assert_true(pc < n);
			break;
		case BPF_RET:
			assert_int_equal(i->code, BPF_RET | BPF_K);
			return k;
		default:
			fail_msg("unexpected opcode 0x%x", i->code);
		}
	}
	fail_msg("program fell off its end");
	return 0;
}

/* Builds IPv4 (with ihl_words*4 header bytes) + UDP + STUN request-like payload. */
static size_t make_v4(uint8_t *b, unsigned ihl_words, uint16_t dport, uint32_t cookie)
{
	size_t h = ihl_words * 4u, n;

	memset(b, 0, 128);
	b[0] = (uint8_t)(0x40 | ihl_words);
	b[9] = IPPROTO_UDP;
	for (size_t i = 20; i < h; i++)
		b[i] = 1; /* NOP options */
	b[h + 0] = 0x0d; /* sport 3478 */
	b[h + 1] = 0x96;
	b[h + 2] = (uint8_t)(dport >> 8);
	b[h + 3] = (uint8_t)dport;
	b[h + 4] = 0;
	b[h + 5] = 28;
	b[h + 8] = 0x01;
	b[h + 9] = 0x01;
	b[h + 12] = (uint8_t)(cookie >> 24);
	b[h + 13] = (uint8_t)(cookie >> 16);
	b[h + 14] = (uint8_t)(cookie >> 8);
	b[h + 15] = (uint8_t)cookie;
	n = h + 28;
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	return n;
}

static void test_filter_v4(void **state)
{
	struct rawpkt_insn prog[RAWPKT_FILTER_MAX];
	uint8_t b[128];
	size_t n, len;

	(void)state;
	n = rawpkt_filter(AF_INET, 51820, prog);
	assert_true(n <= RAWPKT_FILTER_MAX);
	/* The header length is read, not assumed (BPF_LDX|BPF_B|BPF_MSH on byte 0). */
	assert_int_equal(prog[0].code, BPF_LDX | BPF_B | BPF_MSH);
	assert_int_equal(prog[0].k, 0);

	for (unsigned ihl = 5; ihl <= 15; ihl++) {
		len = make_v4(b, ihl, 51820, STUN_MAGIC_COOKIE);
		assert_int_not_equal(bpf_run(prog, n, b, len), 0);
		/* Every truncation short of the cookie is dropped. */
		for (size_t t = 0; t < ihl * 4u + 12; t++)
			assert_int_equal(bpf_run(prog, n, b, t), 0);
		len = make_v4(b, ihl, 51821, STUN_MAGIC_COOKIE);
		assert_int_equal(bpf_run(prog, n, b, len), 0);
		len = make_v4(b, ihl, 51820, 0x2112a443);
		assert_int_equal(bpf_run(prog, n, b, len), 0);
	}
	/* A 20-byte-header filter would have matched this 24-byte-header packet wrongly:
	 * port 51820 sits where such a filter looks, but the real port is elsewhere. */
	len = make_v4(b, 6, 1234, STUN_MAGIC_COOKIE);
	b[22] = 51820 >> 8;
	b[23] = 51820 & 0xff;
	assert_int_equal(bpf_run(prog, n, b, len), 0);
	/* WireGuard data to the same port (type 4 message, no cookie) is dropped. */
	len = make_v4(b, 5, 51820, 0x04000000);
	assert_int_equal(bpf_run(prog, n, b, len), 0);
}

static void test_filter_v6(void **state)
{
	struct rawpkt_insn prog[RAWPKT_FILTER_MAX];
	uint8_t b[28] = { 0x0d, 0x96, 0xca, 0x6c, 0x00, 0x1c, 0, 0, 0x01, 0x01, 0, 0,
			  0x21, 0x12, 0xa4, 0x42 };
	size_t n;

	(void)state;
	n = rawpkt_filter(AF_INET6, 51820, prog);
	assert_int_not_equal(bpf_run(prog, n, b, sizeof(b)), 0);
	for (size_t t = 0; t < 16; t++)
		assert_int_equal(bpf_run(prog, n, b, t), 0);
	b[3] ^= 1;
	assert_int_equal(bpf_run(prog, n, b, sizeof(b)), 0);
	b[3] ^= 1;
	b[15] ^= 1;
	assert_int_equal(bpf_run(prog, n, b, sizeof(b)), 0);
}

static void test_parse(void **state)
{
	uint8_t b[128];
	size_t len, off = 99, plen = 99;
	uint16_t sport = 0;

	(void)state;
	len = make_v4(b, 7, 51820, STUN_MAGIC_COOKIE);
	assert_int_equal(rawpkt_parse(AF_INET, b, len, 51820, &off, &plen, &sport), 0);
	assert_int_equal(off, 28 + 8);
	assert_int_equal(plen, 20);
	assert_int_equal(sport, 3478);
	/* Ethernet padding after the UDP datagram is not payload. */
	assert_int_equal(rawpkt_parse(AF_INET, b, len + 6, 51820, &off, &plen, &sport), 0);
	assert_int_equal(plen, 20);
	/* UDP length longer than the packet. */
	b[28 + 5] = 29;
	assert_int_equal(rawpkt_parse(AF_INET, b, len, 51820, &off, &plen, &sport), -EBADMSG);
	b[28 + 5] = 7;
	assert_int_equal(rawpkt_parse(AF_INET, b, len, 51820, &off, &plen, &sport), -EBADMSG);
	b[28 + 5] = 28;
	/* Wrong port, not UDP, not IPv4, fragment, IHL too small, truncated. */
	assert_int_equal(rawpkt_parse(AF_INET, b, len, 51821, &off, &plen, &sport), -EBADMSG);
	b[9] = IPPROTO_TCP;
	assert_int_equal(rawpkt_parse(AF_INET, b, len, 51820, &off, &plen, &sport), -EBADMSG);
	b[9] = IPPROTO_UDP;
	b[0] = 0x67;
	assert_int_equal(rawpkt_parse(AF_INET, b, len, 51820, &off, &plen, &sport), -EBADMSG);
	b[0] = 0x44;
	assert_int_equal(rawpkt_parse(AF_INET, b, len, 51820, &off, &plen, &sport), -EBADMSG);
	b[0] = 0x47;
	b[7] = 1;
	assert_int_equal(rawpkt_parse(AF_INET, b, len, 51820, &off, &plen, &sport), -EBADMSG);
	b[7] = 0;
	for (size_t t = 0; t < 36; t++)
		assert_int_equal(rawpkt_parse(AF_INET, b, t, 51820, &off, &plen, &sport),
				 -EBADMSG);

	/* IPv6: starts at the UDP header. */
	memset(b, 0, sizeof(b));
	b[0] = 0x0d;
	b[1] = 0x96;
	b[2] = 0xca;
	b[3] = 0x6c;
	b[5] = 28;
	assert_int_equal(rawpkt_parse(AF_INET6, b, 28, 51820, &off, &plen, &sport), 0);
	assert_int_equal(off, 8);
	assert_int_equal(plen, 20);
	assert_int_equal(rawpkt_parse(AF_INET6, b, 27, 51820, &off, &plen, &sport), -EBADMSG);
	assert_int_equal(rawpkt_parse(AF_INET6, b, 7, 51820, &off, &plen, &sport), -EBADMSG);
}

/* A correct checksum makes the one's-complement sum of pseudo-header and datagram
 * (checksum included) all ones: check that, independently of how it was computed. */
static uint16_t verify_sum(int family, const void *s, const void *d, const uint8_t *u,
			   size_t len)
{
	size_t al = family == AF_INET ? 4 : 16;
	const uint8_t *ps = s, *pd = d;
	uint32_t sum = IPPROTO_UDP + (uint32_t)len;

	for (size_t i = 0; i < al; i += 2)
		sum += (uint32_t)(ps[i] << 8 | ps[i + 1]) + (uint32_t)(pd[i] << 8 | pd[i + 1]);
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)(u[i] << 8 | (i + 1 < len ? u[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_checksum(void **state)
{
	struct in_addr s4, d4;
	struct in6_addr s6, d6;
	uint8_t u[29] = { 0xca, 0x6c, 0x0d, 0x96, 0x00, 29, 0, 0, 0x00, 0x01, 0x00, 0x00,
			  0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x7f };
	uint16_t c;

	(void)state;
	inet_pton(AF_INET, "192.0.2.10", &s4);
	inet_pton(AF_INET, "203.0.113.5", &d4);
	inet_pton(AF_INET6, "2001:db8::10", &s6);
	inet_pton(AF_INET6, "2001:db8:1::5", &d6);
	/* Odd length exercises the padding byte. */
	c = udp_checksum(AF_INET, &s4, &d4, u, sizeof(u));
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	assert_int_equal(verify_sum(AF_INET, &s4, &d4, u, sizeof(u)), 0xffff);
	u[5] = 28;
	u[6] = u[7] = 0;
	c = udp_checksum(AF_INET6, &s6, &d6, u, 28);
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	assert_int_equal(verify_sum(AF_INET6, &s6, &d6, u, 28), 0xffff);
	/* A known value, worked by hand: header 0001 0002 0008 0000, 10.0.0.1 -> 10.0.0.2:
	 * pseudo 0a00+0001+0a00+0002+0011+0008 = 0x141c, header 0001+0002+0008+0000 =
	 * 0x000b, sum 0x1427, complement 0xebd8. */
	{
		uint8_t h[8] = { 0, 1, 0, 2, 0, 8, 0, 0 };
		uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };

		assert_int_equal(udp_checksum(AF_INET, a, b, h, 8), 0xebd8);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_v4),
		cmocka_unit_test(test_filter_v6),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
