/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The front of name lookup: literals answered at once, the backend chosen, the common
 * errors worded the same whatever backend ran. */
#include "net/resolve.h"
#include "net/resolve-backend.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct resolve {
	const struct resolve_backend *be;
	void *state; /* the backend's; NULL for a literal */
	union sm_addr literal;
	int literal_err;
	int family;
	char host[256];
};

const struct resolve_backend *resolve_backend_default(void)
{
#if SM_RESOLVER_GAI
	return &resolve_backend_gai;
#else
	return &resolve_backend_stub;
#endif
}

static const char *fam_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

int resolve_start_with(const struct resolve_backend *be, const void *opts, const char *host,
		       uint16_t port, int family, uint32_t fwmark, struct resolve **out,
		       struct errbuf *e)
{
	struct resolve_query q = { .host = host, .port = port, .family = family,
				   .fwmark = fwmark };
	struct resolve *r;
	int rc;

	if (family != AF_INET && family != AF_INET6)
		return err_set(e, -EAFNOSUPPORT, "address family %d", family);
	if (strlen(host) >= sizeof(r->host))
		return err_set(e, -EINVAL, "host name too long");
	r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(e, -ENOMEM, "out of memory");
	r->be = be;
	r->family = family;
	snprintf(r->host, sizeof(r->host), "%s", host);
	/* IP literals are answered at once, without DNS. */
	if (!addr_parse(host, strlen(host), AF_UNSPEC, ADDR_NO_PORT, &r->literal, NULL)) {
		addr_set_port(&r->literal, port);
		if (r->literal.sa.sa_family != family)
			r->literal_err = -ENOENT;
		*out = r;
		return 0;
	}
	rc = be->start(&q, opts, &r->state, e);
	if (rc) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int resolve_start(const char *host, uint16_t port, int family, uint32_t fwmark,
		  struct resolve **out, struct errbuf *e)
{
	return resolve_start_with(resolve_backend_default(), NULL, host, port, family, fwmark,
				  out, e);
}

int resolve_poll(struct resolve *r, union sm_addr *addr, struct errbuf *e)
{
	int rc;

	if (!r->state) {
		if (r->literal_err)
			return err_set(e, r->literal_err, "%s is not an %s address", r->host,
				       fam_name(r->family));
		*addr = r->literal;
		return 0;
	}
	rc = r->be->poll(r->state, addr, e);
	if (rc == -ENOENT)
		return err_set(e, -ENOENT, "%s has no %s address", r->host, fam_name(r->family));
	return rc;
}

void resolve_free(struct resolve *r)
{
	if (!r)
		return;
	if (r->state)
		r->be->cancel(r->state);
	free(r);
}
