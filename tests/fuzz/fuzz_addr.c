/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The address parsers on arbitrary text (records, UAPI replies and configs all reach
 * them). The first byte picks the family and flags. What parses must format to text
 * that parses back to the same address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int families[] = { AF_UNSPEC, AF_INET, AF_INET6 };
	union sm_addr a, b;
	char buf[ADDR_STR_LEN], host[256];
	uint16_t port;
	unsigned flags;
	int family;

	if (size < 1)
		return 0;
	family = families[data[0] % 3];
	flags = (data[0] >> 2) & (ADDR_NO_PORT | ADDR_PORT0 | ADDR_ZONE);
	if (addr_parse((const char *)data + 1, size - 1, family, flags, &a, NULL) == 0) {
		if (!addr_is_set(&a))
			abort();
		if (family != AF_UNSPEC && a.sa.sa_family != family)
			abort();
		addr_format(&a, buf, sizeof(buf));
		if (!(flags & ADDR_NO_PORT)) {
			if (addr_parse(buf, strlen(buf), family, flags | ADDR_ZONE | ADDR_PORT0, &b,
				       NULL) ||
			    !addr_equal(&a, &b) || a.in6.sin6_family != b.in6.sin6_family)
				abort();
		}
	}
	if (addr_split_hostport((const char *)data + 1, size - 1, host, sizeof(host), &port,
				NULL) == 0 &&
	    (port == 0 || strlen(host) == 0))
		abort();
	return 0;
}
