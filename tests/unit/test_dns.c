/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The stub resolver's pure parts: DNS query building, the answer parser (CNAME chains,
 * compression, hostile messages), resolv.conf and hosts lines. Messages are written out
 * byte by byte here, independently of the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "proto/dns.h"
#include "proto/resolvconf.h"

/* A message under construction. */
struct msg {
	uint8_t b[1024];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put8(struct msg *m, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(m, &b, 1);
}

static void put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* "a.b.c" as labels, root included. */
static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, (unsigned)l);
		put(m, name, l);
		name += l + (dot ? 1 : 0);
	}
	put8(m, 0);
}

/* Header with QR, RD, RA and rcode, then the question. */
static void header(struct msg *m, uint16_t id, unsigned flags_lo, unsigned rcode, unsigned qd,
		   unsigned an, const char *qname, unsigned qtype)
{
	m->n = 0;
	put16(m, id);
	put8(m, 0x81 | (flags_lo & 0x02)); /* QR, RD, and TC when flags_lo has 0x02 */
	put8(m, 0x80 | rcode);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	if (qd) {
		put_name(m, qname);
		put16(m, qtype);
		put16(m, DNS_CLASS_IN);
	}
}

/* An answer record whose owner is a pointer to offset owner_ptr. */
static void rr_ptr(struct msg *m, unsigned owner_ptr, unsigned type, const void *rdata,
		   size_t rdlen)
{
	put16(m, 0xc000 | owner_ptr);
	put16(m, type);
	put16(m, DNS_CLASS_IN);
	put32(m, 300);
	put16(m, (unsigned)rdlen);
	put(m, rdata, rdlen);
}

static const uint8_t A1[4] = { 192, 0, 2, 10 }, A2[4] = { 192, 0, 2, 11 };

static void assert_v4(const union sm_addr *a, const char *ip)
{
	char buf[INET_ADDRSTRLEN];

	assert_int_equal(a->sa.sa_family, AF_INET);
	inet_ntop(AF_INET, &a->in.sin_addr, buf, sizeof(buf));
	assert_string_equal(buf, ip);
}

static void test_query(void **state)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		4, 's', 't', 'u', 'n', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
		0, 28, 0, 1,
	};
	uint8_t b[DNS_QUERY_MAX], w[DNS_WIRE_NAME_MAX];
	char longest[DNS_NAME_MAX + 2], label64[70];
	size_t len;

	(void)state;
	assert_int_equal(dns_build_query(b, sizeof(b), 0x1234, "stun.example.org", DNS_TYPE_AAAA,
					 &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	/* A trailing dot is the same name. */
	assert_int_equal(dns_build_query(b, sizeof(b), 0x1234, "stun.example.org.", DNS_TYPE_AAAA,
					 &len), 0);
	assert_memory_equal(b, want, sizeof(want));

	assert_int_equal(dns_name_to_wire("", w, sizeof(w), &len), -EINVAL);
	assert_int_equal(dns_name_to_wire(".", w, sizeof(w), &len), -EINVAL);
	assert_int_equal(dns_name_to_wire("a..b", w, sizeof(w), &len), -EINVAL);
	assert_int_equal(dns_name_to_wire("a..", w, sizeof(w), &len), -EINVAL);
	assert_int_equal(dns_name_to_wire(".a", w, sizeof(w), &len), -EINVAL);
	assert_int_equal(dns_name_to_wire("a b", w, sizeof(w), &len), -EINVAL);
	assert_int_equal(dns_name_to_wire("a\x7f", w, sizeof(w), &len), -EINVAL);
	memset(label64, 'x', 64);
	label64[64] = '\0';
	assert_int_equal(dns_name_to_wire(label64, w, sizeof(w), &len), -EINVAL);
	label64[63] = '\0';
	assert_int_equal(dns_name_to_wire(label64, w, sizeof(w), &len), 0);
	assert_int_equal(len, 65);
	/* 253 characters is the most a name has; 254 is refused. */
	for (size_t i = 0; i < DNS_NAME_MAX; i++)
		longest[i] = i % 2 ? '.' : 'a';
	longest[DNS_NAME_MAX] = '\0';
	assert_int_equal(dns_name_to_wire(longest, w, sizeof(w), &len), 0);
	assert_int_equal(len, DNS_WIRE_NAME_MAX);
	longest[DNS_NAME_MAX] = 'b';
	longest[DNS_NAME_MAX + 1] = '\0';
	assert_int_equal(dns_name_to_wire(longest, w, sizeof(w), &len), -EINVAL);
	/* Too small a buffer is refused, not overrun. */
	assert_int_equal(dns_build_query(b, 20, 1, "stun.example.org", DNS_TYPE_A, &len), -EINVAL);
}

static void test_answers(void **state)
{
	struct dns_answer a;
	struct errbuf e = { "" };
	struct msg m;
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	(void)state;
	/* Two A records for the question name (compressed owner). */
	header(&m, 7, 0, 0, 1, 2, "stun.example.org", DNS_TYPE_A);
	rr_ptr(&m, 12, DNS_TYPE_A, A1, 4);
	rr_ptr(&m, 12, DNS_TYPE_A, A2, 4);
	assert_int_equal(dns_parse_response(m.b, m.n, 7, "stun.example.org", DNS_TYPE_A, &a, &e), 0);
	assert_int_equal(a.rcode, DNS_NOERROR);
	assert_int_equal(a.n_addrs, 2);
	assert_v4(&a.addrs[0], "192.0.2.10");
	assert_v4(&a.addrs[1], "192.0.2.11");
	assert_false(a.truncated);
	/* The question's case does not matter. */
	assert_int_equal(dns_parse_response(m.b, m.n, 7, "STUN.Example.ORG.", DNS_TYPE_A, &a, &e), 0);
	assert_int_equal(a.n_addrs, 2);

	/* AAAA. */
	v6[15] = 1;
	header(&m, 8, 0, 0, 1, 1, "stun.example.org", DNS_TYPE_AAAA);
	rr_ptr(&m, 12, DNS_TYPE_AAAA, v6, 16);
	assert_int_equal(dns_parse_response(m.b, m.n, 8, "stun.example.org", DNS_TYPE_AAAA, &a, &e),
			 0);
	assert_int_equal(a.n_addrs, 1);
	assert_int_equal(a.addrs[0].sa.sa_family, AF_INET6);
	assert_memory_equal(&a.addrs[0].in6.sin6_addr, v6, 16);

	/* Records of another type, or for another name, are not ours. */
	header(&m, 9, 0, 0, 1, 1, "stun.example.org", DNS_TYPE_A);
	rr_ptr(&m, 12, DNS_TYPE_AAAA, v6, 16);
	assert_int_equal(dns_parse_response(m.b, m.n, 9, "stun.example.org", DNS_TYPE_A, &a, &e), 0);
	assert_int_equal(a.n_addrs, 0);
	header(&m, 9, 0, 0, 1, 1, "stun.example.org", DNS_TYPE_A);
	put_name(&m, "other.example.org");
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 1);
	put16(&m, 4);
	put(&m, A1, 4);
	assert_int_equal(dns_parse_response(m.b, m.n, 9, "stun.example.org", DNS_TYPE_A, &a, &e), 0);
	assert_int_equal(a.n_addrs, 0);
	/* Another class. */
	header(&m, 9, 0, 0, 1, 1, "stun.example.org", DNS_TYPE_A);
	put16(&m, 0xc00c);
	put16(&m, DNS_TYPE_A);
	put16(&m, 3); /* CH */
	put32(&m, 1);
	put16(&m, 4);
	put(&m, A1, 4);
	assert_int_equal(dns_parse_response(m.b, m.n, 9, "stun.example.org", DNS_TYPE_A, &a, &e), 0);
	assert_int_equal(a.n_addrs, 0);

	/* NXDOMAIN is an answer, with no addresses. */
	header(&m, 10, 0, DNS_NXDOMAIN, 1, 0, "nx.example.org", DNS_TYPE_A);
	assert_int_equal(dns_parse_response(m.b, m.n, 10, "nx.example.org", DNS_TYPE_A, &a, &e), 0);
	assert_int_equal(a.rcode, DNS_NXDOMAIN);
	assert_int_equal(a.n_addrs, 0);
	/* SERVFAIL without the question counts (by id). NXDOMAIN without it does not. */
	header(&m, 11, 0, DNS_SERVFAIL, 0, 0, NULL, 0);
	assert_int_equal(dns_parse_response(m.b, m.n, 11, "stun.example.org", DNS_TYPE_A, &a, &e), 0);
	assert_int_equal(a.rcode, DNS_SERVFAIL);
	header(&m, 11, 0, DNS_NXDOMAIN, 0, 0, NULL, 0);
	assert_int_equal(dns_parse_response(m.b, m.n, 11, "stun.example.org", DNS_TYPE_A, &a, &e),
			 -EBADMSG);
}

static void test_cnames(void **state)
{
	struct dns_answer a;
	struct errbuf e = { "" };
	struct msg m;
	size_t target;

	(void)state;
	/* stun.example.org CNAME edge.cdn.example.net (written out), which has two A
	 * records, the second owner compressed to the CNAME's target. */
	header(&m, 1, 0, 0, 1, 3, "stun.example.org", DNS_TYPE_A);
	put16(&m, 0xc00c);
	put16(&m, DNS_TYPE_CNAME);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 60);
	put16(&m, 22); /* 4 edge 3 cdn 7 example 3 net 0 */
	target = m.n;
	put_name(&m, "edge.cdn.example.net");
	rr_ptr(&m, (unsigned)target, DNS_TYPE_A, A2, 4);
	/* the target written out again, in other case: names compare case-insensitively */
	put_name(&m, "EDGE.cdn.example.net");
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 60);
	put16(&m, 4);
	put(&m, A1, 4);
	assert_int_equal(dns_parse_response(m.b, m.n, 1, "stun.example.org", DNS_TYPE_A, &a, &e), 0);
	assert_int_equal(a.cnames, 1);
	assert_int_equal(a.n_addrs, 2);
	assert_v4(&a.addrs[0], "192.0.2.11");
	assert_v4(&a.addrs[1], "192.0.2.10");

	/* A CNAME whose target has no record here: no address (the caller asks again or
	 * gives up). */
	header(&m, 2, 0, 0, 1, 1, "stun.example.org", DNS_TYPE_A);
	put16(&m, 0xc00c);
	put16(&m, DNS_TYPE_CNAME);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 60);
	put16(&m, 22);
	put_name(&m, "edge.cdn.example.net");
	assert_int_equal(dns_parse_response(m.b, m.n, 2, "stun.example.org", DNS_TYPE_A, &a, &e), 0);
	assert_int_equal(a.n_addrs, 0);
	assert_int_equal(a.cnames, 1);

	/* A loop of CNAMEs ends with an error, not a hang. */
	header(&m, 3, 0, 0, 1, 2, "a.example", DNS_TYPE_A);
	put16(&m, 0xc00c);
	put16(&m, DNS_TYPE_CNAME);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 60);
	put16(&m, 11);
	target = m.n;
	put_name(&m, "b.example");
	rr_ptr(&m, (unsigned)target, DNS_TYPE_CNAME, "\xc0\x0c", 2);
	assert_int_equal(dns_parse_response(m.b, m.n, 3, "a.example", DNS_TYPE_A, &a, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "CNAME"));
}

static void test_hostile(void **state)
{
	struct dns_answer a;
	struct errbuf e = { "" };
	struct msg m;

	(void)state;
	header(&m, 5, 0, 0, 1, 1, "stun.example.org", DNS_TYPE_A);
	rr_ptr(&m, 12, DNS_TYPE_A, A1, 4);
	/* Not ours: another id, a query, another question, another type. */
	assert_int_equal(dns_parse_response(m.b, m.n, 6, "stun.example.org", DNS_TYPE_A, &a, &e),
			 -EBADMSG);
	assert_int_equal(dns_parse_response(m.b, m.n, 5, "stun.example.com", DNS_TYPE_A, &a, &e),
			 -EBADMSG);
	assert_int_equal(dns_parse_response(m.b, m.n, 5, "stun.example.org", DNS_TYPE_AAAA, &a, &e),
			 -EBADMSG);
	m.b[2] &= 0x7f;
	assert_int_equal(dns_parse_response(m.b, m.n, 5, "stun.example.org", DNS_TYPE_A, &a, &e),
			 -EBADMSG);
	m.b[2] |= 0x80;
	/* Every cut of it is refused without reading past the end. */
	for (size_t n = 0; n < m.n; n++)
		assert_int_equal(dns_parse_response(m.b, n, 5, "stun.example.org", DNS_TYPE_A, &a, &e),
				 -EBADMSG);
	/* Cut inside the answer with TC set: what is complete is kept (nothing here). */
	m.b[2] |= 0x02;
	assert_int_equal(dns_parse_response(m.b, m.n - 2, 5, "stun.example.org", DNS_TYPE_A, &a, &e),
			 0);
	assert_true(a.truncated);
	assert_int_equal(a.n_addrs, 0);
	m.b[2] &= (uint8_t)~0x02;
	/* An A record of 5 bytes. */
	header(&m, 5, 0, 0, 1, 1, "stun.example.org", DNS_TYPE_A);
	rr_ptr(&m, 12, DNS_TYPE_A, "\1\2\3\4\5", 5);
	assert_int_equal(dns_parse_response(m.b, m.n, 5, "stun.example.org", DNS_TYPE_A, &a, &e),
			 -EBADMSG);
	/* Compression pointers: to itself, forwards, and into a pointer chain. */
	header(&m, 5, 0, 0, 1, 1, "x", DNS_TYPE_A);
	put16(&m, 0xc000 | (unsigned)m.n);
	assert_int_equal(dns_parse_response(m.b, m.n, 5, "x", DNS_TYPE_A, &a, &e), -EBADMSG);
	header(&m, 5, 0, 0, 1, 1, "x", DNS_TYPE_A);
	put16(&m, 0xc000 | (unsigned)(m.n + 2));
	put8(&m, 0);
	assert_int_equal(dns_parse_response(m.b, m.n, 5, "x", DNS_TYPE_A, &a, &e), -EBADMSG);
	/* The question itself compressed into the header. */
	m.n = 0;
	put16(&m, 5);
	put16(&m, 0x8180);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 0);
	put16(&m, 0);
	put16(&m, 0xc004);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	assert_int_equal(dns_parse_response(m.b, m.n, 5, "x", DNS_TYPE_A, &a, &e), -EBADMSG);
	/* Extended label types (0x40, 0x80). */
	header(&m, 5, 0, 0, 1, 0, "x", DNS_TYPE_A);
	m.b[12] = 0x41;
	assert_int_equal(dns_parse_response(m.b, m.n, 5, "x", DNS_TYPE_A, &a, &e), -EBADMSG);
	/* Two questions. */
	header(&m, 5, 0, 0, 1, 0, "x", DNS_TYPE_A);
	m.b[5] = 2;
	assert_int_equal(dns_parse_response(m.b, m.n, 5, "x", DNS_TYPE_A, &a, &e), -EBADMSG);
}

static void test_resolv_conf(void **state)
{
	static const char text[] =
		"# written by a DHCP client\r\n"
		"nameserver 192.0.2.53\r\n"
		"; another comment\n"
		"nameserver   2001:db8::53   # trailing words are ignored\n"
		"nameserver not-an-address\n"
		"nameserver 192.0.2.54\n"
		"nameserver 192.0.2.55\n" /* a fourth: MAXNS is 3 */
		"domain first.example\n"
		"search example.org. lab.example  x..y\n"
		"options ndots:3 timeout:99 attempts:0 rotate edns0\n"
		"options ndots:x\n"
		"nameserver";
	struct resolv_conf c;
	char buf[64];

	(void)state;
	resolv_conf_parse(text, strlen(text), &c);
	assert_int_equal(c.n_ns, 3);
	assert_string_equal(addr_format(&c.ns[0], buf, sizeof(buf)), "192.0.2.53:0");
	assert_string_equal(addr_format(&c.ns[1], buf, sizeof(buf)), "[2001:db8::53]:0");
	assert_string_equal(addr_format(&c.ns[2], buf, sizeof(buf)), "192.0.2.54:0");
	/* search replaced domain; trailing dots dropped, a bad name skipped */
	assert_int_equal(c.n_search, 2);
	assert_string_equal(c.search[0], "example.org");
	assert_string_equal(c.search[1], "lab.example");
	assert_int_equal(c.ndots, 3);
	assert_int_equal(c.timeout, 30);
	assert_int_equal(c.attempts, 1);

	/* Nothing usable: the defaults, with the local name server. */
	resolv_conf_parse("search\nnameserver ::zz\n", 22, &c);
	assert_int_equal(c.n_ns, 1);
	assert_string_equal(addr_format(&c.ns[0], buf, sizeof(buf)), "127.0.0.1:0");
	assert_int_equal(c.n_search, 0);
	assert_int_equal(c.ndots, 1);
	assert_int_equal(c.timeout, 5);
	assert_int_equal(c.attempts, 2);
	/* Not NUL-terminated: only len counts. */
	resolv_conf_parse("nameserver 192.0.2.1XYZ", 20, &c);
	assert_string_equal(addr_format(&c.ns[0], buf, sizeof(buf)), "192.0.2.1:0");
	/* domain after search wins */
	resolv_conf_parse("search a.example b.example\ndomain c.example\n", 44, &c);
	assert_int_equal(c.n_search, 1);
	assert_string_equal(c.search[0], "c.example");
}

static void test_hosts_lines(void **state)
{
	union sm_addr a;
	char buf[64];

	(void)state;
	assert_true(hosts_line_match("192.0.2.7\tstun stun.lab.example # lab", 36, "stun", AF_INET,
				     &a));
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "192.0.2.7:0");
	assert_true(hosts_line_match("192.0.2.7 stun stun.lab.example", 31, "STUN.Lab.Example.",
				     AF_INET, &a));
	assert_false(hosts_line_match("192.0.2.7 stun", 14, "stun", AF_INET6, &a));
	assert_true(hosts_line_match("2001:db8::7 stun", 16, "stun", AF_INET6, &a));
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "[2001:db8::7]:0");
	assert_false(hosts_line_match("2001:db8::7 stun", 16, "stun", AF_INET, &a));
	/* commented out, only an address, garbage, a name that only starts the same */
	assert_false(hosts_line_match("#192.0.2.7 stun", 15, "stun", AF_INET, &a));
	assert_false(hosts_line_match("192.0.2.7 # stun", 16, "stun", AF_INET, &a));
	assert_false(hosts_line_match("192.0.2.7", 9, "stun", AF_INET, &a));
	assert_false(hosts_line_match("stun 192.0.2.7", 14, "stun", AF_INET, &a));
	assert_false(hosts_line_match("192.0.2.7 stunx", 15, "stun", AF_INET, &a));
	assert_false(hosts_line_match("", 0, "stun", AF_INET, &a));
	/* only len counts */
	assert_false(hosts_line_match("192.0.2.7 stun", 13, "stun", AF_INET, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_cnames),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_resolv_conf),
		cmocka_unit_test(test_hosts_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
