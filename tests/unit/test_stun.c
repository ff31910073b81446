/* SPDX-License-Identifier: GPL-2.0-or-later */
/* STUN codec: RFC 5769 vectors, our request bytes, and every way a response can be
 * wrong (truncated, padding, lengths, cookie, txid, FINGERPRINT, error responses). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>

#include "proto/stun.h"

static const uint8_t vec_txid[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				      0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };

/* RFC 5769 2.2, Sample IPv4 Response. */
static const uint8_t vec_v4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 2.3, Sample IPv6 Response. */
static const uint8_t vec_v6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* A message under construction in the tests. */
struct msg {
	uint8_t b[512];
	size_t len;
};

static void msg_init(struct msg *m, uint16_t type, const uint8_t txid[12])
{
	memset(m, 0, sizeof(*m));
	m->b[0] = (uint8_t)(type >> 8);
	m->b[1] = (uint8_t)type;
	m->b[4] = 0x21;
	m->b[5] = 0x12;
	m->b[6] = 0xa4;
	m->b[7] = 0x42;
	memcpy(m->b + 8, txid, 12);
	m->len = 20;
}

static void msg_fix_len(struct msg *m)
{
	m->b[2] = (uint8_t)((m->len - 20) >> 8);
	m->b[3] = (uint8_t)(m->len - 20);
}

static void msg_attr(struct msg *m, uint16_t type, const void *v, uint16_t vlen)
{
	m->b[m->len] = (uint8_t)(type >> 8);
	m->b[m->len + 1] = (uint8_t)type;
	m->b[m->len + 2] = (uint8_t)(vlen >> 8);
	m->b[m->len + 3] = (uint8_t)vlen;
	if (vlen)
		memcpy(m->b + m->len + 4, v, vlen);
	m->len += 4 + ((vlen + 3u) & ~3u);
	msg_fix_len(m);
}

static void msg_fingerprint(struct msg *m)
{
	uint32_t crc;
	uint8_t v[4];

	m->len += 8; /* the length field must already count the FINGERPRINT */
	msg_fix_len(m);
	m->len -= 8;
	crc = stun_crc32(m->b, m->len) ^ STUN_FINGERPRINT_XOR;
	v[0] = (uint8_t)(crc >> 24);
	v[1] = (uint8_t)(crc >> 16);
	v[2] = (uint8_t)(crc >> 8);
	v[3] = (uint8_t)crc;
	msg_attr(m, STUN_ATTR_FINGERPRINT, v, 4);
}

static const uint8_t v4_val[8] = { 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43 };
static const uint8_t plain_v4_val[8] = { 0x00, 0x01, 0xca, 0x6c, 203, 0, 113, 7 };

static int parse(const uint8_t *b, size_t len, struct stun_response *r, struct errbuf *e)
{
	return stun_parse_response(b, len, vec_txid, r, e);
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(stun_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
	assert_int_equal(stun_crc32(NULL, 0), 0);
}

static void test_request(void **state)
{
	uint8_t buf[64], t[12];
	size_t len = 0;
	static const uint8_t want[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
					  0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
					  0xfa, 0x87, 0xdf, 0xae };

	(void)state;
	assert_int_equal(stun_build_binding_request(buf, sizeof(buf), vec_txid, &len), 0);
	assert_int_equal(len, 20);
	assert_memory_equal(buf, want, 20);
	assert_int_equal(stun_build_binding_request(buf, 19, vec_txid, &len), -ENOSPC);

	/* Random ids: two draws differ (probability of a false failure 2^-96). */
	stun_new_txid(t);
	stun_new_txid(buf);
	assert_memory_not_equal(t, buf, 12);
}

static void test_rfc5769_v4(void **state)
{
	struct stun_response r;
	struct errbuf e = { "" };
	struct sockaddr_in *in = (struct sockaddr_in *)&r.mapped;
	char s[INET_ADDRSTRLEN];

	(void)state;
	/* The FINGERPRINT in the vector is the RFC's: this checks our CRC-32 too. */
	assert_int_equal(parse(vec_v4, sizeof(vec_v4), &r, &e), 0);
	assert_int_equal(in->sin_family, AF_INET);
	assert_string_equal(inet_ntop(AF_INET, &in->sin_addr, s, sizeof(s)), "192.0.2.1");
	assert_int_equal(ntohs(in->sin_port), 32853);
	assert_true(r.from_xor);
	assert_true(r.fingerprint);
	/* SOFTWARE is optional, MESSAGE-INTEGRITY is known: nothing unknown-required. */
	assert_int_equal(r.unknown_required, 0);
}

static void test_rfc5769_v6(void **state)
{
	struct stun_response r;
	struct errbuf e = { "" };
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&r.mapped;
	char s[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(parse(vec_v6, sizeof(vec_v6), &r, &e), 0);
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_string_equal(inet_ntop(AF_INET6, &in6->sin6_addr, s, sizeof(s)),
			    "2001:db8:1234:5678:11:2233:4455:6677");
	assert_int_equal(ntohs(in6->sin6_port), 32853);
	assert_true(r.fingerprint);
}

static void test_bad_fingerprint(void **state)
{
	uint8_t b[sizeof(vec_v4)];
	struct stun_response r;
	struct errbuf e = { "" };

	(void)state;
	memcpy(b, vec_v4, sizeof(b));
	b[sizeof(b) - 1] ^= 1;
	assert_int_equal(parse(b, sizeof(b), &r, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "FINGERPRINT"));
	/* A flipped bit in the body (here in SOFTWARE) is caught by the FINGERPRINT too. */
	memcpy(b, vec_v4, sizeof(b));
	b[25] ^= 0x20;
	assert_int_equal(parse(b, sizeof(b), &r, &e), -EBADMSG);
}

static void test_wrong_txid(void **state)
{
	struct stun_response r;
	struct errbuf e = { "" };
	uint8_t other[12];

	(void)state;
	memcpy(other, vec_txid, 12);
	other[11] ^= 0xff;
	assert_int_equal(stun_parse_response(vec_v4, sizeof(vec_v4), other, &r, &e), -ENOMSG);
}

static void test_wrong_cookie(void **state)
{
	uint8_t b[sizeof(vec_v4)];
	struct stun_response r;
	struct errbuf e = { "" };

	(void)state;
	memcpy(b, vec_v4, sizeof(b));
	b[4] = 0x21;
	b[7] = 0x43;
	assert_int_equal(parse(b, sizeof(b), &r, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "cookie"));
}

static void test_truncated(void **state)
{
	struct stun_response r;
	struct errbuf e = { "" };

	(void)state;
	/* Every proper prefix is refused, as is the message with a byte more. */
	for (size_t n = 0; n < sizeof(vec_v4); n++)
		assert_int_equal(parse(vec_v4, n, &r, &e), -EBADMSG);
	for (size_t n = 0; n < sizeof(vec_v6); n++)
		assert_int_equal(parse(vec_v6, n, &r, &e), -EBADMSG);
}

static void test_bad_lengths(void **state)
{
	struct msg m;
	struct stun_response r;
	struct errbuf e = { "" };

	(void)state;
	/* Header length not a multiple of 4. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	m.b[3] += 1;
	m.b[m.len++] = 0;
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);

	/* Attribute length running past the end. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	m.b[23] = 12;
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);

	/* An attribute whose padding is missing at the end. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	msg_attr(&m, 0x8022, "abcde", 5); /* padded to 8 */
	m.len -= 4;
	msg_fix_len(&m);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);

	/* Address attributes with a length that does not fit their family. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 7);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 2);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
	{
		uint8_t v[20] = { 0, 0x01, 0, 0 };

		msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
		msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v, 20); /* family 1, 20 bytes */
		assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
		v[1] = 0x03;
		msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
		msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS, v, 8); /* unknown family */
		assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
		v[1] = 0x02;
		msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
		msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS, v, 8); /* family 2, 8 bytes */
		assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
	}
	/* Trailing bytes after the message. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	assert_int_equal(parse(m.b, m.len + 4, &r, &e), -EBADMSG);
}

static void test_not_a_response(void **state)
{
	struct msg m;
	struct stun_response r;
	struct errbuf e = { "" };

	(void)state;
	/* Our own request reflected back. */
	msg_init(&m, STUN_BINDING_REQUEST, vec_txid);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
	/* Top bits set: not STUN (e.g. a WireGuard or RTP packet). */
	msg_init(&m, 0xc101, vec_txid);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
	/* An Allocate success response (TURN method 0x003). */
	msg_init(&m, 0x0103, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
}

static void test_mapped_fallback(void **state)
{
	struct msg m;
	struct stun_response r;
	struct errbuf e = { "" };
	struct sockaddr_in *in = (struct sockaddr_in *)&r.mapped;

	(void)state;
	/* RFC 3489 server: MAPPED-ADDRESS only. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS, plain_v4_val, 8);
	assert_int_equal(parse(m.b, m.len, &r, &e), 0);
	assert_false(r.from_xor);
	assert_false(r.fingerprint);
	assert_int_equal(ntohs(in->sin_port), 51820);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0xcb007107u);

	/* Both present: XOR-MAPPED-ADDRESS wins wherever it is. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS, plain_v4_val, 8);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	msg_fingerprint(&m);
	assert_int_equal(parse(m.b, m.len, &r, &e), 0);
	assert_true(r.from_xor);
	assert_true(r.fingerprint);
	assert_int_equal(ntohs(in->sin_port), 32853);

	/* Neither. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, 0x8022, "x", 1);
	assert_int_equal(parse(m.b, m.len, &r, &e), -ENOENT);
}

static void test_unknown_attrs(void **state)
{
	struct msg m;
	struct stun_response r;
	struct errbuf e = { "" };

	(void)state;
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, 0x8033, "optional", 8);
	msg_attr(&m, 0x7777, "req", 3);
	msg_attr(&m, 0x0000, NULL, 0);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	assert_int_equal(parse(m.b, m.len, &r, &e), 0);
	assert_int_equal(r.unknown_required, 2);
	assert_true(r.from_xor);

	/* Attributes after MESSAGE-INTEGRITY (other than FINGERPRINT) are ignored, even a
	 * mapped address; so is a second XOR-MAPPED-ADDRESS. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS, plain_v4_val, 8);
	msg_attr(&m, STUN_ATTR_MESSAGE_INTEGRITY, "0123456789abcdefghij", 20);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	msg_fingerprint(&m);
	assert_int_equal(parse(m.b, m.len, &r, &e), 0);
	assert_false(r.from_xor);
	assert_int_equal(r.unknown_required, 0);

	/* Nothing may follow FINGERPRINT. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	msg_fingerprint(&m);
	msg_attr(&m, 0x8022, "x", 1);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
}

static void test_error_response(void **state)
{
	struct msg m;
	struct stun_response r;
	struct errbuf e = { "" };
	static const uint8_t ec[] = { 0, 0, 4, 20, 'U', 'n', 'k', 'n', 'o', 'w', 'n', '\n' };

	(void)state;
	msg_init(&m, STUN_BINDING_ERROR, vec_txid);
	msg_attr(&m, STUN_ATTR_ERROR_CODE, ec, sizeof(ec));
	msg_fingerprint(&m);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EREMOTEIO);
	/* The control character in the reason is not passed to the terminal. */
	assert_string_equal(e.msg, "error 420 Unknown?");

	msg_init(&m, STUN_BINDING_ERROR, vec_txid);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EREMOTEIO);
	msg_init(&m, STUN_BINDING_ERROR, vec_txid);
	msg_attr(&m, STUN_ATTR_ERROR_CODE, ec, 3);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
}

static void test_change_request(void **state)
{
	uint8_t buf[64];
	size_t len = 0;
	static const uint8_t want[28] = { 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42,
					  0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
					  0xfa, 0x87, 0xdf, 0xae, 0x00, 0x03, 0x00, 0x04,
					  0x00, 0x00, 0x00, 0x06 };

	(void)state;
	assert_int_equal(stun_build_change_request(buf, sizeof(buf), vec_txid,
						   STUN_CHANGE_IP | STUN_CHANGE_PORT, &len), 0);
	assert_int_equal(len, STUN_CHANGE_REQUEST_LEN);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(stun_build_change_request(buf, sizeof(buf), vec_txid, STUN_CHANGE_PORT,
						   &len), 0);
	assert_int_equal(buf[27], 0x02);
	assert_int_equal(stun_build_change_request(buf, sizeof(buf), vec_txid, 0, &len), 0);
	assert_int_equal(buf[27], 0x00);
	assert_int_equal(stun_build_change_request(buf, sizeof(buf), vec_txid, 0x01, &len), -EINVAL);
	assert_int_equal(stun_build_change_request(buf, 27, vec_txid, 0, &len), -ENOSPC);
}

static void test_rfc5780_attrs(void **state)
{
	struct msg m;
	struct stun_response r;
	struct errbuf e = { "" };
	static const uint8_t other[8] = { 0, 0x01, 0x0d, 0x97, 198, 51, 100, 11 };	/* :3479 */
	static const uint8_t origin[8] = { 0, 0x01, 0x0d, 0x96, 198, 51, 100, 10 }; /* :3478 */
	const struct sockaddr_in *o = (const struct sockaddr_in *)&r.other;
	const struct sockaddr_in *g = (const struct sockaddr_in *)&r.origin;

	(void)state;
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	msg_attr(&m, STUN_ATTR_RESPONSE_ORIGIN, origin, 8);
	msg_attr(&m, STUN_ATTR_OTHER_ADDRESS, other, 8);
	msg_fingerprint(&m);
	assert_int_equal(parse(m.b, m.len, &r, &e), 0);
	assert_true(r.has_other);
	assert_true(r.has_origin);
	assert_int_equal(o->sin_family, AF_INET);
	assert_int_equal(ntohs(o->sin_port), 3479);
	assert_int_equal(ntohl(o->sin_addr.s_addr), 0xc633640bu);
	assert_int_equal(ntohs(g->sin_port), 3478);
	assert_int_equal(ntohl(g->sin_addr.s_addr), 0xc633640au);
	/* OTHER-ADDRESS and RESPONSE-ORIGIN are optional-range types: none is unknown. */
	assert_int_equal(r.unknown_required, 0);

	/* A plain answer says neither. */
	assert_int_equal(parse(vec_v4, sizeof(vec_v4), &r, &e), 0);
	assert_false(r.has_other);
	assert_false(r.has_origin);

	/* A malformed OTHER-ADDRESS is an error, named. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	msg_attr(&m, STUN_ATTR_OTHER_ADDRESS, other, 6);
	assert_int_equal(parse(m.b, m.len, &r, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "OTHER-ADDRESS"));

	/* After MESSAGE-INTEGRITY it is ignored like everything else there. */
	msg_init(&m, STUN_BINDING_SUCCESS, vec_txid);
	msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, v4_val, 8);
	msg_attr(&m, STUN_ATTR_MESSAGE_INTEGRITY, "0123456789abcdefghij", 20);
	msg_attr(&m, STUN_ATTR_OTHER_ADDRESS, other, 8);
	assert_int_equal(parse(m.b, m.len, &r, &e), 0);
	assert_false(r.has_other);
}

static void test_out_untouched_on_error(void **state)
{
	struct stun_response r;
	uint8_t b[sizeof(vec_v4)];

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	memcpy(b, vec_v4, sizeof(b));
	b[sizeof(b) - 1] ^= 1;
	assert_int_equal(parse(b, sizeof(b), &r, NULL), -EBADMSG);
	assert_int_equal(((uint8_t *)&r)[0], 0xa5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_rfc5769_v4),
		cmocka_unit_test(test_rfc5769_v6),
		cmocka_unit_test(test_bad_fingerprint),
		cmocka_unit_test(test_wrong_txid),
		cmocka_unit_test(test_wrong_cookie),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_not_a_response),
		cmocka_unit_test(test_mapped_fallback),
		cmocka_unit_test(test_unknown_attrs),
		cmocka_unit_test(test_error_response),
		cmocka_unit_test(test_out_untouched_on_error),
		cmocka_unit_test(test_change_request),
		cmocka_unit_test(test_rfc5780_attrs),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
