/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NAT-PMP (RFC 6886): the public-address request and UDP/TCP mapping requests, their
 * responses, and the epoch check that tells a rebooted gateway. Pure functions over
 * (buf, len); no I/O, no state.
 *
 * Why not libnatpmp: it is non-blocking (its socket and getnatpmprequesttimeout() would
 * sit on our loop), so that is not the reason. But it owns its socket, keeps one pending
 * request per handle, and parses inside readnatpmpresponseorretry() right after its own
 * recvfrom(), so the parser cannot be fed bytes by a fuzzer; and NAT-PMP shares UDP
 * 5351 and the version byte with PCP (RFC 6887 section 9), whose answers to our probes
 * (a PCP-only gateway's UNSUPP_VERSION, a NAT-PMP gateway's answer to PCP) arrive on
 * whichever socket asked. One socket for both protocols, one pure parser each, and
 * about a hundred lines here were the smaller and testable choice. */
#ifndef SM_NATPMP_H
#define SM_NATPMP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define NATPMP_PORT 5351
#define NATPMP_VERSION 0
#define NATPMP_OP_PUBLIC_ADDRESS 0
#define NATPMP_OP_MAP_UDP 1
#define NATPMP_OP_MAP_TCP 2
#define NATPMP_OP_RESPONSE 0x80
#define NATPMP_PUBLIC_ADDRESS_REQUEST_LEN 2
#define NATPMP_MAP_REQUEST_LEN 12

/* Result codes, RFC 6886 3.5. */
enum natpmp_result {
	NATPMP_SUCCESS = 0,
	NATPMP_UNSUPP_VERSION = 1,
	NATPMP_NOT_AUTHORIZED = 2, /* the user turned mapping off on the gateway */
	NATPMP_NETWORK_FAILURE = 3, /* e.g. the gateway has no public address yet */
	NATPMP_OUT_OF_RESOURCES = 4,
	NATPMP_UNSUPP_OPCODE = 5,
};

struct natpmp_response {
	uint8_t op;	 /* the request's opcode (the response's, without 0x80) */
	uint16_t result; /* enum natpmp_result; the fields below are set only for 0 */
	uint32_t epoch;	 /* seconds since the gateway's mapping table was (re)started */
	struct in_addr public_addr; /* NATPMP_OP_PUBLIC_ADDRESS */
	uint16_t internal_port, external_port; /* mappings (host order) */
	uint32_t lifetime;			/* mappings: seconds granted, 0 = deleted */
};

/* The 2-byte public-address request. -ENOSPC when cap is too small. */
int natpmp_build_public_address(uint8_t *buf, size_t cap, size_t *len);

/* A mapping request: op NATPMP_OP_MAP_UDP or _TCP, the internal port, the external port
 * we would like (0: any), and the lifetime asked for (0 with external port 0 deletes
 * the mapping, RFC 6886 3.4). -EINVAL for another op or internal port 0. */
int natpmp_build_map(uint8_t *buf, size_t cap, uint8_t op, uint16_t internal_port,
		     uint16_t external_port, uint32_t lifetime, size_t *len);

/* Parses a response. 0: a well-formed NAT-PMP response, written to *out; out->result
 * may still say the gateway refused (natpmp_result_str() names it).
 * -EPROTONOSUPPORT: a PCP answer (version 2): the gateway speaks PCP, not NAT-PMP.
 * -EBADMSG: anything else (short, a request, unknown opcode, ...). */
int natpmp_parse_response(const uint8_t *buf, size_t len, struct natpmp_response *out,
			  struct errbuf *e);

const char *natpmp_result_str(unsigned result);

/* RFC 6886 3.6: true when the gateway's epoch says it lost its mappings since the last
 * response (it rebooted or its table was reset). prev_epoch/prev_now: the previous
 * response's epoch and our clock (seconds) when it came; epoch/now: this one's. A
 * gateway's clock may run slow by up to 1/8, plus 2 s of slack either way. */
bool natpmp_epoch_lost(uint32_t prev_epoch, uint64_t prev_now, uint32_t epoch, uint64_t now);

#endif
