/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name lookup through glibc's getaddrinfo_a, polled with gai_error: the host's own
 * rules (nsswitch.conf, nscd, systemd-resolved) apply, as for every other program.
 *
 * A request glibc's helper thread is working on cannot be cancelled, and freeing it
 * would let that thread write into freed memory. So each request asks for a
 * notification (SIGEV_THREAD: glibc runs gai_notified on a thread of its own once the
 * answer is written) and whichever of the two comes second, that notification or the
 * caller's cancel, frees it. During a DNS outage abandoned lookups therefore live only
 * until glibc gives up on them (resolv.conf's timeout x attempts), instead of for
 * ever; how many run at once is bounded by glibc's helper threads (20), and requests
 * still queued behind those are cancelled outright. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getaddrinfo_a */
#endif
#include "net/resolve-backend.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	GQ_DONE = 1U << 0,	/* glibc has notified: it no longer touches the request */
	GQ_ABANDONED = 1U << 1, /* the caller has let go */
};

struct gai_req {
	struct gaicb cb; /* glibc's helper thread writes here until it notifies */
	struct addrinfo hints;
	struct sigevent sev;
	atomic_uint flags;
	int family;
	uint16_t port;
	char host[256];
	char service[8];
};

static void req_free(struct gai_req *q)
{
	if (q->cb.ar_result)
		freeaddrinfo(q->cb.ar_result);
	free(q);
}

/* On a thread glibc starts, after the result is in q->cb. */
static void gai_notified(union sigval v)
{
	struct gai_req *q = v.sival_ptr;

	if (atomic_fetch_or(&q->flags, GQ_DONE) & GQ_ABANDONED)
		req_free(q);
}

static int gai_start(const struct resolve_query *rq, const void *opts, void **state,
		     struct errbuf *e)
{
	struct gaicb *list[1];
	struct gai_req *q;
	int g;

	(void)opts;
	q = calloc(1, sizeof(*q));
	if (!q)
		return err_set(e, -ENOMEM, "out of memory");
	atomic_init(&q->flags, 0);
	q->family = rq->family;
	q->port = rq->port;
	snprintf(q->host, sizeof(q->host), "%s", rq->host);
	snprintf(q->service, sizeof(q->service), "%u", rq->port);
	q->hints.ai_family = rq->family;
	q->hints.ai_socktype = SOCK_DGRAM;
	q->hints.ai_protocol = IPPROTO_UDP;
	q->hints.ai_flags = AI_NUMERICSERV;
	q->cb.ar_name = q->host;
	q->cb.ar_service = q->service;
	q->cb.ar_request = &q->hints;
	q->sev.sigev_notify = SIGEV_THREAD;
	q->sev.sigev_notify_function = gai_notified;
	q->sev.sigev_value.sival_ptr = q;
	list[0] = &q->cb;
	/* The caller polls from a timer; the notification only settles who frees. */
	g = getaddrinfo_a(GAI_NOWAIT, list, 1, &q->sev);
	if (g) {
		/* Out of memory inside glibc; the request may have been queued without a
		 * notification. If it is running, leaving it is the only safe thing. */
		int c = gai_cancel(&q->cb);

		err_set(e, -EAGAIN, "resolving %s: %s", rq->host, gai_strerror(g));
		if (c != EAI_NOTCANCELED)
			req_free(q);
		return -EAGAIN;
	}
	*state = q;
	return 0;
}

static int gai_poll(void *state, union sm_addr *addr, struct errbuf *e)
{
	struct gai_req *q = state;
	struct addrinfo *ai;
	int g = gai_error(&q->cb);

	if (g == EAI_INPROGRESS)
		return -EINPROGRESS;
	if (g == EAI_NONAME || g == EAI_NODATA || g == EAI_ADDRFAMILY)
		return -ENOENT;
	if (g)
		return err_set(e, -EHOSTUNREACH, "resolving %s: %s", q->host, gai_strerror(g));
	for (ai = q->cb.ar_result; ai; ai = ai->ai_next) {
		if (ai->ai_family == q->family &&
		    !addr_from_sockaddr(addr, ai->ai_addr, ai->ai_addrlen)) {
			addr_set_port(addr, q->port);
			return 0;
		}
	}
	return -ENOENT;
}

static void gai_cancel_req(void *state)
{
	struct gai_req *q = state;

	/* Still queued: glibc drops it and will never notify. */
	if (gai_cancel(&q->cb) == EAI_CANCELED) {
		req_free(q);
		return;
	}
	/* Running, or done but perhaps not yet notified: the later of the two frees. */
	if (atomic_fetch_or(&q->flags, GQ_ABANDONED) & GQ_DONE)
		req_free(q);
}

const struct resolve_backend resolve_backend_gai = {
	.name = "getaddrinfo_a",
	.start = gai_start,
	.poll = gai_poll,
	.cancel = gai_cancel_req,
};
