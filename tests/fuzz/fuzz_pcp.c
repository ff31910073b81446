/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PCP response parser on arbitrary bytes, then the epoch rule on what it read
 * (against a fixed previous state), and the sockaddr conversion of its address. */
#include <stddef.h>
#include <stdint.h>

#include "proto/pcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcp_response r;
	union sm_addr ss;
	struct errbuf e;

	if (pcp_parse_response(data, size, &r, &e) == 0) {
		(void)pcp_epoch_lost(1000, 5000, r.epoch, 5000 + r.lifetime);
		pcp_addr_to_sockaddr(&r.external_addr, r.external_port, &ss);
		(void)pcp_result_str(r.result);
	}
	return 0;
}
