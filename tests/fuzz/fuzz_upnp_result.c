/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The UPnP worker's result record on arbitrary bytes; what decodes must encode back to
 * the same bytes (nothing is accepted that the worker could not have written). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/upnp-result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upnp_result r;
	struct errbuf e;
	uint8_t again[UPNP_RESULT_LEN];

	if (upnp_result_decode(data, size, &r, &e))
		return 0;
	(void)upnp_status_str(r.status);
	if (upnp_result_encode(&r, again) || memcmp(again, data, 9) || memcmp(again + 10, data + 10, UPNP_RESULT_LEN - 10))
		__builtin_trap();
	return 0;
}
