/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The UAPI reply parsers (get and set) and the reply-end scanner over arbitrary bytes.
 * What a get reply yields must be writable again: a replace of every parsed peer (its
 * preshared key and allowed IPs included) is formatted, and must be accepted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wg/wg-backend.h"
#include "wg/wg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rewrite(const struct wg_device *dev)
{
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];
		struct wg_peer_op ops[2] = { { .flags = WG_OP_REMOVE, .keepalive = -1 },
					     { .flags = WG_OP_REPLACE_IPS } };
		struct secbuf b = { 0 };
		char ip[WG_ALLOWED_IP_STR_LEN];

		memcpy(ops[0].public_key, p->public_key, WG_KEY_LEN);
		memcpy(ops[1].public_key, p->public_key, WG_KEY_LEN);
		ops[1].preshared_key = (p->flags & WG_PEER_HAS_PSK) ? p->preshared_key : NULL;
		ops[1].endpoint = addr_is_set(&p->endpoint) ? &p->endpoint : NULL;
		ops[1].keepalive = p->persistent_keepalive;
		ops[1].allowed_ips = p->allowed_ips;
		ops[1].n_allowed_ips = p->n_allowed_ips;
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			wg_allowed_ip_format(&p->allowed_ips[j], ip, sizeof(ip));
		if (wg_uapi_format_ops(&b, ops, 2) != 0)
			abort();
		secbuf_free(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device *dev = NULL;
	struct errbuf e;
	size_t end;

	if (wg_uapi_parse_get(data, size, "fuzz0", &dev, &e) == 0) {
		char buf[ADDR_STR_LEN];

		for (size_t i = 0; i < dev->n_peers; i++)
			addr_format(&dev->peers[i].endpoint, buf, sizeof(buf));
		rewrite(dev);
		wg_device_free(dev);
	}
	wg_uapi_parse_set(data, size, &e);
	end = wg_uapi_reply_end(data, size, 0);
	if (end > size || (size > 1 && wg_uapi_reply_end(data, size, size / 2) > size))
		abort();
	return 0;
}
