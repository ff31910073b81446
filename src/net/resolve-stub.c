/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A stub resolver of our own: the portable backend of resolve.h, for musl (OpenWrt)
 * and any libc without getaddrinfo_a; built and tested everywhere.
 *
 * Why a stub resolver and not getaddrinfo on a worker thread: a thread stuck in
 * getaddrinfo cannot be stopped, so during a DNS outage abandoned lookups pile up
 * behind a thread pool (or leak), and the daemon becomes multi-threaded, which its
 * signal handling, forks and a future seccomp filter would all have to allow for. A
 * stub's lookup is a socket and a few timestamps: cancelling it closes the socket,
 * nothing outlives resolve_free, and the socket can carry the WireGuard fwmark so
 * lookups leave outside a full tunnel like the STUN probes they serve. It also does
 * what musl's own getaddrinfo does (musl has no nsswitch either): /etc/hosts first,
 * then the name servers of /etc/resolv.conf (nameserver, search/domain, ndots,
 * timeout, attempts), all servers asked at once and the first real answer taken,
 * A or AAAA with the CNAME chain followed, a query retransmitted every
 * timeout/attempts seconds. Not done: TCP fallback (an A/AAAA answer that does not
 * fit 512 bytes still carries its first records, which are used), DNSSEC, EDNS0.
 *
 * One connected UDP socket per server: the kernel passes replies only from that
 * server's address and port, and reports a server that is not there (ICMP port
 * unreachable) at once instead of after the timeout. A reply counts only with our
 * random id and our question; the kernel picks a random source port per socket. */
#include "net/resolve-backend.h"
#include "net/sockopt.h"
#include "proto/dns.h"
#include "proto/resolvconf.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONF_MAX 65536	   /* resolv.conf bigger than this is read this far */
#define HOSTS_LINE_MAX 4096 /* longer hosts lines are skipped */

struct stub {
	struct resolv_conf conf;
	int family;
	uint16_t port, dns_port;
	char host[DNS_NAME_MAX + 2];
	char names[1 + RESOLV_SEARCH_MAX][DNS_NAME_MAX + 1]; /* candidates, in order */
	size_t n_names, cur;
	int fd[RESOLV_NS_MAX]; /* connected to conf.ns[i]; -1 when it could not be */
	uint16_t id;
	uint8_t query[DNS_QUERY_MAX];
	size_t qlen;
	unsigned sends;
	int64_t next_send_ms, deadline_ms;
	bool ns_failed[RESOLV_NS_MAX];
	bool negative;	 /* a server said: no such name, or none of that family */
	bool temporary;	 /* a server failed or none answered in time */
	char why[128];	 /* the latest server failure, in words */
	int result;	 /* -EINPROGRESS until settled */
	union sm_addr addr;
	char error[512];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens a regular file without blocking on a FIFO or a device. -1 if it cannot. */
static int open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A missing or unreadable resolv.conf means the defaults, as for the libcs. */
static void read_conf(const char *path, struct resolv_conf *c)
{
	char *buf = malloc(CONF_MAX);
	size_t len = 0;
	int fd = open_regular(path);

	if (buf && fd >= 0) {
		ssize_t n;

		while (len < CONF_MAX && (n = read(fd, buf + len, CONF_MAX - len)) > 0)
			len += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	resolv_conf_parse(buf ? buf : "", len, c);
	free(buf);
}

/* Streams the hosts file line by line (it may be megabytes of block lists). */
static bool from_hosts(const char *path, const char *name, int family, union sm_addr *out)
{
	char buf[HOSTS_LINE_MAX];
	size_t have = 0;
	bool skipping = false, found = false;
	int fd = open_regular(path);
	ssize_t n;

	if (fd < 0)
		return false;
	while (!found && (n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		size_t start = 0;

		have += (size_t)n;
		for (;;) {
			char *nl = memchr(buf + start, '\n', have - start);

			if (!nl)
				break;
			if (!skipping &&
			    hosts_line_match(buf + start, (size_t)(nl - buf) - start, name, family, out)) {
				found = true;
				break;
			}
			skipping = false;
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have == sizeof(buf)) { /* a line too long: drop it up to its newline */
			skipping = true;
			have = 0;
		}
	}
	if (!found && !skipping && have)
		found = hosts_line_match(buf, have, name, family, out);
	close(fd);
	return found;
}

/* Adds "a" or "a.b" (b NULL: a alone) as a candidate, unless it is too long for DNS. */
static void add_name(struct stub *s, const char *a, size_t al, const char *b)
{
	size_t bl = b ? strlen(b) : 0, n = al + (b ? 1 + bl : 0);
	char *d = s->names[s->n_names];

	if (n > DNS_NAME_MAX)
		return;
	memcpy(d, a, al);
	if (b) {
		d[al] = '.';
		memcpy(d + al + 1, b, bl);
	}
	d[n] = '\0';
	s->n_names++;
}

/* The names to ask, in resolv.conf(5)'s order: with ndots dots or more the name itself
 * first, then with each search domain; fewer, the search domains first. */
static void candidates(struct stub *s)
{
	const char *h = s->host;
	size_t hl = strlen(h), dots = 0;
	bool as_is_first;

	for (size_t i = 0; i < hl; i++)
		dots += h[i] == '.';
	if (hl && h[hl - 1] == '.') { /* absolute */
		add_name(s, h, hl - 1, NULL);
		return;
	}
	as_is_first = dots >= s->conf.ndots;
	if (as_is_first)
		add_name(s, h, hl, NULL);
	for (size_t i = 0; i < s->conf.n_search; i++)
		add_name(s, h, hl, s->conf.search[i]);
	if (!as_is_first)
		add_name(s, h, hl, NULL);
}

static void close_sockets(struct stub *s)
{
	for (size_t i = 0; i < RESOLV_NS_MAX; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
	}
}

/* A server whose socket cannot be made (IPv6 off, no route) is left out; only when
 * none is left, or the mark cannot be set, does the lookup fail. */
static int open_sockets(struct stub *s, uint32_t fwmark, struct errbuf *e)
{
	int r = -ENETUNREACH;
	size_t ok = 0;

	for (size_t i = 0; i < s->conf.n_ns; i++) {
		union sm_addr *ns = &s->conf.ns[i];
		int fd;

		addr_set_port(ns, s->dns_port);
		fd = socket(ns->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		r = sock_set_mark(fd, fwmark);
		if (r) {
			close(fd);
			close_sockets(s);
			return err_set(e, r, "setting fwmark 0x%x on the DNS socket: %s", fwmark,
				       strerror(-r));
		}
		if (connect(fd, &ns->sa, addr_len(ns)) < 0) {
			r = -errno;
			close(fd);
			continue;
		}
		s->fd[i] = fd;
		ok++;
	}
	if (!ok)
		return err_set(e, r, "no way to reach a name server: %s", strerror(-r));
	return 0;
}

static void settle(struct stub *s, int result)
{
	s->result = result;
	close_sockets(s);
}

static void send_all(struct stub *s, int64_t now)
{
	for (size_t i = 0; i < s->conf.n_ns; i++) {
		/* A lost datagram is what the retransmission is for; a refused one shows
		 * as ECONNREFUSED on the next read. */
		if (s->fd[i] >= 0 && !s->ns_failed[i])
			(void)!send(s->fd[i], s->query, s->qlen, 0);
	}
	s->sends++;
	s->next_send_ms = now + (int64_t)s->conf.timeout * 1000 / s->conf.attempts;
}

static void finish(struct stub *s)
{
	if (!s->temporary) {
		settle(s, -ENOENT);
		return;
	}
	if (s->why[0])
		snprintf(s->error, sizeof(s->error), "resolving %s: %s", s->host, s->why);
	else
		snprintf(s->error, sizeof(s->error), "resolving %s: no answer from the name server%s",
			 s->host, s->conf.n_ns > 1 ? "s" : "");
	settle(s, -EHOSTUNREACH);
}

/* Asks the next candidate name, or settles when there is none. */
static void next_name(struct stub *s, int64_t now)
{
	uint16_t qtype = s->family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;

	while (s->cur < s->n_names) {
		const char *name = s->names[s->cur];

		if (dns_build_query(s->query, sizeof(s->query), s->id, name, qtype, &s->qlen)) {
			s->cur++; /* not a valid DNS name: the next may be */
			continue;
		}
		memset(s->ns_failed, 0, sizeof(s->ns_failed));
		s->sends = 0;
		s->deadline_ms = now + (int64_t)s->conf.timeout * 1000;
		send_all(s, now);
		return;
	}
	finish(s);
}

static void advance(struct stub *s, int64_t now)
{
	s->cur++;
	s->id = (uint16_t)randombytes_uniform(65536);
	next_name(s, now);
}

/* Server ns cannot help with this name (an error answer, or not there at all); when
 * no server can, the next name is tried. */
static void server_failed(struct stub *s, size_t ns, int64_t now)
{
	s->ns_failed[ns] = true;
	for (size_t i = 0; i < s->conf.n_ns; i++)
		if (s->fd[i] >= 0 && !s->ns_failed[i])
			return;
	s->temporary = true;
	advance(s, now);
}

static void on_reply(struct stub *s, size_t ns, const uint8_t *buf, size_t len, int64_t now)
{
	uint16_t qtype = s->family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;
	struct dns_answer a;
	struct errbuf e = { "" };

	if (dns_parse_response(buf, len, s->id, s->names[s->cur], qtype, &a, &e))
		return; /* not the answer to this query: a late or forged one */
	if (a.rcode == DNS_NOERROR && a.n_addrs) {
		s->addr = a.addrs[0];
		addr_set_port(&s->addr, s->port);
		settle(s, 0);
		return;
	}
	if (a.rcode == DNS_NOERROR || a.rcode == DNS_NXDOMAIN) {
		s->negative = true;
		advance(s, now);
		return;
	}
	snprintf(s->why, sizeof(s->why), "the name server answered %s", dns_rcode_name(a.rcode));
	server_failed(s, ns, now);
}

static void read_replies(struct stub *s, int64_t now)
{
	uint8_t buf[1500];

	for (size_t i = 0; i < s->conf.n_ns; i++) {
		/* Bounded, so a flood cannot hold the loop; the rest waits for next poll.
		 * A reply can settle the lookup or move it on: stop reading then. */
		size_t cur = s->cur;

		for (int k = 0; k < 64 && s->fd[i] >= 0 && s->result == -EINPROGRESS &&
				s->cur == cur && !s->ns_failed[i];
		     k++) {
			ssize_t n = recv(s->fd[i], buf, sizeof(buf), 0);

			if (n >= 0) {
				on_reply(s, i, buf, (size_t)n, now);
				continue;
			}
			int err = errno;

			if (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH) {
				char a[ADDR_STR_LEN];

				snprintf(s->why, sizeof(s->why), "name server %s: %s",
					 addr_format(&s->conf.ns[i], a, sizeof(a)), strerror(err));
				server_failed(s, i, now);
			}
			break;
		}
	}
}

static int stub_start(const struct resolve_query *q, const void *opts, void **state,
		      struct errbuf *e)
{
	const struct resolve_stub_opts *o = opts;
	const char *conf = o && o->resolv_conf ? o->resolv_conf : "/etc/resolv.conf";
	const char *hosts = o && o->hosts ? o->hosts : "/etc/hosts";
	struct stub *s;
	int r;

	if (strlen(q->host) > DNS_NAME_MAX + 1)
		return err_set(e, -EINVAL, "host name too long");
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < RESOLV_NS_MAX; i++)
		s->fd[i] = -1;
	s->family = q->family;
	s->port = q->port;
	s->dns_port = o && o->port ? o->port : 53;
	s->result = -EINPROGRESS;
	snprintf(s->host, sizeof(s->host), "%s", q->host);
	if (from_hosts(hosts, q->host, q->family, &s->addr)) {
		addr_set_port(&s->addr, q->port);
		s->result = 0;
		*state = s;
		return 0;
	}
	read_conf(conf, &s->conf);
	candidates(s);
	r = open_sockets(s, q->fwmark, e);
	if (r) {
		settle(s, r);
		free(s);
		return err_prefix(e, r, "resolving %s: ", q->host);
	}
	s->id = (uint16_t)randombytes_uniform(65536);
	next_name(s, mono_ms());
	*state = s;
	return 0;
}

static int stub_poll(void *state, union sm_addr *addr, struct errbuf *e)
{
	struct stub *s = state;
	int64_t now;

	if (s->result == -EINPROGRESS) {
		now = mono_ms();
		read_replies(s, now);
		if (s->result == -EINPROGRESS && now >= s->deadline_ms) {
			s->temporary = true;
			advance(s, now);
		} else if (s->result == -EINPROGRESS && now >= s->next_send_ms &&
			   s->sends < s->conf.attempts) {
			send_all(s, now);
		}
	}
	if (s->result == 0)
		*addr = s->addr;
	else if (s->result != -EINPROGRESS && s->result != -ENOENT)
		err_set(e, s->result, "%s", s->error);
	return s->result;
}

static void stub_cancel(void *state)
{
	struct stub *s = state;

	settle(s, -ECANCELED);
	free(s);
}

const struct resolve_backend resolve_backend_stub = {
	.name = "stub",
	.start = stub_start,
	.poll = stub_poll,
	.cancel = stub_cancel,
};
