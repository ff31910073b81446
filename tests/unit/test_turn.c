/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TURN codec: the RFC 5769 vectors (2.1 short-term request, 2.2/2.3 responses, 2.4
 * long-term request, rebuilt byte for byte), every request built and parsed back, 401
 * and 438 answers, MESSAGE-INTEGRITY policy, indications, ChannelData, coturn REST
 * credentials against an independent computation, and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>

#include "proto/turn.h"

static const uint8_t t21[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };
static const uint8_t t24[12] = { 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e };
static const char short_key[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 2.1 */
static const uint8_t vec21[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
	0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74,
	0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e,
	0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20,
	0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
	0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5,
	0x7a, 0x3b, 0xcf,
};

/* RFC 5769 2.2 */
static const uint8_t vec22[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
	0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
	0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b,
	0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 2.3 */
static const uint8_t vec23[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02,
	0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5,
	0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6,
	0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* RFC 5769 2.4 */
static const char user24[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
static const char nonce24[] = "f//499k954d6OL34oL9FSTvy64sA";
static const uint8_t vec24[] = {
	0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72,
	0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88,
	0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00,
	0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
	0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73,
	0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72,
	0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02,
	0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

static const uint8_t *sk(void)
{
	return (const uint8_t *)short_key;
}

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &in.sin_addr);
	return in;
}

static void assert_v4(const union sm_addr *ss, const char *ip, uint16_t port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	char s[INET_ADDRSTRLEN];

	assert_int_equal(in->sin_family, AF_INET);
	assert_string_equal(inet_ntop(AF_INET, &in->sin_addr, s, sizeof(s)), ip);
	assert_int_equal(ntohs(in->sin_port), port);
}

static void test_rfc5769_short_term(void **state)
{
	struct turn_message m;
	struct errbuf e = { "" };
	uint8_t b[sizeof(vec22)];

	(void)state;
	assert_int_equal(turn_parse(vec21, sizeof(vec21), NULL, sk(), strlen(short_key), &m, &e), 0);
	assert_int_equal(m.method, 0x001);
	assert_int_equal(m.cls, STUN_CLASS_REQUEST);
	assert_true(m.has_integrity);
	assert_true(m.fingerprint);
	/* PRIORITY and ICE-CONTROLLED are ICE's: PRIORITY (0x0024) is comprehension-required. */
	assert_int_equal(m.unknown_required, 1);
	assert_int_equal(turn_parse(vec21, sizeof(vec21), NULL, (const uint8_t *)"wrong", 5, &m, &e),
			 -EACCES);

	assert_int_equal(turn_parse(vec22, sizeof(vec22), t21, sk(), strlen(short_key), &m, &e), 0);
	assert_int_equal(m.cls, STUN_CLASS_SUCCESS);
	assert_true(m.has_integrity);
	assert_true(m.has_mapped);
	assert_v4(&m.mapped, "192.0.2.1", 32853);
	assert_int_equal(turn_parse(vec23, sizeof(vec23), t21, sk(), strlen(short_key), &m, &e), 0);
	assert_true(m.has_integrity);
	assert_int_equal(m.mapped.sa.sa_family, AF_INET6);

	/* A bit flipped inside the MAC'd part: MESSAGE-INTEGRITY catches it even with the
	 * FINGERPRINT recomputed to match. */
	memcpy(b, vec22, sizeof(b));
	b[30] ^= 1;
	{
		uint32_t crc = stun_crc32(b, sizeof(b) - 8) ^ STUN_FINGERPRINT_XOR;

		b[sizeof(b) - 4] = (uint8_t)(crc >> 24), b[sizeof(b) - 3] = (uint8_t)(crc >> 16);
		b[sizeof(b) - 2] = (uint8_t)(crc >> 8), b[sizeof(b) - 1] = (uint8_t)crc;
	}
	assert_int_equal(turn_parse(b, sizeof(b), t21, sk(), strlen(short_key), &m, &e),
			 -EACCES);
	/* Without a key the same message parses (nothing to check it with). */
	assert_int_equal(turn_parse(b, sizeof(b), t21, NULL, 0, &m, &e), 0);
	assert_false(m.has_integrity);
}

static void test_rfc5769_long_term(void **state)
{
	uint8_t key[TURN_KEY_LEN], b[200];
	struct turn_message m;
	struct turn_msg w;
	struct errbuf e = { "" };
	size_t len = 0;

	(void)state;
	/* The password after SASLprep ("The<U+00AD>M<U+00AA>tr<U+2168>" -> "TheMatrIX"). */
	turn_long_term_key(user24, "example.org", "TheMatrIX", key);
	assert_int_equal(turn_parse(vec24, sizeof(vec24), t24, key, sizeof(key), &m, &e), 0);
	assert_true(m.has_integrity);
	assert_int_equal(m.realm_len, 11);
	assert_memory_equal(m.realm, "example.org", 11);
	assert_int_equal(m.nonce_len, strlen(nonce24));
	assert_memory_equal(m.nonce, nonce24, m.nonce_len);
	turn_long_term_key(user24, "example.org", "TheMatrix", key);
	assert_int_equal(turn_parse(vec24, sizeof(vec24), t24, key, sizeof(key), &m, &e), -EACCES);

	/* Our builder produces the vector byte for byte. */
	turn_long_term_key(user24, "example.org", "TheMatrIX", key);
	turn_msg_init(&w, b, sizeof(b), 0x001, STUN_CLASS_REQUEST, t24);
	turn_msg_attr(&w, STUN_ATTR_USERNAME, user24, strlen(user24));
	turn_msg_attr(&w, STUN_ATTR_NONCE, nonce24, strlen(nonce24));
	turn_msg_attr(&w, STUN_ATTR_REALM, "example.org", 11);
	turn_msg_integrity(&w, key, sizeof(key));
	assert_int_equal(turn_msg_finish(&w, &len), 0);
	assert_int_equal(len, sizeof(vec24));
	assert_memory_equal(b, vec24, len);
}

static struct turn_auth auth_for(uint8_t *key_storage)
{
	struct turn_auth a = { .username = "labuser", .realm = "lab.test",
			       .nonce = (const uint8_t *)"abcdef0123", .nonce_len = 10 };

	turn_long_term_key(a.username, a.realm, "lab-turn-password", a.key);
	memcpy(key_storage, a.key, TURN_KEY_LEN);
	return a;
}

static void test_allocate(void **state)
{
	uint8_t b[512], key[TURN_KEY_LEN], tx[12];
	struct turn_auth a = auth_for(key);
	struct turn_message m;
	struct errbuf e = { "" };
	size_t len = 0;

	(void)state;
	stun_new_txid(tx);
	/* Unauthenticated first attempt: type 0x0003, REQUESTED-TRANSPORT 17, FINGERPRINT. */
	assert_int_equal(turn_build_allocate(b, sizeof(b), tx, NULL, 0, false, &len), 0);
	assert_int_equal(len, 20 + 8 + 8);
	assert_int_equal(b[0] << 8 | b[1], 0x0003);
	assert_int_equal(b[20] << 8 | b[21], TURN_ATTR_REQUESTED_TRANSPORT);
	assert_int_equal(b[24], 17);
	assert_int_equal(turn_parse(b, len, tx, NULL, 0, &m, &e), 0);
	assert_int_equal(m.method, TURN_ALLOCATE);
	assert_true(m.fingerprint);

	/* Authenticated, with LIFETIME and DONT-FRAGMENT. */
	assert_int_equal(turn_build_allocate(b, sizeof(b), tx, &a, 3600, true, &len), 0);
	assert_int_equal(turn_parse(b, len, tx, key, sizeof(key), &m, &e), 0);
	assert_true(m.has_integrity);
	assert_true(m.has_lifetime);
	assert_int_equal(m.lifetime, 3600);
	assert_memory_equal(m.realm, "lab.test", 8);
	assert_int_equal(m.nonce_len, 10);
	/* No room: every length short of the whole message fails cleanly. */
	for (size_t cap = 0; cap < len; cap++) {
		size_t l2 = 0;

		assert_int_equal(turn_build_allocate(b, cap, tx, &a, 3600, true, &l2), -ENOSPC);
	}
}

/* A server's Allocate success, built with the codec's own builder and keyed. */
static size_t allocate_success(uint8_t *b, size_t cap, const uint8_t *tx, const uint8_t *key,
			       bool with_mi)
{
	struct sockaddr_in relay = v4("198.51.100.20", 49200), mapped = v4("203.0.113.11", 40000);
	struct turn_msg w;
	size_t len = 0;

	turn_msg_init(&w, b, cap, TURN_ALLOCATE, STUN_CLASS_SUCCESS, tx);
	turn_msg_attr_xaddr(&w, TURN_ATTR_XOR_RELAYED_ADDRESS, (struct sockaddr *)&relay);
	turn_msg_attr_xaddr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&mapped);
	turn_msg_attr_u32(&w, TURN_ATTR_LIFETIME, 600);
	turn_msg_attr(&w, STUN_ATTR_SOFTWARE, "x", 1);
	if (with_mi)
		turn_msg_integrity(&w, key, TURN_KEY_LEN);
	turn_msg_fingerprint(&w);
	assert_int_equal(turn_msg_finish(&w, &len), 0);
	return len;
}

static void test_allocate_success(void **state)
{
	uint8_t b[256], key[TURN_KEY_LEN], tx[12], other[12];
	struct turn_message m;
	struct errbuf e = { "" };
	size_t len;

	(void)state;
	auth_for(key);
	stun_new_txid(tx);
	len = allocate_success(b, sizeof(b), tx, key, true);
	assert_int_equal(turn_parse(b, len, tx, key, sizeof(key), &m, &e), 0);
	assert_int_equal(m.cls, STUN_CLASS_SUCCESS);
	assert_true(m.has_relayed && m.has_mapped && m.has_lifetime && m.has_integrity);
	assert_v4(&m.relayed, "198.51.100.20", 49200);
	assert_v4(&m.mapped, "203.0.113.11", 40000);
	assert_int_equal(m.lifetime, 600);
	memcpy(other, tx, 12);
	other[0] ^= 1;
	assert_int_equal(turn_parse(b, len, other, key, sizeof(key), &m, &e), -ENOMSG);
	/* Every proper prefix is refused. */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(turn_parse(b, n, tx, key, sizeof(key), &m, &e), -EBADMSG);
	/* A success to an authenticated request must carry MESSAGE-INTEGRITY. */
	len = allocate_success(b, sizeof(b), tx, key, false);
	assert_int_equal(turn_parse(b, len, tx, key, sizeof(key), &m, &e), -EACCES);
	assert_non_null(strstr(e.msg, "MESSAGE-INTEGRITY"));
	assert_int_equal(turn_parse(b, len, tx, NULL, 0, &m, &e), 0);
}

static void test_challenges(void **state)
{
	uint8_t b[256], key[TURN_KEY_LEN], tx[12];
	static const uint8_t e401[] = { 0, 0, 4, 1, 'U', 'n', 'a', 'u', 't', 'h', 'o', 'r', 'i',
					'z', 'e', 'd' };
	static const uint8_t e438[] = { 0, 0, 4, 38, 'S', 't', 'a', 'l', 'e', ' ', 'N', 'o', 'n',
					'c', 'e' };
	struct turn_message m;
	struct turn_msg w;
	struct errbuf e = { "" };
	size_t len = 0;

	(void)state;
	auth_for(key);
	stun_new_txid(tx);
	/* 401 with REALM and NONCE, no MESSAGE-INTEGRITY: fine even with a key. */
	turn_msg_init(&w, b, sizeof(b), TURN_ALLOCATE, STUN_CLASS_ERROR, tx);
	turn_msg_attr(&w, STUN_ATTR_ERROR_CODE, e401, sizeof(e401));
	turn_msg_attr(&w, STUN_ATTR_NONCE, "n0nce", 5);
	turn_msg_attr(&w, STUN_ATTR_REALM, "lab.test", 8);
	turn_msg_fingerprint(&w);
	assert_int_equal(turn_msg_finish(&w, &len), 0);
	assert_int_equal(turn_parse(b, len, tx, key, sizeof(key), &m, &e), 0);
	assert_int_equal(m.cls, STUN_CLASS_ERROR);
	assert_int_equal(m.error_code, 401);
	assert_string_equal(m.reason, "Unauthorized");
	assert_memory_equal(m.nonce, "n0nce", 5);
	assert_memory_equal(m.realm, "lab.test", 8);
	assert_string_equal(turn_error_name(401), "Unauthorized");

	/* 438 Stale Nonce on a Refresh, with a new NONCE. */
	turn_msg_init(&w, b, sizeof(b), TURN_REFRESH, STUN_CLASS_ERROR, tx);
	turn_msg_attr(&w, STUN_ATTR_ERROR_CODE, e438, sizeof(e438));
	turn_msg_attr(&w, STUN_ATTR_NONCE, "fresh", 5);
	assert_int_equal(turn_msg_finish(&w, &len), 0);
	assert_int_equal(turn_parse(b, len, tx, key, sizeof(key), &m, &e), 0);
	assert_int_equal(m.method, TURN_REFRESH);
	assert_int_equal(m.error_code, TURN_ERR_STALE_NONCE);
	assert_string_equal(turn_error_name(m.error_code), "Stale Nonce");
	assert_null(turn_error_name(499));

	/* An error response without ERROR-CODE, a short ERROR-CODE, an overlong NONCE. */
	turn_msg_init(&w, b, sizeof(b), TURN_REFRESH, STUN_CLASS_ERROR, tx);
	assert_int_equal(turn_msg_finish(&w, &len), 0);
	assert_int_equal(turn_parse(b, len, tx, NULL, 0, &m, &e), -EBADMSG);
	turn_msg_init(&w, b, sizeof(b), TURN_REFRESH, STUN_CLASS_ERROR, tx);
	turn_msg_attr(&w, STUN_ATTR_ERROR_CODE, e438, 3);
	assert_int_equal(turn_msg_finish(&w, &len), 0);
	assert_int_equal(turn_parse(b, len, tx, NULL, 0, &m, &e), -EBADMSG);
	{
		static uint8_t big[1024], nb[800];

		memset(nb, 'n', sizeof(nb));
		turn_msg_init(&w, big, sizeof(big), TURN_REFRESH, STUN_CLASS_ERROR, tx);
		turn_msg_attr(&w, STUN_ATTR_ERROR_CODE, e438, sizeof(e438));
		turn_msg_attr(&w, STUN_ATTR_NONCE, nb, TURN_TEXT_MAX + 1);
		assert_int_equal(turn_msg_finish(&w, &len), 0);
		assert_int_equal(turn_parse(big, len, tx, NULL, 0, &m, &e), -EBADMSG);
	}
}

static void test_permission_channel(void **state)
{
	uint8_t b[512], key[TURN_KEY_LEN], tx[12];
	struct turn_auth a = auth_for(key);
	struct sockaddr_in p1 = v4("203.0.113.12", 51820), p2 = v4("203.0.113.13", 4000);
	struct sockaddr_in6 p6 = { .sin6_family = AF_INET6, .sin6_port = htons(51820) };
	const struct sockaddr *peers[] = { (struct sockaddr *)&p1, (struct sockaddr *)&p2 };
	struct turn_message m;
	struct errbuf e = { "" };
	size_t len = 0;

	(void)state;
	stun_new_txid(tx);
	assert_int_equal(turn_build_refresh(b, sizeof(b), tx, &a, 0, &len), 0);
	assert_int_equal(turn_parse(b, len, tx, key, sizeof(key), &m, &e), 0);
	assert_int_equal(m.method, TURN_REFRESH);
	assert_true(m.has_lifetime);
	assert_int_equal(m.lifetime, 0);

	assert_int_equal(turn_build_create_permission(b, sizeof(b), tx, &a, peers, 2, &len), 0);
	assert_int_equal(turn_parse(b, len, tx, key, sizeof(key), &m, &e), 0);
	assert_int_equal(m.method, TURN_CREATE_PERMISSION);
	assert_v4(&m.peer, "203.0.113.12", 51820); /* the first */
	assert_int_equal(turn_build_create_permission(b, sizeof(b), tx, &a, peers, 0, &len), -EINVAL);

	assert_int_equal(turn_build_channel_bind(b, sizeof(b), tx, &a, 0x4000, peers[0], &len), 0);
	assert_int_equal(turn_parse(b, len, tx, key, sizeof(key), &m, &e), 0);
	assert_int_equal(m.method, TURN_CHANNEL_BIND);
	assert_true(m.has_channel);
	assert_int_equal(m.channel, 0x4000);
	assert_int_equal(turn_build_channel_bind(b, sizeof(b), tx, &a, 0x4fff, peers[1], &len), 0);
	assert_int_equal(turn_build_channel_bind(b, sizeof(b), tx, &a, 0x3fff, peers[0], &len), -EINVAL);
	assert_int_equal(turn_build_channel_bind(b, sizeof(b), tx, &a, 0x5000, peers[0], &len), -EINVAL);

	/* IPv6 peers XOR with the txid too, and come back whole. */
	inet_pton(AF_INET6, "2001:db8:1::2", &p6.sin6_addr);
	assert_int_equal(turn_build_channel_bind(b, sizeof(b), tx, &a, 0x4001,
						 (struct sockaddr *)&p6, &len), 0);
	assert_int_equal(turn_parse(b, len, tx, key, sizeof(key), &m, &e), 0);
	assert_int_equal(m.peer.sa.sa_family, AF_INET6);
	assert_memory_equal(&((struct sockaddr_in6 *)&m.peer)->sin6_addr, &p6.sin6_addr, 16);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&m.peer)->sin6_port), 51820);
}

static void test_indications(void **state)
{
	uint8_t b[256], tx[12];
	struct sockaddr_in peer = v4("203.0.113.12", 51820);
	static const uint8_t payload[5] = { 1, 2, 3, 4, 5 };
	struct turn_message m;
	struct turn_msg w;
	struct errbuf e = { "" };
	size_t len = 0;

	(void)state;
	stun_new_txid(tx);
	assert_int_equal(turn_build_send(b, sizeof(b), tx, (struct sockaddr *)&peer, payload,
					 sizeof(payload), true, &len), 0);
	assert_int_equal(b[0] << 8 | b[1], 0x0016); /* Send indication */
	assert_int_equal(turn_parse(b, len, NULL, NULL, 0, &m, &e), 0);
	assert_int_equal(m.method, TURN_SEND);
	assert_int_equal(m.cls, STUN_CLASS_INDICATION);
	assert_int_equal(m.data_len, 5);
	assert_memory_equal(m.data, payload, 5);
	assert_v4(&m.peer, "203.0.113.12", 51820);

	/* A Data indication as a server sends it. */
	turn_msg_init(&w, b, sizeof(b), TURN_DATA, STUN_CLASS_INDICATION, tx);
	turn_msg_attr_xaddr(&w, TURN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer);
	turn_msg_attr(&w, TURN_ATTR_DATA, payload, 3);
	assert_int_equal(turn_msg_finish(&w, &len), 0);
	assert_int_equal(b[0] << 8 | b[1], 0x0017);
	assert_int_equal(turn_parse(b, len, NULL, NULL, 0, &m, &e), 0);
	assert_int_equal(m.method, TURN_DATA);
	assert_int_equal(m.data_len, 3);
	assert_false(m.fingerprint);
}

static void test_channel_data(void **state)
{
	uint8_t b[16] = { 0 }, hdr[4];
	const uint8_t *d = NULL;
	uint16_t ch = 0;
	size_t dl = 0;

	(void)state;
	assert_int_equal(turn_channel_header(hdr, 0x4001, 5), 0);
	assert_int_equal(hdr[0], 0x40);
	assert_int_equal(hdr[1], 0x01);
	assert_int_equal(hdr[2] << 8 | hdr[3], 5);
	assert_int_equal(turn_channel_header(hdr, 0x3fff, 5), -EINVAL);
	assert_int_equal(turn_channel_header(hdr, 0x4000, 70000), -EINVAL);

	memcpy(b, hdr, 4);
	memcpy(b + 4, "hello", 5);
	assert_true(turn_is_channel_data(b, 9));
	assert_false(turn_is_channel_data(vec22, sizeof(vec22)));
	assert_false(turn_is_channel_data(b, 0));
	assert_int_equal(turn_channel_parse(b, 9, &ch, &d, &dl), 0);
	assert_int_equal(ch, 0x4001);
	assert_int_equal(dl, 5);
	assert_memory_equal(d, "hello", 5);
	/* Padding to 12 bytes (allowed over UDP) is ignored. */
	assert_int_equal(turn_channel_parse(b, 12, &ch, &d, &dl), 0);
	assert_int_equal(dl, 5);
	/* Shorter than claimed; a header only; a channel out of range. */
	assert_int_equal(turn_channel_parse(b, 8, &ch, &d, &dl), -EBADMSG);
	assert_int_equal(turn_channel_parse(b, 3, &ch, &d, &dl), -EBADMSG);
	b[0] = 0x50;
	assert_int_equal(turn_channel_parse(b, 9, &ch, &d, &dl), -EBADMSG);
	/* An empty payload is a valid frame. */
	assert_int_equal(turn_channel_header(b, 0x4fff, 0), 0);
	assert_int_equal(turn_channel_parse(b, 4, &ch, &d, &dl), 0);
	assert_int_equal(dl, 0);
}

static void test_rest_credentials(void **state)
{
	char user[64], pass[32];
	static const uint8_t secret[] = "lab-rest-api-secret";

	(void)state;
	assert_int_equal(turn_rest_credentials(secret, sizeof(secret) - 1, 1700000000, "labuser",
					       user, sizeof(user), pass, sizeof(pass)), 0);
	assert_string_equal(user, "1700000000:labuser");
	/* python3: base64(hmac.new(b"lab-rest-api-secret", b"1700000000:labuser", sha1)) */
	assert_string_equal(pass, "zMlugJdnqarQqml2mkMGHRxBcTk=");
	assert_int_equal(turn_rest_credentials(secret, sizeof(secret) - 1, 1700000000, "", user,
					       sizeof(user), pass, sizeof(pass)), 0);
	assert_string_equal(user, "1700000000");
	assert_int_equal(turn_rest_credentials(secret, 19, 1700000000, "labuser", user, 18, pass,
					       sizeof(pass)), -ENOSPC);
	assert_int_equal(turn_rest_credentials(secret, 19, 1700000000, "labuser", user,
					       sizeof(user), pass, 28), -ENOSPC);
}

static void test_malformed(void **state)
{
	uint8_t b[sizeof(vec22) + 8];
	struct turn_message m;
	struct errbuf e = { "" };

	(void)state;
	memcpy(b, vec22, sizeof(vec22));
	b[4] ^= 1; /* cookie */
	assert_int_equal(turn_parse(b, sizeof(vec22), NULL, NULL, 0, &m, &e), -EBADMSG);
	memcpy(b, vec22, sizeof(vec22));
	b[0] |= 0x40; /* ChannelData-looking first bits */
	assert_int_equal(turn_parse(b, sizeof(vec22), NULL, NULL, 0, &m, &e), -EBADMSG);
	memcpy(b, vec22, sizeof(vec22));
	b[sizeof(vec22) - 1] ^= 1; /* FINGERPRINT */
	assert_int_equal(turn_parse(b, sizeof(vec22), NULL, NULL, 0, &m, &e), -EBADMSG);
	memcpy(b, vec22, sizeof(vec22));
	memset(b + sizeof(vec22), 0, 8); /* trailing bytes */
	assert_int_equal(turn_parse(b, sizeof(b), NULL, NULL, 0, &m, &e), -EBADMSG);
	/* MESSAGE-INTEGRITY of the wrong size. */
	{
		uint8_t tx[12];
		struct turn_msg w;
		size_t len = 0;

		stun_new_txid(tx);
		turn_msg_init(&w, b, sizeof(b), TURN_ALLOCATE, STUN_CLASS_SUCCESS, tx);
		turn_msg_attr(&w, STUN_ATTR_MESSAGE_INTEGRITY, "short", 5);
		assert_int_equal(turn_msg_finish(&w, &len), 0);
		assert_int_equal(turn_parse(b, len, tx, NULL, 0, &m, &e), -EBADMSG);
		turn_msg_init(&w, b, sizeof(b), TURN_ALLOCATE, STUN_CLASS_SUCCESS, tx);
		turn_msg_attr(&w, TURN_ATTR_LIFETIME, "abc", 3);
		assert_int_equal(turn_msg_finish(&w, &len), 0);
		assert_int_equal(turn_parse(b, len, tx, NULL, 0, &m, &e), -EBADMSG);
		turn_msg_init(&w, b, sizeof(b), TURN_ALLOCATE, STUN_CLASS_SUCCESS, tx);
		turn_msg_attr(&w, TURN_ATTR_XOR_RELAYED_ADDRESS, "abcdefg", 7);
		assert_int_equal(turn_msg_finish(&w, &len), 0);
		assert_int_equal(turn_parse(b, len, tx, NULL, 0, &m, &e), -EBADMSG);
		assert_non_null(strstr(e.msg, "XOR-RELAYED-ADDRESS"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5769_short_term), cmocka_unit_test(test_rfc5769_long_term),
		cmocka_unit_test(test_allocate),	   cmocka_unit_test(test_allocate_success),
		cmocka_unit_test(test_challenges),	   cmocka_unit_test(test_permission_channel),
		cmocka_unit_test(test_indications),	   cmocka_unit_test(test_channel_data),
		cmocka_unit_test(test_rest_credentials),   cmocka_unit_test(test_malformed),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
