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
	union sm_addr literal;
	int family;
	int literal_result; /* literal != 0: the answer is known without DNS */
	int literal_err;
	char host[256];
	char service[8];
};

/* IP literals are answered at once, without DNS. */
static int parse_literal(const char *host, uint16_t port, union sm_addr *a)
{
	if (addr_parse(host, strlen(host), AF_UNSPEC, ADDR_NO_PORT, a, NULL))
		return 0;
	addr_set_port(a, port);
	return 1;
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
		if (r->literal.sa.sa_family != family)
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

int resolve_poll(struct resolve *r, union sm_addr *addr, struct errbuf *e)
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
		if (ai->ai_family == r->family && !addr_from_sockaddr(addr, ai->ai_addr, ai->ai_addrlen))
			return 0;
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
