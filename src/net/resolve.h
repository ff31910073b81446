/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name resolution that does not stall an event loop: start a lookup, then poll it from
 * a timer. IP literals are answered at once, without DNS. Two backends sit behind this
 * header (net/resolve-backend.h), the build picks one (the Makefile's RESOLVER):
 *  - gai (resolve-glibc.c): glibc's getaddrinfo_a, so nsswitch.conf, nscd and
 *    systemd-resolved are honoured exactly as by every other program on the host;
 *  - stub (resolve-stub.c): our own stub resolver over UDP, for musl (OpenWrt) and
 *    any other libc: /etc/hosts, then the name servers of /etc/resolv.conf.
 * For names in the hosts file or in DNS both give the same answer; "no such name" and
 * "none of that family" are -ENOENT with the same words for both (resolve.c words them),
 * other failures are -EHOSTUNREACH with the backend's own words. */
#ifndef SM_RESOLVE_H
#define SM_RESOLVE_H

#include <stdint.h>
#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/util.h"

struct resolve;

/* Starts looking up host for one family (AF_INET or AF_INET6). fwmark (0 = none) marks
 * the lookup's own DNS packets where the backend sends them itself (stub; glibc sends
 * its own, unmarked), so they leave outside a full tunnel as WireGuard's do; setting it
 * needs CAP_NET_ADMIN. */
int resolve_start(const char *host, uint16_t port, int family, uint32_t fwmark,
		  struct resolve **out, struct errbuf *e);
/* 0 with the first address (port set) in *addr; -EINPROGRESS while the lookup runs;
 * -ENOENT (no address of that family) or another -errno, with a message. */
int resolve_poll(struct resolve *r, union sm_addr *addr, struct errbuf *e);
/* Cancels a running lookup; nothing of it is left behind, even when the lookup is
 * still waiting for a name server that never answers. NULL is fine. */
void resolve_free(struct resolve *r);

#endif
