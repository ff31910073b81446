/* SPDX-License-Identifier: GPL-2.0-or-later */
/* STUN (RFC 8489) Binding messages: just enough of the protocol to ask a server which
 * transport address it saw us from. Pure functions over (buf, len); no I/O, no state. */
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
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_FINGERPRINT 0x8028

#define STUN_FINGERPRINT_XOR 0x5354554eu

struct stun_response {
	union sm_addr mapped; /* AF_INET or AF_INET6, port filled in */
	bool from_xor;			/* XOR-MAPPED-ADDRESS (else RFC 3489 MAPPED-ADDRESS) */
	bool fingerprint;		/* a FINGERPRINT was present (and matched) */
	/* Comprehension-required attributes we do not know. RFC 8489 says a client should
	 * treat such a success response as failed; a Binding answer has nothing we could
	 * misread by skipping them, so they are counted for a note and otherwise skipped. */
	unsigned unknown_required;
};

/* Fills txid with 96 bits from libsodium's CSPRNG (sodium_init() must have run). */
void stun_new_txid(uint8_t txid[STUN_TXID_LEN]);

/* Writes a Binding request with the given transaction id into buf. On success *len is
 * STUN_BINDING_REQUEST_LEN. -ENOSPC when cap is too small. */
int stun_build_binding_request(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			       size_t *len);

/* Parses a datagram's payload as the answer to the request with this txid.
 * 0: a Binding success response with an address, written to *out.
 * -EREMOTEIO: a Binding error response; e says "error 420 Unknown Attribute".
 * -ENOMSG: a well-formed STUN response to some other transaction.
 * -ENOENT: a success response without any mapped-address attribute.
 * -EBADMSG: anything else (not STUN, truncated, bad lengths, bad FINGERPRINT, ...). */
int stun_parse_response(const uint8_t *buf, size_t len, const uint8_t txid[STUN_TXID_LEN],
			struct stun_response *out, struct errbuf *e);

/* CRC-32 as used by FINGERPRINT (ISO-HDLC: reflected 0xEDB88320, init and xorout ~0). */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

#endif
