/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The discovery policy on a fake clock and a fake transport: retransmission schedule,
 * server order, which replies count, error text, query-all mode. No sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "net/discover.h"

#define MS 1000

struct fake_io {
	union sm_addr dst[32];
	uint8_t txid[32][STUN_TXID_LEN];
	size_t n;
	int fail_with; /* returned by send when != 0 */
};

static int fake_send(void *ctx, const struct sockaddr *dst, const uint8_t *buf, size_t len,
		     struct errbuf *e)
{
	struct fake_io *f = ctx;

	assert_int_equal(len, STUN_BINDING_REQUEST_LEN);
	if (f->fail_with)
		return err_set(e, f->fail_with, "fake failure %d", f->fail_with);
	assert_true(f->n < 32);
	memset(&f->dst[f->n], 0, sizeof(f->dst[f->n]));
	memcpy(&f->dst[f->n], dst,
	       dst->sa_family == AF_INET ? sizeof(struct sockaddr_in)
					 : sizeof(struct sockaddr_in6));
	memcpy(f->txid[f->n], buf + 8, STUN_TXID_LEN);
	f->n++;
	return 0;
}

static union sm_addr addr(const char *ip, uint16_t port)
{
	union sm_addr ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
	}
	return ss;
}

/* A Binding success response carrying XOR-MAPPED-ADDRESS of an IPv4 mapped address. */
static size_t response(uint8_t *b, const uint8_t txid[12], const char *ip, uint16_t port)
{
	struct in_addr a;
	uint16_t xp = port ^ 0x2112;

	inet_pton(AF_INET, ip, &a);
	memset(b, 0, 32);
	b[0] = 0x01;
	b[1] = 0x01;
	b[3] = 12;
	b[4] = 0x21;
	b[5] = 0x12;
	b[6] = 0xa4;
	b[7] = 0x42;
	memcpy(b + 8, txid, 12);
	b[21] = 0x20;
	b[23] = 8;
	b[25] = 1;
	b[26] = (uint8_t)(xp >> 8);
	b[27] = (uint8_t)xp;
	memcpy(b + 28, &a, 4);
	for (int i = 0; i < 4; i++)
		b[28 + i] ^= b[4 + i];
	return 32;
}

static void start(struct discover *d, struct fake_io *f, char *const *servers, size_t n,
		  bool all)
{
	struct discover_io io = { .send = fake_send, .ctx = f };
	struct discover_params p;
	struct errbuf e = { "" };

	discover_params_default(&p);
	p.query_all = all;
	memset(f, 0, sizeof(*f));
	assert_int_equal(discover_start(d, servers, n, AF_INET, 51820, 0, &p, &io, NULL, 0, &e),
			 0);
	assert_int_equal(discover_fd(d), -1);
}

static void test_first_answers(void **state)
{
	char *sv[] = { "203.0.113.10:3478", "198.51.100.10:3478" };
	struct discover d;
	struct fake_io f;
	union sm_addr from = addr("203.0.113.10", 3478), m;
	uint8_t b[64];
	char s[64];
	size_t len;

	(void)state;
	start(&d, &f, sv, 2, false);
	assert_int_equal(f.n, 1);
	assert_true(addr_equal(&f.dst[0], &from));
	assert_int_equal(discover_next_timeout(&d), 250 * MS);
	assert_int_equal(discover_result(&d, &m), -EINPROGRESS);

	len = response(b, f.txid[0], "203.0.113.1", 40000);
	discover_feed(&d, &from, b, len, 12 * MS);
	assert_true(discover_done(&d));
	assert_int_equal(discover_result(&d, &m), 0);
	addr_format(&m, s, sizeof(s));
	assert_string_equal(s, "203.0.113.1:40000");
	assert_int_equal(d.servers[0].state, DS_OK);
	assert_int_equal(d.servers[0].rtt_us, 12 * MS);
	assert_int_equal(d.servers[1].state, DS_SKIPPED);
	assert_int_equal(discover_next_timeout(&d), INT64_MAX);
	assert_int_equal(f.n, 1);
	discover_free(&d);
}

static void test_schedule_and_failover(void **state)
{
	char *sv[] = { "203.0.113.10:3478", "198.51.100.10:3479" };
	static const int64_t sends_at[] = { 0, 250, 750, 1750 };
	struct discover d;
	struct fake_io f;
	union sm_addr second = addr("198.51.100.10", 3479), m;
	uint8_t b[64];

	(void)state;
	start(&d, &f, sv, 2, false);
	/* 250 ms doubling, the same transaction id each time, then 1.25 s more. */
	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(discover_next_timeout(&d), sends_at[i] * MS);
		/* an early wake-up sends nothing */
		discover_on_timeout(&d, sends_at[i] * MS - 1);
		assert_int_equal(f.n, i);
		discover_on_timeout(&d, sends_at[i] * MS);
		assert_int_equal(f.n, i + 1);
		assert_memory_equal(f.txid[i], f.txid[0], STUN_TXID_LEN);
	}
	assert_int_equal(discover_next_timeout(&d), 3000 * MS);
	discover_on_timeout(&d, 3000 * MS);
	assert_int_equal(d.servers[0].state, DS_FAILED);
	assert_string_equal(d.servers[0].error, "no answer to 4 requests in 3.0 s");
	/* The second server is asked at once, with a fresh transaction id. */
	assert_int_equal(f.n, 5);
	assert_true(addr_equal(&f.dst[4], &second));
	assert_memory_not_equal(f.txid[4], f.txid[0], STUN_TXID_LEN);
	/* A late answer from the first server does not count any more. */
	response(b, f.txid[0], "203.0.113.1", 51820);
	{
		union sm_addr first = addr("203.0.113.10", 3478);

		discover_feed(&d, &first, b, 32, 3001 * MS);
	}
	assert_false(discover_done(&d));
	for (int64_t t = 3000; discover_next_timeout(&d) != INT64_MAX;)
		discover_on_timeout(&d, t = discover_next_timeout(&d) / MS * MS);
	assert_true(discover_done(&d));
	assert_int_equal(f.n, 8);
	assert_int_equal(discover_result(&d, &m), -EHOSTUNREACH);
	assert_string_equal(discover_error(&d),
			    "no STUN server answered over IPv4: 203.0.113.10:3478: no answer to "
			    "4 requests in 3.0 s; 198.51.100.10:3479: no answer to 4 requests "
			    "in 3.0 s");
	discover_free(&d);
}

static void test_only_the_right_reply(void **state)
{
	char *sv[] = { "203.0.113.10:3478" };
	struct discover d;
	struct fake_io f;
	union sm_addr srv = addr("203.0.113.10", 3478);
	union sm_addr wrong_port = addr("203.0.113.10", 3479);
	union sm_addr wrong_ip = addr("203.0.113.11", 3478), m;
	uint8_t b[64], other[12];
	char s[64];

	(void)state;
	start(&d, &f, sv, 1, false);
	discover_on_timeout(&d, 250 * MS);
	assert_int_equal(f.n, 2);
	/* Spoofed sources and foreign transactions are dropped; the wait goes on. */
	response(b, f.txid[0], "198.51.100.66", 1);
	discover_feed(&d, &wrong_port, b, 32, 300 * MS);
	discover_feed(&d, &wrong_ip, b, 32, 300 * MS);
	memcpy(other, f.txid[0], 12);
	other[0] ^= 1;
	response(b, other, "198.51.100.66", 1);
	discover_feed(&d, &srv, b, 32, 300 * MS);
	discover_feed(&d, &srv, b, 19, 300 * MS);
	assert_false(discover_done(&d));
	assert_int_equal(discover_next_timeout(&d), 750 * MS);

	response(b, f.txid[0], "192.0.2.77", 51820);
	discover_feed(&d, &srv, b, 32, 400 * MS);
	assert_int_equal(discover_result(&d, &m), 0);
	addr_format(&m, s, sizeof(s));
	assert_string_equal(s, "192.0.2.77:51820");
	/* RTT from the latest transmission (at 250 ms). */
	assert_int_equal(d.servers[0].rtt_us, 150 * MS);
	discover_free(&d);
}

static void test_error_response_moves_on(void **state)
{
	char *sv[] = { "203.0.113.10:3478", "198.51.100.10:3478" };
	struct discover d;
	struct fake_io f;
	union sm_addr srv = addr("203.0.113.10", 3478);
	uint8_t b[64] = { 0x01, 0x11, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42 };
	static const uint8_t ec[12] = { 0x00, 0x09, 0x00, 0x08, 0, 0, 5, 0, 'B', 'u', 's', 'y' };

	(void)state;
	start(&d, &f, sv, 2, false);
	memcpy(b + 8, f.txid[0], 12);
	memcpy(b + 20, ec, sizeof(ec));
	discover_feed(&d, &srv, b, 32, 5 * MS);
	assert_int_equal(d.servers[0].state, DS_FAILED);
	assert_string_equal(d.servers[0].error, "error 500 Busy");
	assert_int_equal(f.n, 2);
	assert_int_equal(d.cur, 1);
	discover_free(&d);
}

static void test_query_all(void **state)
{
	char *sv[] = { "203.0.113.10:3478", "198.51.100.10:3478", "203.0.113.20:3478" };
	struct discover d;
	struct fake_io f;
	union sm_addr s0 = addr("203.0.113.10", 3478);
	union sm_addr s1 = addr("198.51.100.10", 3478), m;
	uint8_t b[64];
	char s[64];

	(void)state;
	start(&d, &f, sv, 3, true);
	response(b, f.txid[0], "203.0.113.1", 1000);
	discover_feed(&d, &s0, b, 32, 1 * MS);
	assert_false(discover_done(&d));
	assert_int_equal(f.n, 2);
	response(b, f.txid[1], "203.0.113.1", 2000);
	discover_feed(&d, &s1, b, 32, 2 * MS);
	assert_false(discover_done(&d));
	while (!discover_done(&d))
		discover_on_timeout(&d, discover_next_timeout(&d));
	assert_int_equal(d.answered, 2);
	assert_int_equal(d.servers[2].state, DS_FAILED);
	/* The result is the first answer; the others stay readable for diagnostics. */
	assert_int_equal(discover_result(&d, &m), 0);
	addr_format(&m, s, sizeof(s));
	assert_string_equal(s, "203.0.113.1:1000");
	addr_format(&d.servers[1].mapped, s, sizeof(s));
	assert_string_equal(s, "203.0.113.1:2000");
	assert_string_equal(discover_error(&d), "");
	discover_free(&d);
}

static void test_bad_specs_and_families(void **state)
{
	char *bad[] = { "203.0.113.10" };
	char *bad2[] = { "2001:db8::1:3478" };
	char *bad3[] = { "203.0.113.10:0" };
	char *mixed[] = { "[2001:db8::10]:3478", "203.0.113.10:3478" };
	struct discover_io io = { .send = fake_send };
	struct discover d;
	struct fake_io f;
	struct errbuf e = { "" };

	(void)state;
	memset(&f, 0, sizeof(f));
	io.ctx = &f;
	assert_int_equal(discover_start(&d, bad, 1, AF_INET, 51820, 0, NULL, &io, NULL, 0, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "missing port"));
	assert_int_equal(discover_start(&d, bad2, 1, AF_INET, 51820, 0, NULL, &io, NULL, 0, &e),
			 -EINVAL);
	assert_int_equal(discover_start(&d, bad3, 1, AF_INET, 51820, 0, NULL, &io, NULL, 0, &e),
			 -EINVAL);
	assert_int_equal(discover_start(&d, mixed, 0, AF_INET, 51820, 0, NULL, &io, NULL, 0, &e),
			 -EINVAL);

	/* An IPv6 literal in an IPv4 discovery fails that server, not the run. */
	assert_int_equal(discover_start(&d, mixed, 2, AF_INET, 51820, 0, NULL, &io, NULL, 0, &e),
			 0);
	assert_int_equal(d.servers[0].state, DS_FAILED);
	assert_string_equal(d.servers[0].error, "2001:db8::10 is not an IPv4 address");
	assert_int_equal(f.n, 1);
	discover_free(&d);

	/* A send that fails hard (no route) moves on at once. */
	memset(&f, 0, sizeof(f));
	f.fail_with = -ENETUNREACH;
	assert_int_equal(discover_start(&d, mixed, 2, AF_INET, 51820, 0, NULL, &io, NULL, 0, &e),
			 0);
	assert_true(discover_done(&d));
	assert_non_null(strstr(discover_error(&d), "203.0.113.10:3478: sending: fake failure"));
	assert_non_null(strstr(discover_error(&d), "[2001:db8::10]:3478: 2001:db8::10 is not"));
	discover_free(&d);

	/* A full socket buffer is treated as a lost packet and retried on schedule. */
	memset(&f, 0, sizeof(f));
	f.fail_with = -EAGAIN;
	assert_int_equal(discover_start(&d, mixed + 1, 1, AF_INET, 51820, 0, NULL, &io, NULL, 0,
					&e),
			 0);
	assert_false(discover_done(&d));
	assert_int_equal(discover_next_timeout(&d), 250 * MS);
	discover_free(&d);
}

static void test_hostport(void **state)
{
	char h[64];
	uint16_t port = 0;
	struct errbuf e = { "" };

	(void)state;
	assert_int_equal(addr_split_hostport("stun.l.google.com:19302", strlen("stun.l.google.com:19302"), h, sizeof(h), &port,
						&e), 0);
	assert_string_equal(h, "stun.l.google.com");
	assert_int_equal(port, 19302);
	assert_int_equal(addr_split_hostport("[2001:db8::1]:3478", strlen("[2001:db8::1]:3478"), h, sizeof(h), &port, &e),
			 0);
	assert_string_equal(h, "2001:db8::1");
	assert_int_equal(addr_split_hostport("[2001:db8::1]", strlen("[2001:db8::1]"), h, sizeof(h), &port, &e),
			 -EINVAL);
	assert_int_equal(addr_split_hostport(":3478", strlen(":3478"), h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("a:65536", strlen("a:65536"), h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("a:-1", strlen("a:-1"), h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("a:12x", strlen("a:12x"), h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("a:", strlen("a:"), h, sizeof(h), &port, &e), -EINVAL);
	assert_int_equal(addr_split_hostport("abcdefgh:1", strlen("abcdefgh:1"), h, 8, &port, &e), -EINVAL);
}

/* A name from /etc/hosts goes through the build's resolver and the poll timer; no DNS. */
static void test_name_lookup(void **state)
{
	char *sv[] = { "localhost:3478" };
	struct discover d;
	struct fake_io f;
	union sm_addr want = addr("127.0.0.1", 3478);
	int64_t now = 0;

	(void)state;
	start(&d, &f, sv, 1, false);
	for (int i = 0; i < 2000 && f.n == 0 && !discover_done(&d); i++) {
		now = discover_next_timeout(&d);
		assert_true(now <= 5000 * MS);
		usleep(1000);
		discover_on_timeout(&d, now);
	}
	assert_int_equal(f.n, 1);
	assert_true(addr_equal(&f.dst[0], &want));
	discover_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_answers),
		cmocka_unit_test(test_schedule_and_failover),
		cmocka_unit_test(test_only_the_right_reply),
		cmocka_unit_test(test_error_response_moves_on),
		cmocka_unit_test(test_query_all),
		cmocka_unit_test(test_bad_specs_and_families),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_name_lookup),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
