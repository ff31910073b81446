/* SPDX-License-Identifier: GPL-2.0-or-later */
/* STUN (RFC 8489) Binding messages: just enough of the protocol to ask a server which
 * transport address it saw us from, and the RFC 5780 attributes that tell a NAT's
 * mapping and filtering behaviour apart (CHANGE-REQUEST asks the server to answer from
 * its other address and/or port; OTHER-ADDRESS says where that is; RESPONSE-ORIGIN
 * says where an answer came from). Pure functions over (buf, len); no I/O, no state. */
#ifndef SM_STUN_H
#define SM_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/util.h"

#define STUN_HEADER_LEN 20
#define STUN_TXID_LEN 12
#define STUN_MAGIC_COOKIE 0x2112A442u
/* What the raw-socket filter matches: the cookie at UDP payload offset 4. */
#define STUN_COOKIE_OFFSET 4
/* Our request carries no attributes (as stunmesh-go's), so it is only the header. */
#define STUN_BINDING_REQUEST_LEN STUN_HEADER_LEN

#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111

#define STUN_ATTR_MAPPED_ADDRESS 0x0001
#define STUN_ATTR_CHANGE_REQUEST 0x0003 /* RFC 5780 7.2 */
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_FINGERPRINT 0x8028
#define STUN_ATTR_RESPONSE_ORIGIN 0x802B /* RFC 5780 7.3 */
#define STUN_ATTR_OTHER_ADDRESS 0x802C	 /* RFC 5780 7.4 */

/* CHANGE-REQUEST flags (RFC 5780 7.2): answer from the other IP / the other port. */
#define STUN_CHANGE_IP 0x04u
#define STUN_CHANGE_PORT 0x02u
/* A Binding request with a CHANGE-REQUEST attribute (header + 8 bytes). */
#define STUN_CHANGE_REQUEST_LEN (STUN_HEADER_LEN + 8)
#define STUN_FINGERPRINT_XOR 0x5354554eu

struct stun_response {
	union sm_addr mapped; /* AF_INET or AF_INET6, port filled in */
	bool from_xor;			/* XOR-MAPPED-ADDRESS (else RFC 3489 MAPPED-ADDRESS) */
	bool fingerprint;		/* a FINGERPRINT was present (and matched) */
	/* Comprehension-required attributes we do not know. RFC 8489 says a client should
	 * treat such a success response as failed; a Binding answer has nothing we could
	 * misread by skipping them, so they are counted for a note and otherwise skipped. */
	unsigned unknown_required;
	/* RFC 5780: the server's alternate address (OTHER-ADDRESS) and the address this
	 * answer was sent from (RESPONSE-ORIGIN), when the server said so. */
	bool has_other, has_origin;
	union sm_addr other, origin;
};

/* Fills txid with 96 bits from libsodium's CSPRNG (sodium_init() must have run). */
void stun_new_txid(uint8_t txid[STUN_TXID_LEN]);

/* Writes a Binding request with the given transaction id into buf. On success *len is
 * STUN_BINDING_REQUEST_LEN. -ENOSPC when cap is too small. */
int stun_build_binding_request(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			       size_t *len);

/* A Binding request asking the server to answer from another address and/or port
 * (flags: STUN_CHANGE_IP | STUN_CHANGE_PORT; 0 is a plain request that still carries
 * the attribute). *len is STUN_CHANGE_REQUEST_LEN. -EINVAL for other flag bits,
 * -ENOSPC when cap is too small. A server without RFC 5780 support answers "error 420"
 * (stun_parse_response: -EREMOTEIO) or does not answer from elsewhere at all. */
int stun_build_change_request(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			      unsigned flags, size_t *len);

/* Parses a datagram's payload as the answer to the request with this txid.
 * 0: a Binding success response with an address, written to *out.
 * -EREMOTEIO: a Binding error response; e says "error 420 Unknown Attribute".
 * -ENOMSG: a well-formed STUN response to some other transaction.
 * -ENOENT: a success response without any mapped-address attribute.
 * -EBADMSG: anything else (not STUN, truncated, bad lengths, bad FINGERPRINT, ...). */
int stun_parse_response(const uint8_t *buf, size_t len, const uint8_t txid[STUN_TXID_LEN],
			struct stun_response *out, struct errbuf *e);

/* One address attribute's value (MAPPED-ADDRESS layout: reserved, family, port,
 * address), XOR'ed with the cookie and txid of the message header hdr when xor is set
 * (XOR-MAPPED-ADDRESS and TURN's XOR-PEER-/XOR-RELAYED-ADDRESS). 0 or -EBADMSG. */
int stun_parse_address(const uint8_t *v, uint16_t vlen, const uint8_t *hdr, bool xor,
		       union sm_addr *ss, struct errbuf *e);

/* CRC-32 as used by FINGERPRINT (ISO-HDLC: reflected 0xEDB88320, init and xorout ~0). */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

#endif
