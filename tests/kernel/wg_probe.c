/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A test driver for the WireGuard backends (wg.h), so a test script can compare what
 * stunmesh reads and writes with what wireguard-tools says, on the real kernel module
 * (tests/kernel/wg_kernel.sh inside the VM) or on wireguard-go. Output is one fact per
 * line in a fixed form the scripts grep for; the private key is never printed.
 *
 *   wg_probe get IFACE [auto|netlink|uapi]
 *     listen_port=N / public_key=B64 / fwmark=N / backend=NAME, then per peer
 *     peer=B64 endpoint=IP:PORT|(none) keepalive=N handshake=UNIX rx=N tx=N
 *   wg_probe set-endpoint IFACE [auto|netlink|uapi] PEER_B64 IPV4:PORT
 *   wg_probe set-keepalive IFACE [auto|netlink|uapi] PEER_B64 SECONDS
 * Exit status: 0 ok, 1 the operation failed (message on stderr, with -errno), 2 usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wg.h"

static int usage(void)
{
	fprintf(stderr, "usage: wg_probe get IFACE [auto|netlink|uapi]\n"
			"       wg_probe set-endpoint IFACE auto|netlink|uapi PEER_B64 IPV4:PORT\n"
			"       wg_probe set-keepalive IFACE auto|netlink|uapi PEER_B64 SECONDS\n");
	return 2;
}

static int parse_kind(const char *s, enum wg_backend_kind *out)
{
	if (!strcmp(s, "auto"))
		*out = WG_BACKEND_AUTO;
	else if (!strcmp(s, "netlink"))
		*out = WG_BACKEND_NETLINK;
	else if (!strcmp(s, "uapi"))
		*out = WG_BACKEND_UAPI;
	else
		return -EINVAL;
	return 0;
}

static int parse_key(const char *s, uint8_t key[WG_KEY_LEN])
{
	size_t n = 0;

	if (sodium_base642bin(key, WG_KEY_LEN, s, strlen(s), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) || n != WG_KEY_LEN)
		return -EINVAL;
	return 0;
}

static void print_key(const char *label, const uint8_t key[WG_KEY_LEN])
{
	char b64[sodium_base64_ENCODED_LEN(WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), key, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
	printf("%s%s", label, b64);
}

static void print_endpoint(const union wg_sockaddr *ep)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->sa.sa_family == AF_INET && inet_ntop(AF_INET, &ep->in.sin_addr, a, sizeof(a)))
		printf(" endpoint=%s:%u", a, ntohs(ep->in.sin_port));
	else if (ep->sa.sa_family == AF_INET6 && inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a)))
		printf(" endpoint=[%s]:%u", a, ntohs(ep->in6.sin6_port));
	else
		printf(" endpoint=(none)");
}

static int cmd_get(const char *name, enum wg_backend_kind kind)
{
	struct wg_device *dev = NULL;
	struct errbuf e = { "" };
	int r = wg_device_get(name, kind, &dev, &e);

	if (r < 0) {
		fprintf(stderr, "wg_probe: get %s: %s (%d)\n", name, e.msg, r);
		return 1;
	}
	printf("listen_port=%u\n", dev->listen_port);
	if (dev->flags & WG_DEV_HAS_PUBLIC_KEY) {
		print_key("public_key=", dev->public_key);
		printf("\n");
	}
	printf("fwmark=%" PRIu32 "\n", dev->fwmark);
	printf("backend=%s\n", dev->backend == WG_BACKEND_NETLINK ? "netlink" :
			       dev->backend == WG_BACKEND_UAPI	  ? "uapi" :
									    "auto");
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		print_key("peer=", p->public_key);
		print_endpoint(&p->endpoint);
		printf(" keepalive=%u handshake=%" PRId64 " rx=%" PRIu64 " tx=%" PRIu64 "\n",
		       p->persistent_keepalive, p->last_handshake_sec, p->rx_bytes, p->tx_bytes);
	}
	wg_device_free(dev);
	return 0;
}

static int parse_endpoint(const char *s, union wg_sockaddr *ep)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535)
		return -EINVAL;
	memset(ep, 0, sizeof(*ep));
	ep->in.sin_family = AF_INET;
	ep->in.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &ep->in.sin_addr) != 1)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	enum wg_backend_kind kind = WG_BACKEND_AUTO;
	uint8_t key[WG_KEY_LEN];
	struct errbuf e = { "" };
	int r;

	if (sodium_init() < 0)
		return 1;
	if (argc < 3)
		return usage();
	if (argc >= 4 && parse_kind(argv[3], &kind) < 0)
		return usage();
	if (!strcmp(argv[1], "get") && argc <= 4)
		return cmd_get(argv[2], kind);
	if (argc != 6 || parse_key(argv[4], key) < 0)
		return usage();
	if (!strcmp(argv[1], "set-endpoint")) {
		union wg_sockaddr ep;

		if (parse_endpoint(argv[5], &ep) < 0)
			return usage();
		r = wg_set_endpoint(argv[2], kind, key, &ep, &e);
	} else if (!strcmp(argv[1], "set-keepalive")) {
		char *end;
		unsigned long secs = strtoul(argv[5], &end, 10);

		if (*end || secs > 65535)
			return usage();
		r = wg_set_keepalive(argv[2], kind, key, (uint16_t)secs, &e);
	} else {
		return usage();
	}
	if (r < 0) {
		fprintf(stderr, "wg_probe: %s %s: %s (%d)\n", argv[1], argv[2], e.msg, r);
		return 1;
	}
	return 0;
}
