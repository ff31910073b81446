/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NAT-PMP response parser on arbitrary bytes, then the epoch rule on what it read. */
#include <stddef.h>
#include <stdint.h>

#include "proto/natpmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct natpmp_response r;
	struct errbuf e;

	if (natpmp_parse_response(data, size, &r, &e) == 0) {
		(void)natpmp_epoch_lost(1000, 5000, r.epoch, 5000 + r.lifetime);
		(void)natpmp_result_str(r.result);
	}
	return 0;
}
