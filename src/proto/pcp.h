/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCP (RFC 6887): MAP requests and responses, ANNOUNCE, the epoch check, and the
 * IPv4-mapped address form PCP carries every address in. Debian has no PCP library
 * (libnatpmp is NAT-PMP only), so this small codec is ours. Pure functions over
 * (buf, len); no I/O, no state. NAT-PMP (natpmp.h) shares UDP 5351 and the version
 * byte: a PCP-only gateway answers a NAT-PMP request with a PCP UNSUPP_VERSION, a
 * NAT-PMP gateway answers a PCP request with a NAT-PMP one (RFC 6887 section 9). */
#ifndef SM_PCP_H
#define SM_PCP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/util.h"

#define PCP_SERVER_PORT 5351
#define PCP_CLIENT_PORT 5350 /* where a gateway multicasts its restart ANNOUNCE */
#define PCP_VERSION 2
#define PCP_OP_ANNOUNCE 0
#define PCP_OP_MAP 1
#define PCP_OP_PEER 2
#define PCP_RESPONSE_BIT 0x80
#define PCP_HEADER_LEN 24
#define PCP_MAP_PAYLOAD_LEN 36
#define PCP_MAP_REQUEST_LEN (PCP_HEADER_LEN + PCP_MAP_PAYLOAD_LEN)
#define PCP_MAX_LEN 1100 /* RFC 6887 7: no PCP message is longer */
#define PCP_NONCE_LEN 12

/* Result codes, RFC 6887 7.4. */
enum pcp_result {
	PCP_SUCCESS = 0,
	PCP_UNSUPP_VERSION = 1,
	PCP_NOT_AUTHORIZED = 2,
	PCP_MALFORMED_REQUEST = 3,
	PCP_UNSUPP_OPCODE = 4,
	PCP_UNSUPP_OPTION = 5,
	PCP_MALFORMED_OPTION = 6,
	PCP_NETWORK_FAILURE = 7,
	PCP_NO_RESOURCES = 8,
	PCP_UNSUPP_PROTOCOL = 9,
	PCP_USER_EX_QUOTA = 10,
	PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_ADDRESS_MISMATCH = 12,
	PCP_EXCESSIVE_REMOTE_PEERS = 13,
};

struct pcp_map_request {
	uint8_t nonce[PCP_NONCE_LEN]; /* random per mapping, repeated on renewals */
	uint8_t protocol;	      /* IPPROTO_UDP (17), IPPROTO_TCP; 0 = all */
	uint16_t internal_port;	      /* host order; 0 only with protocol 0 */
	uint16_t suggested_port;      /* 0: any */
	struct in6_addr suggested_addr; /* all zero: any (pcp_addr_any_v4() for IPv4) */
	uint32_t lifetime;		/* seconds; 0 deletes the mapping */
	struct in6_addr client_addr;	/* our address as the gateway sees the request */
};

struct pcp_response {
	uint8_t opcode;	 /* PCP_OP_MAP, PCP_OP_ANNOUNCE, ... (without the R bit) */
	uint8_t result;	 /* enum pcp_result */
	uint32_t lifetime; /* granted (success) or how long the error holds (failure) */
	uint32_t epoch;	   /* seconds since the gateway's mapping table began */
	/* PCP_OP_MAP only (on failure too, so a response can be matched by nonce): */
	uint8_t nonce[PCP_NONCE_LEN];
	uint8_t protocol;
	uint16_t internal_port, external_port;
	struct in6_addr external_addr;
	unsigned options; /* options after the payload, skipped */
};

/* IPv4-mapped (::ffff:a.b.c.d) form of an IPv4 address, or the IPv6 address as is. */
int pcp_addr_from_sockaddr(struct in6_addr *out, const struct sockaddr *sa);
/* The address PCP carries as a sockaddr (AF_INET for IPv4-mapped), with port. */
void pcp_addr_to_sockaddr(const struct in6_addr *a, uint16_t port, union sm_addr *ss);
/* ::ffff:0.0.0.0, "any IPv4 address" for suggested_addr (RFC 6887 11.1). */
void pcp_addr_any_v4(struct in6_addr *out);

/* A MAP request (60 bytes). -EINVAL: internal port 0 with a protocol. -ENOSPC. */
int pcp_build_map(uint8_t *buf, size_t cap, const struct pcp_map_request *r, size_t *len);
/* An ANNOUNCE request (24 bytes): asks a gateway for its epoch (RFC 6887 14.1). */
int pcp_build_announce(uint8_t *buf, size_t cap, const struct in6_addr *client, size_t *len);

/* Parses a response. 0: a well-formed PCP response, in *out (check out->result).
 * -EPROTONOSUPPORT: a NAT-PMP answer (version 0): the gateway speaks NAT-PMP only.
 * -EBADMSG: anything else (short, not a multiple of 4, a request, bad option). */
int pcp_parse_response(const uint8_t *buf, size_t len, struct pcp_response *out,
		       struct errbuf *e);

const char *pcp_result_str(unsigned result);

/* RFC 6887 8.5: true when this response's epoch says the gateway lost its state since
 * the previous response (prev_epoch at our clock prev_now, seconds; epoch at now). */
bool pcp_epoch_lost(uint32_t prev_epoch, uint64_t prev_now, uint32_t epoch, uint64_t now);

#endif
