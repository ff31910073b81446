/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Just enough of DNS (RFC 1035) for a stub resolver to find the addresses of a name:
 * an A or AAAA query, and the answer to it read back with the CNAME chain followed.
 * Pure functions over (buf, len), no I/O. Hand-written because the libraries that
 * have a parser (libldns, c-ares, libresolv's ns_parse) bring a whole resolver or are
 * glibc's own; what is needed here is a page of checks. */
#ifndef SM_DNS_H
#define SM_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/util.h"

#define DNS_HEADER_LEN 12
#define DNS_WIRE_NAME_MAX 255 /* a name in wire form, root label included */
#define DNS_NAME_MAX 253      /* the same as text, without a trailing dot */
/* Header, the longest name, type and class. */
#define DNS_QUERY_MAX (DNS_HEADER_LEN + DNS_WIRE_NAME_MAX + 4)
/* Classic DNS over UDP (no EDNS0), as glibc and musl send by default. */
#define DNS_UDP_MAX 512
/* Addresses kept from one answer; the caller uses the first. */
#define DNS_ADDRS_MAX 8

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

enum dns_rcode {
	DNS_NOERROR = 0,
	DNS_FORMERR = 1,
	DNS_SERVFAIL = 2,
	DNS_NXDOMAIN = 3,
	DNS_NOTIMP = 4,
	DNS_REFUSED = 5,
};

/* The name in wire form: labels of 1-63 bytes, printable ASCII other than '.', a
 * trailing dot allowed, an empty name or label refused. 0 with *len, or -EINVAL. */
int dns_name_to_wire(const char *name, uint8_t *out, size_t cap, size_t *len);

/* A recursive (RD) query for name of qtype (DNS_TYPE_A or DNS_TYPE_AAAA), class IN.
 * cap of DNS_QUERY_MAX is always enough. 0 with *len, or -EINVAL (a bad name). */
int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype,
		    size_t *len);

struct dns_answer {
	enum dns_rcode rcode;
	bool truncated;	   /* TC: what came may be a part */
	size_t n_addrs;	   /* addresses of qtype for the name, after CNAMEs */
	union sm_addr addrs[DNS_ADDRS_MAX]; /* port 0 */
	unsigned cnames;   /* CNAME links followed */
};

/* Reads the answer to our query (id, name, qtype). 0 when buf is a well-formed
 * response to it (any rcode: the caller decides what NXDOMAIN or SERVFAIL mean) with
 * *out filled; -EBADMSG (with why) for anything else: malformed, not a response, another
 * id, another question. An error response (rcode other than NOERROR and NXDOMAIN)
 * counts with the id alone, since some servers leave the question out of those. */
int dns_parse_response(const uint8_t *buf, size_t len, uint16_t id, const char *name,
		       uint16_t qtype, struct dns_answer *out, struct errbuf *e);

const char *dns_rcode_name(enum dns_rcode rc);

#endif
