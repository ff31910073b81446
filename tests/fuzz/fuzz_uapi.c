/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The UAPI reply parsers (get and set) over arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wg/wg-backend.h"
#include "wg/wg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device *dev = NULL;
	struct errbuf e;

	if (wg_uapi_parse_get(data, size, "fuzz0", &dev, &e) == 0) {
		char buf[ADDR_STR_LEN];

		for (size_t i = 0; i < dev->n_peers; i++)
			addr_format(&dev->peers[i].endpoint, buf, sizeof(buf));
		wg_device_free(dev);
	}
	wg_uapi_parse_set(data, size, &e);
	return 0;
}
