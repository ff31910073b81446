/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getaddrinfo_a */
#endif
#include "net/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct resolve {
	struct gaicb cb; /* glibc's helper thread writes here until done or cancelled */
	struct addrinfo hints;
	struct sockaddr_storage literal;
	int family;
	int literal_result; /* literal != 0: the answer is known without DNS */
	int literal_err;
	char host[256];
	char service[8];
};

int resolve_split_hostport(const char *s, char *host, size_t cap, uint16_t *port,
			   struct errbuf *e)
{
	const char *h = s, *colon, *end;
	size_t hlen;
	char *pend;
	unsigned long p;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return err_set(e, -EINVAL, "'%s': expected [address]:port", s);
		h = s + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return err_set(e, -EINVAL, "'%s': missing port (host:port)", s);
		if (memchr(s, ':', (size_t)(colon - s)))
			return err_set(e, -EINVAL, "'%s': write IPv6 addresses as [address]:port",
				       s);
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0)
		return err_set(e, -EINVAL, "'%s': empty host", s);
	if (hlen >= cap)
		return err_set(e, -EINVAL, "'%s': host name too long", s);
	errno = 0;
	p = strtoul(colon + 1, &pend, 10);
	if (!colon[1] || *pend || errno || p == 0 || p > 65535 || colon[1] == '-' ||
	    colon[1] == '+')
		return err_set(e, -EINVAL, "'%s': port must be 1-65535", s);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int parse_literal(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return 1;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return 1;
	}
	return 0;
}

int resolve_start(const char *host, uint16_t port, int family, struct resolve **out,
		  struct errbuf *e)
{
	struct gaicb *list[1];
	struct resolve *r;
	int g;

	if (strlen(host) >= sizeof(r->host))
		return err_set(e, -EINVAL, "host name too long");
	r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(e, -ENOMEM, "out of memory");
	r->family = family;
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->service, sizeof(r->service), "%u", port);
	if (parse_literal(host, port, &r->literal)) {
		r->literal_result = 1;
		if (r->literal.ss_family != family)
			r->literal_err = -ENOENT;
		*out = r;
		return 0;
	}
	r->hints.ai_family = family;
	r->hints.ai_socktype = SOCK_DGRAM;
	r->hints.ai_protocol = IPPROTO_UDP;
	r->hints.ai_flags = AI_NUMERICSERV;
	r->cb.ar_name = r->host;
	r->cb.ar_service = r->service;
	r->cb.ar_request = &r->hints;
	list[0] = &r->cb;
	/* No notification: the caller polls from a timer, which keeps the loop free of
	 * signals and of callbacks on glibc's thread. */
	g = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (g) {
		free(r);
		return err_set(e, -EAGAIN, "resolving %s: %s", host, gai_strerror(g));
	}
	*out = r;
	return 0;
}

int resolve_poll(struct resolve *r, struct sockaddr_storage *addr, struct errbuf *e)
{
	const char *fam = r->family == AF_INET ? "IPv4" : "IPv6";
	struct addrinfo *ai;
	int g;

	if (r->literal_result) {
		if (r->literal_err)
			return err_set(e, r->literal_err, "%s is not an %s address", r->host,
				       fam);
		*addr = r->literal;
		return 0;
	}
	g = gai_error(&r->cb);
	if (g == EAI_INPROGRESS)
		return -EINPROGRESS;
	if (g == EAI_NONAME || g == EAI_NODATA || g == EAI_ADDRFAMILY)
		return err_set(e, -ENOENT, "%s has no %s address", r->host, fam);
	if (g)
		return err_set(e, -EHOSTUNREACH, "resolving %s: %s", r->host, gai_strerror(g));
	for (ai = r->cb.ar_result; ai; ai = ai->ai_next) {
		if (ai->ai_family == r->family && ai->ai_addrlen <= sizeof(*addr)) {
			memset(addr, 0, sizeof(*addr));
			memcpy(addr, ai->ai_addr, ai->ai_addrlen);
			return 0;
		}
	}
	return err_set(e, -ENOENT, "%s has no %s address", r->host, fam);
}

void resolve_free(struct resolve *r)
{
	if (!r)
		return;
	if (!r->literal_result) {
		/* A request glibc's thread is already working on cannot be cancelled;
		 * freeing it would let that thread write into freed memory, so it is left
		 * behind (a few hundred bytes, and only when a lookup is abandoned). */
		if (gai_cancel(&r->cb) == EAI_NOTCANCELED)
			return;
		if (r->cb.ar_result)
			freeaddrinfo(r->cb.ar_result);
	}
	free(r);
}
