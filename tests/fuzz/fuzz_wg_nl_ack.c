/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The netlink reply parsers the handle feeds one datagram at a time while a write or a
 * family lookup is under way: the ACK parser and the family parser, over arbitrary
 * bytes, with the sequence number they look for taken from the first four bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wg/wg-backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seq;
	uint16_t id = 0;
	uint8_t *copy;
	int r;

	if (size < 4)
		return 0;
	memcpy(&seq, data, 4);
	data += 4;
	size -= 4;
	/* An exact-size copy, so reading one byte past the datagram is caught. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = wg_nl_parse_ack(copy, size, seq);
	/* 1 found, 0 not there, or a negative errno in the kernel's range */
	if (r > 1 || r < -4095)
		abort();
	r = wg_nl_parse_family(copy, size, seq, &id);
	if (r > 1 || r < -4095)
		abort();
	wg_nl_parse_family(copy, size, 0, &id);
	free(copy);
	return 0;
}
