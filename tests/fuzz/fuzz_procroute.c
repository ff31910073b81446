/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The /proc/net/route parser on arbitrary text. */
#include <stddef.h>
#include <stdint.h>

#include "proto/procroute.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procroute_gw g;
	struct errbuf e;

	if (procroute_default_gw((const char *)data, size, &g, &e) == 0 && g.ifname[0] == '\0')
		__builtin_trap(); /* a default route always names its interface */
	return 0;
}
