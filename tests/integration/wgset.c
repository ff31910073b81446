/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper, not installed: drives wg_set_endpoint / wg_set_keepalive the way the
 * daemon will, so integration tests can check the result with wg(8) while
 * `stunmesh show` stays read-only.
 *   wgset [-b auto|netlink|uapi] IFACE PEER-KEY endpoint ADDR:PORT
 *   wgset [-b auto|netlink|uapi] IFACE PEER-KEY keepalive SECONDS
 * Exit: 0 done, 3 the peer is not on the device, 1 other failure, 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wg/wg.h"

static int usage(void)
{
	fprintf(stderr, "usage: wgset [-b auto|netlink|uapi] IFACE PEER-KEY "
			"endpoint ADDR:PORT | keepalive SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	enum wg_backend_kind kind = WG_BACKEND_AUTO;
	uint8_t key[WG_KEY_LEN];
	struct errbuf e = { "" };
	size_t keylen = 0;
	int r;

	if (argc > 2 && !strcmp(argv[1], "-b")) {
		if (!strcmp(argv[2], "netlink"))
			kind = WG_BACKEND_NETLINK;
		else if (!strcmp(argv[2], "uapi"))
			kind = WG_BACKEND_UAPI;
		else if (strcmp(argv[2], "auto"))
			return usage();
		argc -= 2;
		argv += 2;
	}
	if (argc != 5)
		return usage();
	if (sodium_init() < 0 ||
	    sodium_base642bin(key, sizeof(key), argv[2], strlen(argv[2]), NULL, &keylen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    keylen != WG_KEY_LEN) {
		fprintf(stderr, "wgset: bad peer key '%s'\n", argv[2]);
		return 2;
	}
	if (!strcmp(argv[3], "endpoint")) {
		union sm_addr ep;

		if (addr_parse(argv[4], strlen(argv[4]), AF_UNSPEC, ADDR_PORT0 | ADDR_ZONE, &ep, NULL)) {
			fprintf(stderr, "wgset: bad endpoint '%s'\n", argv[4]);
			return 2;
		}
		r = wg_set_endpoint(argv[1], kind, key, &ep, &e);
	} else if (!strcmp(argv[3], "keepalive")) {
		char *end;
		long v = strtol(argv[4], &end, 10);

		if (*argv[4] == '\0' || *end || v < 0 || v > 65535)
			return usage();
		r = wg_set_keepalive(argv[1], kind, key, (uint16_t)v, &e);
	} else {
		return usage();
	}
	if (r) {
		fprintf(stderr, "wgset: %s (%s)\n", e.msg, strerror(-r));
		return r == -ENOENT ? 3 : 1;
	}
	return 0;
}
