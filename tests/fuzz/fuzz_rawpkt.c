/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rawpkt_parse on arbitrary packets as an IPv4 and an IPv6 raw socket returns them.
 * The first two bytes choose the local port, so inputs can match it; the rest is the
 * packet. Whatever it accepts must lie inside the packet. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/rawpkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int families[] = { AF_INET, AF_INET6 };
	size_t off, plen;
	uint16_t port, sport;

	if (size < 2)
		return 0;
	port = (uint16_t)(data[0] << 8 | data[1]);
	data += 2;
	size -= 2;
	for (size_t i = 0; i < 2; i++) {
		if (rawpkt_parse(families[i], data, size, port, &off, &plen, &sport))
			continue;
		if (off > size || plen > size - off)
			abort();
	}
	return 0;
}
