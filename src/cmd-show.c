/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `stunmesh show [IFACE...]`: what stunmesh sees on each WireGuard interface, read-only.
 * The private key is never printed. */
#include "commands.h"
#include "wg.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s show [-b auto|netlink|uapi] [IFACE...]\n"
		"Shows each WireGuard interface as stunmesh sees it: backend, listen port, public\n"
		"key, fwmark and, per peer, endpoint, keepalive, last handshake and transfer.\n",
		prog);
}

static int parse_backend(const char *s, enum wg_backend_kind *out)
{
	static const enum wg_backend_kind kinds[] = { WG_BACKEND_AUTO, WG_BACKEND_NETLINK,
						      WG_BACKEND_UAPI };

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!strcmp(s, wg_backend_name(kinds[i]))) {
			*out = kinds[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* "12s ago", "3m4s ago", "2h5m ago", "4d1h ago". */
static void format_age(int64_t sec, char *buf, size_t len)
{
	struct timespec now;
	int64_t age;

	if (sec == 0) {
		snprintf(buf, len, "never");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	age = (int64_t)now.tv_sec - sec;
	if (age < 0)
		age = 0; /* clocks disagree; a handshake cannot be in the future */
	if (age < 60)
		snprintf(buf, len, "%llds ago", (long long)age);
	else if (age < 3600)
		snprintf(buf, len, "%lldm%llds ago", (long long)(age / 60), (long long)(age % 60));
	else if (age < 86400)
		snprintf(buf, len, "%lldh%lldm ago", (long long)(age / 3600),
			 (long long)(age % 3600 / 60));
	else
		snprintf(buf, len, "%lldd%lldh ago", (long long)(age / 86400),
			 (long long)(age % 86400 / 3600));
}

static void show_device(const struct wg_device *dev)
{
	char b64[WG_KEY_B64_LEN], ep[WG_ENDPOINT_STR_LEN], age[48];

	printf("interface: %s\n", dev->name);
	printf("  backend: %s\n", wg_backend_name(dev->backend));
	if (dev->flags & WG_DEV_HAS_PUBLIC_KEY) {
		wg_key_to_base64(b64, dev->public_key);
		printf("  public key: %s\n", b64);
	} else {
		printf("  public key: (none)\n");
	}
	printf("  listening port: %u\n", dev->listen_port);
	if (dev->fwmark)
		printf("  fwmark: 0x%x\n", dev->fwmark);
	else
		printf("  fwmark: off\n");
	printf("  peers: %zu\n", dev->n_peers);
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		wg_key_to_base64(b64, p->public_key);
		wg_endpoint_format(&p->endpoint, ep, sizeof(ep));
		format_age(p->last_handshake_sec, age, sizeof(age));
		printf("\npeer: %s\n", b64);
		printf("  endpoint: %s\n", ep);
		if (p->persistent_keepalive)
			printf("  persistent keepalive: every %u seconds\n", p->persistent_keepalive);
		else
			printf("  persistent keepalive: off\n");
		printf("  latest handshake: %s\n", age);
		printf("  transfer: %llu B received, %llu B sent\n", (unsigned long long)p->rx_bytes,
		       (unsigned long long)p->tx_bytes);
	}
}

int cmd_show(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum wg_backend_kind kind = WG_BACKEND_AUTO;
	int c, status = EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (parse_backend(optarg, &kind)) {
				fprintf(stderr, "%s show: unknown backend '%s'\n", app->prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout, app->prog);
			return EXIT_OK;
		default:
			usage(stderr, app->prog);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr, app->prog);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		struct wg_device *dev = NULL;
		struct errbuf e = { "" };

		if (wg_device_get(argv[i], kind, &dev, &e)) {
			fprintf(stderr, "%s show: %s\n", app->prog, e.msg);
			status = EXIT_FAIL;
			continue;
		}
		if (i > optind)
			printf("\n");
		show_device(dev);
		wg_device_free(dev);
	}
	return status;
}
