/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name lookup through every backend the build has. The stub backend (built everywhere)
 * runs against name servers this test plays on loopback ports, with its own
 * resolv.conf and hosts files: answers, CNAMEs, search domains, NXDOMAIN and NODATA,
 * server failures and fail-over, lost and forged replies, timeouts, cancellation, a
 * FIFO where the hosts file should be, the fwmark. The glibc backend (getaddrinfo_a)
 * answers from /etc/hosts, and lookups abandoned while running are not leaked (the
 * sanitizer build's leak check sees them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/resolve-backend.h"
#include "net/resolve.h"
#include "net/sockopt.h"

enum ns_mode {
	NS_ANSWER,	/* A/AAAA for answer_for (any name when empty), NXDOMAIN otherwise */
	NS_CNAME,	/* a CNAME to edge.cdn.example.net and its address */
	NS_NODATA,	/* NOERROR, no records */
	NS_NXDOMAIN,
	NS_SERVFAIL,
	NS_SILENT,	/* never answers */
	NS_DROP_FIRST,	/* ignores the first query, answers the rest */
	NS_FORGE_FIRST, /* first a reply with another id and another address, then the real one */
};

struct fake_ns {
	int fd;
	enum ns_mode mode;
	char answer_for[256];
	int queries;
	char last_name[256];
	uint16_t last_type;
};

struct env {
	char dir[64], conf[96], hosts[96];
	struct fake_ns ns[2];
	uint16_t port;
	struct resolve_stub_opts opts;
};

static const uint8_t ADDR4[4] = { 198, 51, 100, 7 };
static const uint8_t FORGED4[4] = { 203, 0, 113, 66 };
static const uint8_t CDN4[4] = { 198, 51, 100, 99 };
static const uint8_t ADDR6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };

static int bind_ns(const char *ip, uint16_t port, uint16_t *got)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	*got = ntohs(sin.sin_port);
	return fd;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Two name servers on 127.0.0.1 and 127.0.0.2, the same port; files in a fresh folder. */
static struct env *env_new(const char *resolv_conf, const char *hosts)
{
	struct env *v = calloc(1, sizeof(*v));

	assert_non_null(v);
	for (int tries = 0; tries < 20; tries++) {
		uint16_t p2;

		v->ns[0].fd = bind_ns("127.0.0.1", 0, &v->port);
		v->ns[1].fd = bind_ns("127.0.0.2", v->port, &p2);
		if (v->ns[1].fd >= 0)
			break;
		close(v->ns[0].fd);
	}
	assert_true(v->ns[1].fd >= 0);
	snprintf(v->dir, sizeof(v->dir), "/tmp/sm-resolve-XXXXXX");
	assert_non_null(mkdtemp(v->dir));
	snprintf(v->conf, sizeof(v->conf), "%s/resolv.conf", v->dir);
	snprintf(v->hosts, sizeof(v->hosts), "%s/hosts", v->dir);
	write_file(v->conf, resolv_conf);
	if (hosts)
		write_file(v->hosts, hosts);
	v->opts = (struct resolve_stub_opts){ .resolv_conf = v->conf, .hosts = v->hosts,
					      .port = v->port };
	return v;
}

static void env_free(struct env *v)
{
	close(v->ns[0].fd);
	close(v->ns[1].fd);
	unlink(v->conf);
	unlink(v->hosts);
	rmdir(v->dir);
	free(v);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Appends a record owned by the name at ptr. */
static size_t rr(uint8_t *b, size_t n, unsigned ptr, unsigned type, const void *rd, size_t rdlen)
{
	put16(b + n, 0xc000 | ptr);
	put16(b + n + 2, type);
	put16(b + n + 4, 1);
	memset(b + n + 6, 0, 4);
	b[n + 9] = 60;
	put16(b + n + 10, (unsigned)rdlen);
	memcpy(b + n + 12, rd, rdlen);
	return n + 12 + rdlen;
}

/* One query in, the mode's reply out. */
static void serve_one(struct fake_ns *ns, uint8_t *q, size_t qn, const struct sockaddr *to,
		      socklen_t tl)
{
	uint8_t r[512];
	size_t p = 12, o = 0, n;
	unsigned type, rcode = 0;
	bool addr = false;

	while (p < qn && q[p]) {
		if (o)
			ns->last_name[o++] = '.';
		memcpy(ns->last_name + o, q + p + 1, q[p]);
		o += q[p];
		p += 1 + (size_t)q[p];
	}
	ns->last_name[o] = '\0';
	assert_true(p + 5 <= qn);
	type = (unsigned)(q[p + 1] << 8 | q[p + 2]);
	ns->last_type = (uint16_t)type;
	n = p + 5; /* header and question, echoed */
	if (ns->queries++ == 0 && ns->mode == NS_DROP_FIRST)
		return;
	if (ns->mode == NS_SILENT)
		return;
	memcpy(r, q, n);
	switch (ns->mode) {
	case NS_ANSWER:
	case NS_DROP_FIRST:
	case NS_FORGE_FIRST:
		if (ns->answer_for[0] && strcasecmp(ns->answer_for, ns->last_name))
			rcode = 3;
		else
			addr = true;
		break;
	case NS_CNAME: {
		static const uint8_t target[] = "\4edge\3cdn\7example\3net";

		n = rr(r, n, 12, 5, target, sizeof(target));
		if (type == 1)
			n = rr(r, n, (unsigned)(n - 12 - sizeof(target) + 12), 1, CDN4, 4);
		put16(r + 6, type == 1 ? 2 : 1);
		break;
	}
	case NS_NODATA:
		break;
	case NS_NXDOMAIN:
		rcode = 3;
		break;
	case NS_SERVFAIL:
		rcode = 2;
		break;
	case NS_SILENT:
		break;
	}
	r[2] = 0x81;
	r[3] = (uint8_t)(0x80 | rcode);
	if (addr) {
		put16(r + 6, 1);
		if (ns->mode == NS_FORGE_FIRST && ns->queries == 1) {
			uint8_t f[512];
			size_t fn = rr(r, n, 12, 1, FORGED4, 4);

			memcpy(f, r, fn);
			put16(f, (unsigned)(f[0] << 8 | f[1]) + 1);
			sendto(ns->fd, f, fn, 0, to, tl);
		}
		n = type == 1 ? rr(r, n, 12, 1, ADDR4, 4) : rr(r, n, 12, 28, ADDR6, 16);
	}
	sendto(ns->fd, r, n, 0, to, tl);
}

static void serve(struct fake_ns *ns)
{
	uint8_t q[512];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(ns->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl)) > 0) {
		serve_one(ns, q, (size_t)n, (struct sockaddr *)&from, fl);
		fl = sizeof(from);
	}
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls the lookup (and plays the servers) until it settles; at most max_ms. *took_ms
 * is the time it took by the clock (a loaded machine sleeps longer than asked). */
static int run(struct env *v, struct resolve *r, union sm_addr *out, struct errbuf *e,
	       int max_ms, int *took_ms)
{
	int64_t start = mono_ms();

	while (mono_ms() - start < max_ms) {
		int rc = resolve_poll(r, out, e);

		if (rc != -EINPROGRESS) {
			if (took_ms)
				*took_ms = (int)(mono_ms() - start);
			return rc;
		}
		if (v) {
			serve(&v->ns[0]);
			serve(&v->ns[1]);
		}
		usleep(2000);
	}
	fail_msg("lookup still running after %d ms", max_ms);
	return -ETIMEDOUT;
}

static void assert_addr(const union sm_addr *a, const char *want)
{
	char buf[ADDR_STR_LEN];

	assert_string_equal(addr_format(a, buf, sizeof(buf)), want);
}

/* Starts a stub lookup in v and runs it. */
static int stub_lookup(struct env *v, const char *host, int family, union sm_addr *out,
		       struct errbuf *e, int *took_ms)
{
	struct resolve *r = NULL;
	int64_t start = mono_ms(); /* before the lookup's own clock starts */
	int rc = resolve_start_with(&resolve_backend_stub, &v->opts, host, 3478, family, 0, &r, e);

	if (rc)
		return rc;
	rc = run(v, r, out, e, 5000, NULL);
	if (took_ms)
		*took_ms = (int)(mono_ms() - start);
	resolve_free(r);
	return rc;
}

static const char CONF2[] = "nameserver 127.0.0.1\nnameserver 127.0.0.2\n"
			    "options timeout:1 attempts:2\n";

static void test_literals(void **state)
{
	const struct resolve_backend *be = *state;
	struct resolve *r = NULL;
	struct errbuf e = { "" };
	union sm_addr a;

	assert_int_equal(resolve_start_with(be, NULL, "192.0.2.1", 3478, AF_INET, 0, &r, &e), 0);
	assert_int_equal(resolve_poll(r, &a, &e), 0);
	assert_addr(&a, "192.0.2.1:3478");
	resolve_free(r);
	assert_int_equal(resolve_start_with(be, NULL, "192.0.2.1", 3478, AF_INET6, 0, &r, &e), 0);
	assert_int_equal(resolve_poll(r, &a, &e), -ENOENT);
	assert_string_equal(e.msg, "192.0.2.1 is not an IPv6 address");
	resolve_free(r);
	assert_int_equal(resolve_start_with(be, NULL, "2001:db8::1", 3478, AF_INET6, 0, &r, &e), 0);
	assert_int_equal(resolve_poll(r, &a, &e), 0);
	assert_addr(&a, "[2001:db8::1]:3478");
	resolve_free(r);
	assert_int_equal(resolve_start_with(be, NULL, "x", 1, AF_UNIX, 0, &r, &e), -EAFNOSUPPORT);
	resolve_free(NULL);
}

static void test_stub_answers(void **state)
{
	struct env *v = env_new(CONF2, "192.0.2.77 stun.lab.example\n");
	struct errbuf e = { "" };
	union sm_addr a;

	(void)state;
	/* From the hosts file: no query at all. */
	assert_int_equal(stub_lookup(v, "STUN.lab.example", AF_INET, &a, &e, NULL), 0);
	assert_addr(&a, "192.0.2.77:3478");
	assert_int_equal(v->ns[0].queries + v->ns[1].queries, 0);
	/* A and AAAA from the name servers, asked in parallel. */
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, NULL), 0);
	assert_addr(&a, "198.51.100.7:3478");
	assert_string_equal(v->ns[0].last_name, "stun.example.org");
	assert_int_equal(v->ns[0].last_type, 1);
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET6, &a, &e, NULL), 0);
	assert_addr(&a, "[2001:db8::7]:3478");
	assert_int_equal(v->ns[1].last_type, 28);
	/* Through a CNAME. */
	v->ns[0].mode = v->ns[1].mode = NS_CNAME;
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, NULL), 0);
	assert_addr(&a, "198.51.100.99:3478");
	/* A CNAME to a name without an address of that family: none. */
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET6, &a, &e, NULL), -ENOENT);
	assert_string_equal(e.msg, "stun.example.org has no IPv6 address");
	/* NXDOMAIN and NODATA are both "no address", as getaddrinfo says. */
	v->ns[0].mode = v->ns[1].mode = NS_NXDOMAIN;
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, NULL), -ENOENT);
	assert_string_equal(e.msg, "stun.example.org has no IPv4 address");
	v->ns[0].mode = v->ns[1].mode = NS_NODATA;
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, NULL), -ENOENT);
	env_free(v);
}

static void test_stub_search(void **state)
{
	struct env *v = env_new("nameserver 127.0.0.1\nsearch lab.example\n", NULL);
	struct errbuf e = { "" };
	union sm_addr a;

	(void)state;
	/* No dot (fewer than ndots:1): the search domain first. */
	snprintf(v->ns[0].answer_for, sizeof(v->ns[0].answer_for), "stun.lab.example");
	assert_int_equal(stub_lookup(v, "stun", AF_INET, &a, &e, NULL), 0);
	assert_int_equal(v->ns[0].queries, 1);
	assert_string_equal(v->ns[0].last_name, "stun.lab.example");
	/* A dot: as it is first (NXDOMAIN here), then with the search domain. */
	v->ns[0].queries = 0;
	snprintf(v->ns[0].answer_for, sizeof(v->ns[0].answer_for), "stun.site.lab.example");
	assert_int_equal(stub_lookup(v, "stun.site", AF_INET, &a, &e, NULL), 0);
	assert_int_equal(v->ns[0].queries, 2);
	/* A trailing dot: only as it is. */
	v->ns[0].queries = 0;
	assert_int_equal(stub_lookup(v, "stun.site.", AF_INET, &a, &e, NULL), -ENOENT);
	assert_int_equal(v->ns[0].queries, 1);
	assert_string_equal(v->ns[0].last_name, "stun.site");
	env_free(v);
}

static void test_stub_failures(void **state)
{
	struct env *v = env_new(CONF2, NULL);
	struct errbuf e = { "" };
	union sm_addr a;
	int took;

	(void)state;
	/* One server fails, the other answers. */
	v->ns[0].mode = NS_SERVFAIL;
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, NULL), 0);
	assert_addr(&a, "198.51.100.7:3478");
	/* Both fail: a temporary error that says why. */
	v->ns[1].mode = NS_SERVFAIL;
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, NULL), -EHOSTUNREACH);
	assert_string_equal(e.msg, "resolving stun.example.org: the name server answered SERVFAIL");
	/* A first reply lost: the query goes again after timeout/attempts (500 ms). */
	v->ns[0].mode = v->ns[1].mode = NS_DROP_FIRST;
	v->ns[0].queries = v->ns[1].queries = 0;
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, &took), 0);
	assert_int_equal(v->ns[0].queries, 2);
	assert_true(took >= 500);
	/* A forged reply (another id, another address) first: ignored. */
	v->ns[0].mode = NS_FORGE_FIRST;
	v->ns[1].mode = NS_SILENT;
	v->ns[0].queries = 0;
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, NULL), 0);
	assert_addr(&a, "198.51.100.7:3478");
	/* Nobody answers: after the timeout (1 s), with both attempts sent. */
	v->ns[0].mode = v->ns[1].mode = NS_SILENT;
	v->ns[0].queries = 0;
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, &took), -EHOSTUNREACH);
	assert_string_equal(e.msg, "resolving stun.example.org: no answer from the name servers");
	assert_int_equal(v->ns[0].queries, 2);
	assert_true(took >= 1000);
	env_free(v);
}

/* A server that is not there is known at once (ICMP port unreachable on a connected
 * socket); the next one is used. */
static void test_stub_refused(void **state)
{
	struct env *v = env_new("nameserver 127.0.0.3\noptions timeout:5\n", NULL);
	struct errbuf e = { "" };
	union sm_addr a;
	int took;

	(void)state;
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, &took), -EHOSTUNREACH);
	assert_non_null(strstr(e.msg, "name server 127.0.0.3:"));
	assert_non_null(strstr(e.msg, strerror(ECONNREFUSED)));
	assert_true(took < 4000); /* at once, not after the 5 s timeout */
	write_file(v->conf, "nameserver 127.0.0.3\nnameserver 127.0.0.1\noptions timeout:5\n");
	assert_int_equal(stub_lookup(v, "stun.example.org", AF_INET, &a, &e, &took), 0);
	assert_true(took < 4000);
	env_free(v);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Cancelled while waiting for a server that never answers: nothing is left open. A FIFO
 * where the hosts file should be is passed over, not waited on. */
static void test_stub_cancel_and_fifo(void **state)
{
	struct env *v = env_new(CONF2, NULL);
	struct resolve *r = NULL;
	struct errbuf e = { "" };
	union sm_addr a;
	int before = count_fds();

	(void)state;
	v->ns[0].mode = v->ns[1].mode = NS_SILENT;
	assert_int_equal(mkfifo(v->hosts, 0600), 0);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(resolve_start_with(&resolve_backend_stub, &v->opts,
						    "stun.example.org", 3478, AF_INET, 0, &r, &e),
				 0);
		assert_int_equal(resolve_poll(r, &a, &e), -EINPROGRESS);
		resolve_free(r);
	}
	if (before >= 0)
		assert_int_equal(count_fds(), before);
	serve(&v->ns[0]);
	assert_int_equal(v->ns[0].queries, 50);
	env_free(v);
}

/* The fwmark is set on the DNS sockets (as root), or the lookup says it could not be. */
static void test_stub_fwmark(void **state)
{
	struct env *v = env_new(CONF2, NULL);
	struct resolve *r = NULL;
	struct errbuf e = { "" };
	union sm_addr a;
	int rc, fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool can_mark;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(sock_set_mark(fd, 0), 0); /* nothing to set */
	can_mark = sock_set_mark(fd, 0x5a5a) == 0;
	rc = resolve_start_with(&resolve_backend_stub, &v->opts, "stun.example.org", 3478, AF_INET,
				0x5a5a, &r, &e);
	if (can_mark) {
#if SM_PLATFORM_LINUX
		uint32_t mark = 0;
		socklen_t ml = sizeof(mark);

		assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &ml), 0);
		assert_int_equal(mark, 0x5a5a);
#endif
		assert_int_equal(rc, 0);
		assert_int_equal(run(v, r, &a, &e, 5000, NULL), 0);
		resolve_free(r);
	} else {
		assert_int_not_equal(rc, 0);
		assert_non_null(strstr(e.msg, "fwmark 0x5a5a"));
	}
	close(fd);
	env_free(v);
}

#if SM_LIBC_GLIBC
/* Only names from /etc/hosts: no test may depend on the machine's DNS. */
static void test_gai_hosts(void **state)
{
	struct resolve *r = NULL;
	struct errbuf e = { "" };
	union sm_addr a;

	(void)state;
	assert_int_equal(resolve_start_with(&resolve_backend_gai, NULL, "localhost", 3478, AF_INET,
					    0, &r, &e),
			 0);
	assert_int_equal(run(NULL, r, &a, &e, 5000, NULL), 0);
	assert_addr(&a, "127.0.0.1:3478");
	resolve_free(r);
}

/* Lookups abandoned at once, while glibc's threads work on them, are freed when glibc
 * is done with them: the sanitizer build's leak check at exit fails otherwise. */
static void test_gai_abandoned(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++) {
		struct resolve *r = NULL;
		struct errbuf e = { "" };

		assert_int_equal(resolve_start_with(&resolve_backend_gai, NULL, "localhost", 3478,
						    i % 2 ? AF_INET : AF_INET6, 0, &r, &e),
				 0);
		if (i % 3 == 0)
			usleep(100);
		resolve_free(r);
	}
	/* /etc/hosts answers in microseconds; give glibc's threads time to finish. */
	usleep(500000);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_literals, (void *)&resolve_backend_stub),
#if SM_LIBC_GLIBC
		cmocka_unit_test_prestate(test_literals, (void *)&resolve_backend_gai),
		cmocka_unit_test(test_gai_hosts),
		cmocka_unit_test(test_gai_abandoned),
#endif
		cmocka_unit_test(test_stub_answers),
		cmocka_unit_test(test_stub_search),
		cmocka_unit_test(test_stub_failures),
		cmocka_unit_test(test_stub_refused),
		cmocka_unit_test(test_stub_cancel_and_fifo),
		cmocka_unit_test(test_stub_fwmark),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
