/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Records against every vector in stunmesh-go-vectors.txt (keys, storage keys, the
 * four sealed values both ways), then the JSON rules, selection, freshness, and the
 * malformed values a store may hand us. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>

#include "proto/record.h"

static const char dev_priv_hex[] =
	"0001010101010101010101010101010101010101010101010101010101010141";
static const char dev_pub_hex[] =
	"a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209";
static const char peer_priv_hex[] =
	"0002020202020202020202020202020202020202020202020202020202020242";
static const char peer_pub_hex[] =
	"ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59";

static const struct {
	const char *plain, *sealed;
} vectors[] = {
	{ "{\"ipv4\":\"203.0.113.7:51820\",\"ipv6\":\"\"}",
	  "000000000000000000000000000000000000000000000000b2a54a5a7f718d14bfc976d2d38d20f6f433b0b8"
	  "60a63090eb84157ad31a3a3036da2d6fe5893a947c933c6dd4f80ae4f10b470908e0" },
	{ "{\"ipv4\":\"203.0.113.7:51820\"}",
	  "0000000000000000000000000000000000000000000000000174f4836008dccfff078b18623b9fc7f433b0b8"
	  "60a63090eb84157ad31a3a3036da2d6fe5893a947c933c3c" },
	{ "{\"ipv4\":\"203.0.113.7:51820\",\"ipv6\":\"[2001:db8::7]:51820\"}",
	  "00000000000000000000000000000000000000000000000087cdedb241b8d67ec52ebb6cb9ac3544f433b0b8"
	  "60a63090eb84157ad31a3a3036da2d6fe5893a947c933c6dd4f80ae4f10b470971af5c38aabd5d5e39f519fc"
	  "81060eefc888d0496d" },
	{ "{\"ipv6\":\"[2001:db8::7]:51820\"}",
	  "00000000000000000000000000000000000000000000000061ea71b25052b3b447d6961aa537784df433b0b8"
	  "60a43090ebed1779cd1b2e6565d13962e8e131997f9b2c71d4ec" },
};

static uint8_t dev_priv[32], dev_pub[32], peer_priv[32], peer_pub[32];

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0 || hex_decode(dev_priv, 32, dev_priv_hex, 64) ||
	    hex_decode(dev_pub, 32, dev_pub_hex, 64) || hex_decode(peer_priv, 32, peer_priv_hex, 64) ||
	    hex_decode(peer_pub, 32, peer_pub_hex, 64))
		return -1;
	return 0;
}

static void test_public_keys(void **state)
{
	uint8_t pub[32];

	(void)state;
	assert_int_equal(crypto_scalarmult_base(pub, dev_priv), 0);
	assert_memory_equal(pub, dev_pub, 32);
	assert_int_equal(crypto_scalarmult_base(pub, peer_priv), 0);
	assert_memory_equal(pub, peer_pub, 32);
}

static void test_storage_keys(void **state)
{
	char k[RECORD_KEY_HEX_LEN + 1];
	uint8_t zero[32] = { 0 }, one[32] = { 1 };

	(void)state;
	record_write_key(dev_pub, peer_pub, k);
	assert_string_equal(k, "12850bc1c76f60f1b38169066b58097a94c7c366");
	record_read_key(dev_pub, peer_pub, k);
	assert_string_equal(k, "f9022a8f02048b82ac6bb16887c666834ae6c204");
	/* Seen from the peer, the two swap. */
	record_read_key(peer_pub, dev_pub, k);
	assert_string_equal(k, "12850bc1c76f60f1b38169066b58097a94c7c366");
	record_write_key(peer_pub, dev_pub, k);
	assert_string_equal(k, "f9022a8f02048b82ac6bb16887c666834ae6c204");
	/* stunmesh-go's own peer_id_test.go vector. */
	record_write_key(zero, one, k);
	assert_string_equal(k, "37b7dcf21e0e183a9a86170997df242a84a85ff7");
	record_read_key(zero, one, k);
	assert_string_equal(k, "9c8d8e5a31c9802b093c4116dfb0a23a311b8029");
}

static void test_vectors_open(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct errbuf e = { "" };
		uint8_t *plain = NULL;
		size_t len = 0;

		/* The peer opens with its private key and the device's public key... */
		assert_int_equal(record_open_raw(vectors[i].sealed, strlen(vectors[i].sealed),
						 dev_pub, peer_priv, &plain, &len, &e),
				 0);
		assert_int_equal(len, strlen(vectors[i].plain));
		assert_memory_equal(plain, vectors[i].plain, len);
		free(plain);
		/* ...and the box key is symmetric, so the sender can too. */
		assert_int_equal(record_open_raw(vectors[i].sealed, strlen(vectors[i].sealed),
						 peer_pub, dev_priv, &plain, &len, &e),
				 0);
		assert_memory_equal(plain, vectors[i].plain, len);
		free(plain);
	}
}

static void test_vectors_seal(void **state)
{
	uint8_t nonce[RECORD_NONCE_LEN] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct errbuf e = { "" };
		char *hex = NULL;

		assert_int_equal(record_seal_nonce((const uint8_t *)vectors[i].plain,
						   strlen(vectors[i].plain), nonce, peer_pub,
						   dev_priv, &hex, &e),
				 0);
		assert_string_equal(hex, vectors[i].sealed);
		free(hex);
	}
}

static void sa4(union sm_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->in.sin_family = AF_INET;
	a->in.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &a->in.sin_addr), 1);
}

static void sa6(union sm_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->in6.sin6_family = AF_INET6;
	a->in6.sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &a->in6.sin6_addr), 1);
}

static void check_build(const struct record *r, const char *want)
{
	struct strbuf sb = { 0 };

	assert_int_equal(record_json_build(r, &sb), 0);
	assert_string_equal(sb.buf, want);
	sb_free(&sb);
}

static void test_json_build(void **state)
{
	struct record r;

	(void)state;
	memset(&r, 0, sizeof(r));
	sa4(&r.ipv4, "203.0.113.7", 51820);
	check_build(&r, vectors[1].plain);
	sa6(&r.ipv6, "2001:db8::7", 51820);
	check_build(&r, vectors[2].plain);
	r.ipv4.sa.sa_family = AF_UNSPEC;
	check_build(&r, vectors[3].plain);
	r.has_ts = true;
	r.ts = 1752700000;
	check_build(&r, "{\"ipv6\":\"[2001:db8::7]:51820\",\"ts\":1752700000}");
	sa4(&r.ipv4, "198.51.100.1", 1);
	check_build(&r, "{\"ipv4\":\"198.51.100.1:1\",\"ipv6\":\"[2001:db8::7]:51820\","
			"\"ts\":1752700000}");
	r.nat_symmetric = true;
	check_build(&r, "{\"ipv4\":\"198.51.100.1:1\",\"ipv6\":\"[2001:db8::7]:51820\","
			"\"ts\":1752700000,\"nat\":\"symmetric\"}");
	r.has_ts = false;
	r.ipv6.sa.sa_family = AF_UNSPEC;
	check_build(&r, "{\"ipv4\":\"198.51.100.1:1\",\"nat\":\"symmetric\"}");
	memset(&r, 0, sizeof(r));
	check_build(&r, "{}");
	/* A family in the wrong slot is a caller bug, not something to publish. */
	sa6(&r.ipv4, "2001:db8::1", 5);
	{
		struct strbuf sb = { 0 };

		assert_int_equal(record_json_build(&r, &sb), -EINVAL);
		sb_free(&sb);
	}
}

/* Our own records (random nonce, with ts) open with the vector keys, on the other side. */
/* "nat" is ours: "symmetric" is read, other strings are for later versions, and a
 * value of another type fails like any mistyped field. */
static void test_json_nat(void **state)
{
	static const char sym[] = "{\"ipv4\":\"203.0.113.7:1\",\"NAT\":\"symmetric\"}";
	static const char other[] = "{\"ipv4\":\"203.0.113.7:1\",\"nat\":\"cone\"}";
	static const char bad[] = "{\"ipv4\":\"203.0.113.7:1\",\"nat\":1}";
	struct record r;
	struct errbuf e;

	(void)state;
	assert_int_equal(record_json_parse((const uint8_t *)sym, strlen(sym), &r, &e), 0);
	assert_true(r.nat_symmetric);
	assert_int_equal(record_json_parse((const uint8_t *)other, strlen(other), &r, &e), 0);
	assert_false(r.nat_symmetric);
	assert_int_equal(record_json_parse((const uint8_t *)bad, strlen(bad), &r, &e), -EINVAL);
}

static void test_own_round_trip(void **state)
{
	struct record r, got;
	struct errbuf e = { "" };
	char *hex = NULL, *hex2 = NULL;
	char ep[64];

	(void)state;
	memset(&r, 0, sizeof(r));
	sa4(&r.ipv4, "203.0.113.7", 51820);
	sa6(&r.ipv6, "2001:db8::7", 51820);
	r.has_ts = true;
	r.ts = 1764130000;
	assert_int_equal(record_seal(&r, peer_pub, dev_priv, &hex, &e), 0);
	assert_int_equal(record_seal(&r, peer_pub, dev_priv, &hex2, &e), 0);
	assert_string_not_equal(hex, hex2); /* fresh nonce each time */
	assert_int_equal(record_open(hex, strlen(hex), dev_pub, peer_priv, &got, &e), 0);
	assert_true(got.has_ts);
	assert_int_equal(got.ts, 1764130000);
	addr_format(&got.ipv4, ep, sizeof(ep));
	assert_string_equal(ep, "203.0.113.7:51820");
	addr_format(&got.ipv6, ep, sizeof(ep));
	assert_string_equal(ep, "[2001:db8::7]:51820");
	free(hex);
	free(hex2);
}

static void test_vectors_parse(void **state)
{
	struct record got;
	struct errbuf e = { "" };
	char ep[64];

	(void)state;
	/* "ipv6":"" (never written by Go, accepted by it) means no IPv6. */
	assert_int_equal(record_open(vectors[0].sealed, strlen(vectors[0].sealed), dev_pub,
				     peer_priv, &got, &e),
			 0);
	assert_int_equal(got.ipv4.sa.sa_family, AF_INET);
	assert_int_equal(got.ipv6.sa.sa_family, AF_UNSPEC);
	assert_false(got.has_ts);
	addr_format(&got.ipv4, ep, sizeof(ep));
	assert_string_equal(ep, "203.0.113.7:51820");
	assert_int_equal(record_open(vectors[3].sealed, strlen(vectors[3].sealed), dev_pub,
				     peer_priv, &got, &e),
			 0);
	assert_int_equal(got.ipv4.sa.sa_family, AF_UNSPEC);
	assert_int_equal(got.ipv6.sa.sa_family, AF_INET6);
}

static int parse_str(const char *s, struct record *r, struct errbuf *e)
{
	return record_json_parse((const uint8_t *)s, strlen(s), r, e);
}

static void test_json_parse_rules(void **state)
{
	struct record r;
	struct errbuf e = { "" };
	char ep[64];

	(void)state;
	/* Go matches keys case-insensitively, ignores unknown ones, lets the last win. */
	assert_int_equal(parse_str(" {\"IPv4\" : \"198.51.100.9:7\", \"x\":[1,{}], "
				   "\"ipv4\":\"203.0.113.1:2\", \"Ipv6\":null, \"TS\": 5 }\n",
				   &r, &e),
			 0);
	addr_format(&r.ipv4, ep, sizeof(ep));
	assert_string_equal(ep, "203.0.113.1:2");
	assert_int_equal(r.ipv6.sa.sa_family, AF_UNSPEC);
	assert_true(r.has_ts);
	assert_int_equal(r.ts, 5);
	/* A later null keeps the earlier value; a wrong type anywhere fails, as in Go. */
	assert_int_equal(parse_str("{\"ipv4\":\"203.0.113.1:2\",\"IPV4\":null}", &r, &e), 0);
	assert_int_equal(r.ipv4.sa.sa_family, AF_INET);
	assert_int_equal(parse_str("{\"ipv4\":\"203.0.113.1:2\",\"ipv4\":\"\"}", &r, &e), 0);
	assert_int_equal(r.ipv4.sa.sa_family, AF_UNSPEC);
	assert_int_equal(parse_str("{\"ipv4\":1,\"ipv4\":\"203.0.113.1:2\"}", &r, &e), -EINVAL);
	assert_int_equal(parse_str("{\"ts\":\"1\",\"ts\":2}", &r, &e), -EINVAL);
	assert_int_equal(parse_str("{}", &r, &e), 0);
	assert_int_equal(r.ipv4.sa.sa_family, AF_UNSPEC);
	assert_false(r.has_ts);
	/* IPv6 forms inet_pton and Go both take. */
	assert_int_equal(parse_str("{\"ipv6\":\"[2001:DB8:0:0:0:0:0:1]:65535\"}", &r, &e), 0);
	addr_format(&r.ipv6, ep, sizeof(ep));
	assert_string_equal(ep, "[2001:db8::1]:65535");

	static const char *bad[] = {
		"",
		"203.0.113.7:51820", /* pre-v1.5.1 bare string */
		"\"203.0.113.7:51820\"",
		"[]",
		"null",
		"{\"ipv4\":\"203.0.113.7:51820\"} x",
		"{\"ipv4\":\"203.0.113.7:51820\"",
		"{\"ipv4\":42}",
		"{\"ipv4\":\"example.com:51820\"}",
		"{\"ipv4\":\"localhost:51820\"}",
		"{\"ipv4\":\"203.0.113.7:0\"}",
		"{\"ipv4\":\"203.0.113.7:65536\"}",
		"{\"ipv4\":\"203.0.113.7:99999999\"}",
		"{\"ipv4\":\"203.0.113.7:-1\"}",
		"{\"ipv4\":\"203.0.113.7:+1\"}",
		"{\"ipv4\":\"203.0.113.7:\"}",
		"{\"ipv4\":\"203.0.113.7\"}",
		"{\"ipv4\":\":51820\"}",
		"{\"ipv4\":\"203.0.113.007:51820\"}",
		"{\"ipv4\":\"203.0.113:51820\"}",
		"{\"ipv4\":\"[2001:db8::7]:51820\"}",
		"{\"ipv6\":\"203.0.113.7:51820\"}",
		"{\"ipv6\":\"2001:db8::7:51820\"}",
		"{\"ipv6\":\"[2001:db8::7]51820\"}",
		"{\"ipv6\":\"[2001:db8::7]:\"}",
		"{\"ipv6\":\"[fe80::1%eth0]:51820\"}",
		"{\"ipv6\":\"[host.example]:51820\"}",
		"{\"ipv6\":\"[]:51820\"}",
		"{\"ipv4\":\"203.0.113.7:51820\",\"ts\":\"now\"}",
		"{\"ipv4\":\"203.0.113.7:51820\",\"ts\":-1}",
		"{\"ipv4\":\"203.0.113.7:51820\",\"ts\":1.5}",
		"{\"ipv4\":\"203.0.113.7:51820\",\"ts\":1e300}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0xa5, sizeof(r));
		struct record before = r;

		e.msg[0] = '\0';
		if (parse_str(bad[i], &r, &e) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(e.msg[0] != '\0');
		/* Out-parameters are only written on success. */
		assert_memory_equal(&r, &before, sizeof(r));
	}
	/* A NUL inside the buffer is not the end of the text. */
	assert_int_equal(record_json_parse((const uint8_t *)"{}\0{}", 5, &r, &e), -EINVAL);
}

static void check_open_fails(const char *hex, int code, const char *words)
{
	struct record r;
	struct errbuf e = { "" };

	assert_int_equal(record_open(hex, strlen(hex), dev_pub, peer_priv, &r, &e), code);
	if (!strstr(e.msg, words))
		fail_msg("'%s' does not say '%s'", e.msg, words);
}

static char *seal_plain(const char *plain)
{
	uint8_t nonce[RECORD_NONCE_LEN];
	struct errbuf e;
	char *hex = NULL;

	randombytes_buf(nonce, sizeof(nonce));
	assert_int_equal(record_seal_nonce((const uint8_t *)plain, strlen(plain), nonce, peer_pub,
					   dev_priv, &hex, &e),
			 0);
	return hex;
}

static void test_malformed_values(void **state)
{
	char buf[512], *hex;
	struct record r;
	struct errbuf e;
	uint8_t other_priv[32];

	(void)state;
	/* bad hex */
	strcpy(buf, vectors[1].sealed);
	buf[60] = 'g';
	check_open_fails(buf, -EINVAL, "not hex");
	check_open_fails("zz", -EINVAL, "not hex");
	/* odd length */
	strcpy(buf, vectors[1].sealed);
	buf[strlen(buf) - 1] = '\0';
	check_open_fails(buf, -EINVAL, "odd length");
	/* short: 39 bytes, and empty */
	memset(buf, '0', 78);
	buf[78] = '\0';
	check_open_fails(buf, -EINVAL, "too short");
	check_open_fails("", -EINVAL, "too short");
	/* exactly nonce + tag: an empty plaintext, but this tag is forged */
	memset(buf, '0', 80);
	buf[80] = '\0';
	check_open_fails(buf, -EBADMSG, "cannot open");
	/* a flipped bit in the ciphertext */
	strcpy(buf, vectors[1].sealed);
	buf[100] = buf[100] == '0' ? '1' : '0';
	check_open_fails(buf, -EBADMSG, "cannot open");
	/* too long to be a record */
	{
		char *big = malloc(RECORD_MAX_HEX + 3);

		memset(big, 'a', RECORD_MAX_HEX + 2);
		big[RECORD_MAX_HEX + 2] = '\0';
		check_open_fails(big, -EMSGSIZE, "too long");
		free(big);
	}
	/* wrong key: sealed for someone else */
	randombytes_buf(other_priv, sizeof(other_priv));
	assert_int_equal(record_open(vectors[1].sealed, strlen(vectors[1].sealed), dev_pub,
				     other_priv, &r, &e),
			 -EBADMSG);
	/* right box, wrong contents */
	hex = seal_plain("203.0.113.7:51820");
	check_open_fails(hex, -EINVAL, "not JSON");
	free(hex);
	hex = seal_plain("{\"ipv4\":\"wg.example.com:51820\"}");
	check_open_fails(hex, -EINVAL, "not an IPv4 literal");
	free(hex);
	hex = seal_plain("{\"ipv4\":\"203.0.113.7:0\"}");
	check_open_fails(hex, -EINVAL, "out of range");
	free(hex);
	hex = seal_plain("{\"ipv4\":\"203.0.113.7:65536\"}");
	check_open_fails(hex, -EINVAL, "out of range");
	free(hex);
	/* Log safety: control characters in a record never reach the message. */
	hex = seal_plain("{\"ipv4\":\"evil\\nFAKE LOG LINE:1\"}");
	assert_int_equal(record_open(hex, strlen(hex), dev_pub, peer_priv, &r, &e), -EINVAL);
	assert_null(strchr(e.msg, '\n'));
	free(hex);
}

static void test_select(void **state)
{
	struct record r;
	union sm_addr out;
	struct errbuf e;

	(void)state;
	memset(&r, 0, sizeof(r));
	sa4(&r.ipv4, "203.0.113.7", 1000);
	sa6(&r.ipv6, "2001:db8::7", 2000);
	assert_int_equal(record_select(&r, PEER_IPV4, &out, &e), 0);
	assert_int_equal(out.sa.sa_family, AF_INET);
	assert_int_equal(record_select(&r, PEER_IPV6, &out, &e), 0);
	assert_int_equal(out.sa.sa_family, AF_INET6);
	assert_int_equal(record_select(&r, PEER_PREFER_IPV4, &out, &e), 0);
	assert_int_equal(out.sa.sa_family, AF_INET);
	assert_int_equal(record_select(&r, PEER_PREFER_IPV6, &out, &e), 0);
	assert_int_equal(out.sa.sa_family, AF_INET6);

	r.ipv6.sa.sa_family = AF_UNSPEC;
	assert_int_equal(record_select(&r, PEER_IPV6, &out, &e), -ENOENT);
	assert_int_equal(record_select(&r, PEER_PREFER_IPV6, &out, &e), 0);
	assert_int_equal(out.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(out.in.sin_port), 1000);

	sa6(&r.ipv6, "2001:db8::7", 2000);
	r.ipv4.sa.sa_family = AF_UNSPEC;
	assert_int_equal(record_select(&r, PEER_IPV4, &out, &e), -ENOENT);
	assert_int_equal(record_select(&r, PEER_PREFER_IPV4, &out, &e), 0);
	assert_int_equal(out.sa.sa_family, AF_INET6);
	assert_int_equal(ntohs(out.in6.sin6_port), 2000);

	r.ipv6.sa.sa_family = AF_UNSPEC;
	assert_int_equal(record_select(&r, PEER_PREFER_IPV4, &out, &e), -ENOENT);
	assert_int_equal(record_select(&r, PEER_PREFER_IPV6, &out, &e), -ENOENT);
}

static void test_freshness(void **state)
{
	struct record_fresh f = { 0 };
	struct record r;
	struct errbuf e = { "" };
	unsigned flags = 99;
	const int64_t now = 1764130000;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* stunmesh-go records carry no ts: accepted, remembered nothing. */
	assert_int_equal(record_fresh_accept(&f, &r, now, &flags, &e), 0);
	assert_int_equal(flags, RECORD_FRESH_NO_TS);
	assert_false(f.seen);

	r.has_ts = true;
	r.ts = now - 30;
	assert_int_equal(record_fresh_accept(&f, &r, now, &flags, &e), 0);
	assert_int_equal(flags, 0);
	/* The same record read again at the next refresh. */
	assert_int_equal(record_fresh_accept(&f, &r, now + 60, &flags, &e), 0);
	r.ts = now;
	assert_int_equal(record_fresh_accept(&f, &r, now, &flags, &e), 0);
	/* A replay of the older one. */
	r.ts = now - 30;
	flags = 77;
	assert_int_equal(record_fresh_accept(&f, &r, now, &flags, &e), -ESTALE);
	assert_int_equal(flags, 77);
	assert_non_null(strstr(e.msg, "older"));
	assert_int_equal(f.newest_ts, now);
	/* No ts still passes (a stunmesh-go node took over the key). */
	r.has_ts = false;
	assert_int_equal(record_fresh_accept(&f, &r, now, &flags, &e), 0);
	/* Far future: accepted and flagged; within the slack: not flagged. */
	r.has_ts = true;
	r.ts = now + RECORD_FUTURE_SLACK_SEC;
	assert_int_equal(record_fresh_accept(&f, &r, now, &flags, &e), 0);
	assert_int_equal(flags, 0);
	r.ts = now + RECORD_FUTURE_SLACK_SEC + 1;
	assert_int_equal(record_fresh_accept(&f, &r, now, &flags, &e), 0);
	assert_int_equal(flags, RECORD_FRESH_FUTURE);
}

/* A replayed older record, end to end: sealed, opened, refused by freshness. */
static void test_replay_end_to_end(void **state)
{
	struct record_fresh f = { 0 };
	struct record r, got;
	struct errbuf e = { "" };
	char *old_hex = NULL, *new_hex = NULL;
	unsigned flags;

	(void)state;
	memset(&r, 0, sizeof(r));
	sa4(&r.ipv4, "203.0.113.7", 1000);
	r.has_ts = true;
	r.ts = 1000;
	assert_int_equal(record_seal(&r, peer_pub, dev_priv, &old_hex, &e), 0);
	sa4(&r.ipv4, "203.0.113.8", 1001);
	r.ts = 2000;
	assert_int_equal(record_seal(&r, peer_pub, dev_priv, &new_hex, &e), 0);

	assert_int_equal(record_open(new_hex, strlen(new_hex), dev_pub, peer_priv, &got, &e), 0);
	assert_int_equal(record_fresh_accept(&f, &got, 2000, &flags, &e), 0);
	assert_int_equal(record_open(old_hex, strlen(old_hex), dev_pub, peer_priv, &got, &e), 0);
	assert_int_equal(record_fresh_accept(&f, &got, 2000, &flags, &e), -ESTALE);
	free(old_hex);
	free(new_hex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_keys),
		cmocka_unit_test(test_storage_keys),
		cmocka_unit_test(test_vectors_open),
		cmocka_unit_test(test_vectors_seal),
		cmocka_unit_test(test_vectors_parse),
		cmocka_unit_test(test_json_build),
		cmocka_unit_test(test_json_nat),
		cmocka_unit_test(test_own_round_trip),
		cmocka_unit_test(test_json_parse_rules),
		cmocka_unit_test(test_malformed_values),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_freshness),
		cmocka_unit_test(test_replay_end_to_end),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
