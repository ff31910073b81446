/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name resolution that does not stall an event loop: start a lookup, then poll it from
 * a timer. IP literals are answered at once, without DNS. The glibc implementation
 * (resolve.c) uses getaddrinfo_a(); musl has no such call, so a port to it needs
 * another implementation of this header. */
#ifndef SM_RESOLVE_H
#define SM_RESOLVE_H

#include <stdint.h>
#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/util.h"

struct resolve;

/* Starts looking up host for one family (AF_INET or AF_INET6). */
int resolve_start(const char *host, uint16_t port, int family, struct resolve **out,
		  struct errbuf *e);
/* 0 with the first address (port set) in *addr; -EINPROGRESS while the lookup runs;
 * -ENOENT (no address of that family) or another -errno, with a message. */
int resolve_poll(struct resolve *r, union sm_addr *addr, struct errbuf *e);
/* Cancels a running lookup. NULL is fine. */
void resolve_free(struct resolve *r);

#endif
