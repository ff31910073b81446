/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel backend's parsers over arbitrary bytes: the input is fed to a GET_DEVICE
 * dump as two datagrams (split where the first byte says), and to the family parser.
 * What a dump yields must be writable again: a replace of every parsed peer (preshared
 * key, all its allowed IPs) is built into WG_CMD_SET_DEVICE messages, which must come to
 * an end within the size limit and carry every allowed IP exactly once. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wg/wg-backend.h"
#include "wg/wg.h"

#define FAM 0x1d

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rewrite(const struct wg_device *dev)
{
	static uint8_t msg[WG_NL_SET_MSG_MAX];

	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];
		struct wg_peer_op ops[2] = { { .flags = WG_OP_REMOVE, .keepalive = -1 },
					     { .flags = WG_OP_REPLACE_IPS } };
		struct wg_nl_set_cursor cur = { 0 };
		size_t msgs = 0, ip_before = 0;
		int len;

		memcpy(ops[0].public_key, p->public_key, WG_KEY_LEN);
		memcpy(ops[1].public_key, p->public_key, WG_KEY_LEN);
		ops[1].preshared_key = (p->flags & WG_PEER_HAS_PSK) ? p->preshared_key : NULL;
		ops[1].endpoint = addr_is_set(&p->endpoint) ? &p->endpoint : NULL;
		ops[1].keepalive = p->persistent_keepalive;
		ops[1].allowed_ips = p->allowed_ips;
		ops[1].n_allowed_ips = p->n_allowed_ips;
		while ((len = wg_nl_build_set(msg, sizeof(msg), FAM, 1, "fuzz0", ops, 2, &cur)) > 0) {
			/* each message moves the cursor on */
			if ((size_t)len > sizeof(msg) || ++msgs > 2 + p->n_allowed_ips)
				abort();
			if (cur.op == 1 && cur.ip && cur.ip <= ip_before)
				abort();
			ip_before = cur.ip;
		}
		if (len != 0 || cur.op != 2)
			abort();
	}
}

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
		rewrite(dev);
		wg_device_free(dev);
	}
	wg_nl_dump_free(&d);
	wg_nl_parse_family(data, size, 0, &id);
	return 0;
}
