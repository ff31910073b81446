/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `stunmesh show [IFACE...]`: what stunmesh sees on each WireGuard interface, read-only.
 * With a configuration, peers are named as there, each interface's configured backend is
 * used, and configured peers the device lacks are listed. The private and preshared keys
 * are never printed (a preshared key shows as "(hidden)", as in wg(8)). */
#include "cmd/cmdline.h"
#include "wg/wg.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s show [-c FILE] [--config-dir DIR] [-b auto|netlink|uapi] [IFACE...]\n"
		"Shows each WireGuard interface as stunmesh sees it: backend, listen port, public\n"
		"key, fwmark and, per peer, endpoint, allowed IPs, keepalive, last handshake and\n"
		"transfer. Without IFACE, the interfaces of the configuration; with a\n"
		"configuration, peers carry their configured names. Read-only; private and\n"
		"preshared keys are never shown.\n"
		"  -c, --config FILE    read this configuration file\n"
		"      --config-dir DIR config.yaml or config.yml in DIR\n"
		"  -b, --backend KIND   auto, netlink or uapi (default: the configured one, else auto)\n"
		"exit status: 0 all shown, 1 an interface could not be read, 2 usage, 3 configuration\n",
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

static const struct config_peer *config_peer_by_key(const struct config_iface *ifc,
						    const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; ifc && i < ifc->n_peers; i++)
		if (!memcmp(ifc->peers[i].public_key, key, WG_KEY_LEN))
			return &ifc->peers[i];
	return NULL;
}

static void show_allowed_ips(const struct wg_peer *p)
{
	char ip[WG_ALLOWED_IP_STR_LEN];

	printf("  allowed ips: ");
	if (!p->n_allowed_ips)
		printf("(none)");
	for (size_t i = 0; i < p->n_allowed_ips; i++)
		printf("%s%s", i ? ", " : "",
		       wg_allowed_ip_format(&p->allowed_ips[i], ip, sizeof(ip)));
	printf("\n");
}

static void show_device(const struct wg_device *dev, const struct config_iface *ifc)
{
	char b64[WG_KEY_B64_LEN], ep[ADDR_STR_LEN], age[48];

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
		const struct config_peer *cp = config_peer_by_key(ifc, p->public_key);

		wg_key_to_base64(b64, p->public_key);
		addr_format(&p->endpoint, ep, sizeof(ep));
		format_age(p->last_handshake_sec, age, sizeof(age));
		if (cp)
			printf("\npeer: %s (%s)\n", b64, cp->name);
		else
			printf("\npeer: %s\n", b64);
		printf("  endpoint: %s\n", ep);
		show_allowed_ips(p);
		if (p->flags & WG_PEER_HAS_PSK)
			printf("  preshared key: (hidden)\n");
		if (p->persistent_keepalive)
			printf("  persistent keepalive: every %u seconds\n", p->persistent_keepalive);
		else
			printf("  persistent keepalive: off\n");
		printf("  latest handshake: %s\n", age);
		printf("  transfer: %llu B received, %llu B sent\n", (unsigned long long)p->rx_bytes,
		       (unsigned long long)p->tx_bytes);
	}
	/* A configured peer the device lacks gets no endpoint: stunmesh never adds peers. */
	for (size_t i = 0; ifc && i < ifc->n_peers; i++) {
		if (wg_device_find_peer(dev, ifc->peers[i].public_key))
			continue;
		wg_key_to_base64(b64, ifc->peers[i].public_key);
		printf("\nconfigured peer not on %s: %s (%s)\n", dev->name, b64, ifc->peers[i].name);
	}
}

static const struct config_iface *config_iface_by_name(const struct config *cfg,
						       const char *name)
{
	for (size_t i = 0; cfg && i < cfg->n_ifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, name))
			return &cfg->ifaces[i];
	return NULL;
}

/* Shows one interface; 0 or -errno after printing why. */
static int show_one(struct app *app, const char *name, const struct config_iface *ifc,
		    enum wg_backend_kind kind, bool first)
{
	struct wg_device *dev = NULL;
	struct errbuf e = { "" };
	int r;

	r = wg_device_get(name, kind, &dev, &e);
	if (r) {
		fprintf(stderr, "%s show: %s\n", app->prog, e.msg);
		return r;
	}
	if (!first)
		printf("\n");
	show_device(dev, ifc);
	wg_device_free(dev);
	return 0;
}

int cmd_show(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		CMDLINE_CONFIG_OPTIONS,
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_source src = { 0 };
	enum wg_backend_kind kind = WG_BACKEND_AUTO;
	struct config *cfg = NULL;
	bool kind_set = false;
	int c, r, status = EXIT_OK;

	optind = 1;
	while ((c = getopt_long_only(argc, argv, "c:b:h", opts, NULL)) != -1) {
		if (cmdline_config_option(c, optarg, &src))
			continue;
		switch (c) {
		case 'b':
			if (parse_backend(optarg, &kind)) {
				fprintf(stderr, "%s show: unknown backend '%s' (auto, netlink, uapi)\n",
					app->prog, optarg);
				return EXIT_USAGE;
			}
			kind_set = true;
			break;
		case 'h':
			usage(stdout, app->prog);
			return EXIT_OK;
		default:
			usage(stderr, app->prog);
			return EXIT_USAGE;
		}
	}
	/* Named interfaces need no configuration unless one is asked for; with none named,
	 * the configured interfaces are the list. */
	if (src.file || src.dir || optind >= argc) {
		r = cmdline_load_config(app, &src, true, &cfg);
		if (r)
			return r;
	}
	if (optind < argc) {
		for (int i = optind; i < argc; i++) {
			const struct config_iface *ifc = config_iface_by_name(cfg, argv[i]);

			if (show_one(app, argv[i], ifc,
				     kind_set || !ifc ? kind : ifc->backend, i == optind))
				status = EXIT_FAIL;
		}
	} else if (cfg->n_ifaces == 0) {
		fprintf(stderr, "%s show: %s configures no interfaces\n", app->prog, cfg->path);
		status = EXIT_CONFIG;
	} else {
		for (size_t i = 0; i < cfg->n_ifaces; i++) {
			const struct config_iface *ifc = &cfg->ifaces[i];

			if (show_one(app, ifc->name, ifc, kind_set ? kind : ifc->backend, i == 0))
				status = EXIT_FAIL;
		}
	}
	config_free(cfg);
	return status;
}
