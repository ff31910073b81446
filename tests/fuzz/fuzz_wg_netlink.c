/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel backend's parsers over arbitrary bytes: the input is fed to a GET_DEVICE
 * dump as two datagrams (split where the first byte says), and to the family parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wg/wg-backend.h"
#include "wg/wg.h"

#define FAM 0x1d

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_nl_dump d;
	struct errbuf e;
	uint16_t id;
	size_t split;
	int r;

	if (size < 1)
		return 0;
	split = (size_t)data[0] * 16;
	data++;
	size--;
	if (split > size)
		split = size;
	if (wg_nl_dump_init(&d, FAM, 0, "fuzz0"))
		return 0;
	r = wg_nl_dump_feed(&d, data, split, &e);
	if (r == 0)
		r = wg_nl_dump_feed(&d, data + split, size - split, &e);
	if (r == 1 && d.error == 0) {
		struct wg_device *dev = wg_nl_dump_take(&d);
		char buf[ADDR_STR_LEN];

		for (size_t i = 0; i < dev->n_peers; i++)
			addr_format(&dev->peers[i].endpoint, buf, sizeof(buf));
		wg_device_free(dev);
	}
	wg_nl_dump_free(&d);
	wg_nl_parse_family(data, size, 0, &id);
	return 0;
}
