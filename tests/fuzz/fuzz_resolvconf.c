/* SPDX-License-Identifier: GPL-2.0-or-later */
/* resolv.conf and hosts lines on arbitrary text: the parsed configuration stays within
 * its bounds (servers, search domains that are valid names, options in range), and
 * every line goes through the hosts matcher for both families. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/resolvconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct resolv_conf c;
	union sm_addr a;
	size_t i = 0;

	resolv_conf_parse(text, size, &c);
	if (c.n_ns < 1 || c.n_ns > RESOLV_NS_MAX || c.n_search > RESOLV_SEARCH_MAX ||
	    c.ndots > 15 || c.timeout < 1 || c.timeout > 30 || c.attempts < 1 || c.attempts > 5)
		abort();
	for (size_t k = 0; k < c.n_search; k++) {
		uint8_t w[DNS_WIRE_NAME_MAX];
		size_t wl;

		if (!memchr(c.search[k], '\0', sizeof(c.search[k])) ||
		    dns_name_to_wire(c.search[k], w, sizeof(w), &wl))
			abort();
	}
	while (i < size) {
		const char *nl = memchr(text + i, '\n', size - i);
		size_t end = nl ? (size_t)(nl - text) : size;

		if (hosts_line_match(text + i, end - i, "stun.example.org", AF_INET, &a) &&
		    a.sa.sa_family != AF_INET)
			abort();
		if (hosts_line_match(text + i, end - i, "stun", AF_INET6, &a) &&
		    a.sa.sa_family != AF_INET6)
			abort();
		i = end + 1;
	}
	return 0;
}
