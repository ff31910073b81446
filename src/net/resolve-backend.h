/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What resolve.c asks of a name-lookup backend, and the backends there are. Internal to
 * src/net (and the tests, which run every backend the build has). resolve.c answers IP
 * literals itself and words the common errors, so a backend only ever sees names. */
#ifndef SM_RESOLVE_BACKEND_H
#define SM_RESOLVE_BACKEND_H

#include <stdint.h>

#include "lib/addr.h"
#include "lib/util.h"

struct resolve;

struct resolve_query {
	const char *host; /* a name, not a literal */
	uint16_t port;	  /* put into the answer */
	int family;	  /* AF_INET or AF_INET6 */
	uint32_t fwmark;  /* 0 = none */
};

struct resolve_backend {
	const char *name;
	/* opts: backend-specific, NULL for the system's defaults. */
	int (*start)(const struct resolve_query *q, const void *opts, void **state,
		     struct errbuf *e);
	/* As resolve_poll: 0 with *addr (port set), -EINPROGRESS, -ENOENT (no such name,
	 * or none of that family: resolve.c words it), other -errno with a message. */
	int (*poll)(void *state, union sm_addr *addr, struct errbuf *e);
	/* Ends the lookup and frees state, running or not. */
	void (*cancel)(void *state);
};

#if SM_LIBC_GLIBC
extern const struct resolve_backend resolve_backend_gai;
#endif
extern const struct resolve_backend resolve_backend_stub;

/* Where the stub backend looks; NULL members mean the system's files, port 0 means 53.
 * Tests point it at their own files and a name server on a loopback port. */
struct resolve_stub_opts {
	const char *resolv_conf;
	const char *hosts;
	uint16_t port;
};

/* The build's choice (the Makefile's RESOLVER). */
const struct resolve_backend *resolve_backend_default(void);

/* resolve_start with a given backend and its options. */
int resolve_start_with(const struct resolve_backend *be, const void *opts, const char *host,
		       uint16_t port, int family, uint32_t fwmark, struct resolve **out,
		       struct errbuf *e);

#endif
