/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The STUN response parser on arbitrary bytes. The transaction id is the RFC 5769 one
 * that the seed corpus uses, so mutations get past the txid check and into the
 * attribute walk; a second parse takes the txid from the input itself. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t txid[STUN_TXID_LEN] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
						     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };
	struct stun_response r;
	struct errbuf e;

	stun_parse_response(data, size, txid, &r, &e);
	if (size >= STUN_HEADER_LEN)
		stun_parse_response(data, size, data + 8, &r, &e);
	return 0;
}
