/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One address type and one set of rules for it, for the whole program: what STUN
 * reports, what a record carries, what WireGuard is given and what a configuration
 * names. Text forms are Go's net.JoinHostPort ones, as stunmesh-go writes them:
 * "192.0.2.1:51820" and "[2001:db8::1]:51820". Parsing is over (s, n), never relying
 * on a NUL, and numeric only: host names go through addr_split_hostport and a
 * resolver. */
#ifndef SM_ADDR_H
#define SM_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/util.h"

union sm_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* Enough for any formatted address with a port and a scope. */
#define ADDR_STR_LEN 64

enum addr_parse_flags {
	ADDR_NO_PORT = 1U << 0, /* a bare literal: "192.0.2.1", "2001:db8::1" or "[2001:db8::1]" */
	ADDR_PORT0 = 1U << 1,	/* port 0 is accepted (WireGuard reports it) */
	ADDR_ZONE = 1U << 2,	/* a numeric IPv6 zone, "[fe80::1%2]:51820" */
};

/* Parses a numeric address. family is AF_INET, AF_INET6 or AF_UNSPEC (either). With a
 * port (the default), IPv6 must be bracketed and the port is decimal 1-65535. 0 with
 * *out written, or -EINVAL with why in e (e may be NULL; untrusted text is quoted
 * printable and shortened). */
int addr_parse(const char *s, size_t n, int family, unsigned flags, union sm_addr *out,
	       struct errbuf *e);

/* Splits "host:port" / "[v6]:port" where host may be a name (a STUN server), as Go's
 * net.SplitHostPort does: an unbracketed host with a colon is refused, the port is
 * decimal 1-65535. host gets a NUL-terminated copy (cap bytes). 0 or -EINVAL with why. */
int addr_split_hostport(const char *s, size_t n, char *host, size_t cap, uint16_t *port,
			struct errbuf *e);

/* "192.0.2.1:51820", "[2001:db8::1]:51820" ("[fe80::1%2]:51820" with a scope),
 * "(none)" for AF_UNSPEC. len of ADDR_STR_LEN is always enough. Returns buf. */
const char *addr_format(const union sm_addr *a, char *buf, size_t len);

/* The same family, address and port (the IPv6 scope is not compared: WireGuard keeps
 * none for global addresses, and records never carry one). Two AF_UNSPEC are equal. */
bool addr_equal(const union sm_addr *a, const union sm_addr *b);
/* The same family and address, whatever the ports. */
bool addr_same_host(const union sm_addr *a, const union sm_addr *b);

/* From/to the socket API. addr_from_sockaddr takes AF_INET and AF_INET6 only (-EAFNOSUPPORT
 * otherwise, *out untouched) and checks len. */
int addr_from_sockaddr(union sm_addr *out, const struct sockaddr *sa, socklen_t len);
socklen_t addr_len(const union sm_addr *a);

static inline bool addr_is_set(const union sm_addr *a)
{
	return a->sa.sa_family == AF_INET || a->sa.sa_family == AF_INET6;
}

static inline void addr_clear(union sm_addr *a)
{
	*a = (union sm_addr){ .sa.sa_family = AF_UNSPEC };
}

uint16_t addr_port(const union sm_addr *a);
void addr_set_port(union sm_addr *a, uint16_t port);

#endif
