/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper, not installed: drives the WireGuard layer (wg.h) the way the daemon does,
 * so integration tests can check the result with wg(8) while `stunmesh show` stays
 * read-only.
 *   wgset [-b K] IFACE PEER-KEY endpoint ADDR:PORT
 *   wgset [-b K] IFACE PEER-KEY keepalive SECONDS
 *   wgset [-b K] IFACE PEER-KEY punch ADDR:PORT       endpoint, keepalive 0 then 1: one set
 *   wgset [-b K] IFACE PEER-KEY replace ADDR:PORT|- [SECONDS|-]
 *   wgset [-b K] IFACE multi PEER-KEY=ADDR:PORT[/SECONDS]...   several peers, one set
 *   wgset [-b K] [-t MS] IFACE PEER-KEY async ADDR:PORT
 *   wgset [-b K] IFACE PEER-KEY reget FILE
 * K is auto, netlink or uapi. async opens a handle on a loop of its own with a 20 ms
 * ticker and queues get, set endpoint, get; it prints each result and at the end
 * "ticks N elapsed MS" (how often the loop ran a timer meanwhile), exit 0 when every
 * step worked and the last get shows the new endpoint. -t sets the handle's deadline.
 * reget reads the device through one handle, then again once FILE exists (looked for
 * every 100 ms, for 60 s at most; the kernel module may be reloaded meanwhile: the
 * handle must find the new family); exit 0 when both reads worked and the second shows
 * the peer.
 * Exit: 0 done, 3 the peer is not on the device, 1 other failure, 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/loop.h"
#include "wg/wg.h"

static int usage(void)
{
	fprintf(stderr, "usage: wgset [-b auto|netlink|uapi] [-t MS] IFACE PEER-KEY "
			"endpoint ADDR:PORT | keepalive SECONDS | punch ADDR:PORT | "
			"replace ADDR:PORT|- [SECONDS|-] | async ADDR:PORT | reget FILE\n"
			"       wgset [-b ...] IFACE multi PEER-KEY=ADDR:PORT[/SECONDS]...\n");
	return 2;
}

static int parse_key(const char *s, size_t n, uint8_t key[WG_KEY_LEN])
{
	size_t keylen = 0;

	if (sodium_base642bin(key, WG_KEY_LEN, s, n, NULL, &keylen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    keylen != WG_KEY_LEN) {
		fprintf(stderr, "wgset: bad peer key '%.*s'\n", (int)n, s);
		return -1;
	}
	return 0;
}

static int parse_ep(const char *s, size_t n, union sm_addr *ep)
{
	if (addr_parse(s, n, AF_UNSPEC, ADDR_PORT0 | ADDR_ZONE, ep, NULL)) {
		fprintf(stderr, "wgset: bad endpoint '%.*s'\n", (int)n, s);
		return -1;
	}
	return 0;
}

static int parse_secs(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end || v < 0 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

/* ---- async: a handle on a loop, with a ticker proving the loop runs ---- */

struct async {
	struct loop *loop;
	struct loop_timer tick;
	int ticks, done, failed;
	const uint8_t *key;
	const union sm_addr *want;
};

static void on_tick(struct loop *l, void *arg)
{
	struct async *a = arg;

	a->ticks++;
	loop_timer_arm(l, &a->tick, 20);
}

static void on_get(void *arg, int err, const char *msg, struct wg_device *dev)
{
	struct async *a = arg;
	char ep[ADDR_STR_LEN];

	a->done++;
	if (err) {
		printf("get %d: %s\n", a->done, msg);
		a->failed = 1;
		return;
	}
	const struct wg_peer *p = wg_device_find_peer(dev, a->key);

	printf("get %d: %zu peers, backend %s, peer endpoint %s\n", a->done, dev->n_peers,
	       wg_backend_name(dev->backend), p ? addr_format(&p->endpoint, ep, sizeof(ep)) : "absent");
	if (a->done == 3 && (!p || !addr_equal(&p->endpoint, a->want)))
		a->failed = 1;
	wg_device_free(dev);
}

static void on_set(void *arg, int err, const char *msg)
{
	struct async *a = arg;

	a->done++;
	printf("set %d: %s\n", a->done, err ? msg : "ok");
	a->failed |= err != 0;
}

static int run_async(const char *ifname, enum wg_backend_kind kind, int timeout_ms,
		     const uint8_t key[WG_KEY_LEN], const union sm_addr *ep)
{
	struct async a = { .key = key, .want = ep };
	struct wg_peer_update u = { .endpoint = ep, .keepalive = -1 };
	struct wg_handle *h = NULL;
	struct errbuf e = { "" };
	int64_t t0;

	memcpy(u.public_key, key, WG_KEY_LEN);
	if (loop_new(&a.loop, &e) || wg_handle_open(a.loop, ifname, kind, &h, &e)) {
		fprintf(stderr, "wgset: %s\n", e.msg);
		return 1;
	}
	if (timeout_ms)
		wg_handle_set_timeout(h, timeout_ms);
	loop_timer_init(&a.tick, on_tick, &a);
	loop_timer_arm(a.loop, &a.tick, 20);
	t0 = loop_now(a.loop);
	if (wg_handle_get(h, on_get, &a) || wg_handle_set(h, &u, 1, on_set, &a) ||
	    wg_handle_get(h, on_get, &a)) {
		fprintf(stderr, "wgset: cannot queue the requests\n");
		return 1;
	}
	while (a.done < 3)
		if (loop_run_once(a.loop, -1))
			return 1;
	printf("ticks %d elapsed %lld\n", a.ticks, (long long)(loop_now(a.loop) - t0));
	wg_handle_close(h);
	loop_timer_cancel(a.loop, &a.tick);
	loop_free(a.loop);
	return a.failed;
}

/* reget: a get now and one on the same handle later */
struct reget {
	struct wg_handle *h;
	struct loop_timer later;
	const uint8_t *key;
	const char *file;
	int done, failed, polls;
};

static void reget_cb(void *arg, int err, const char *msg, struct wg_device *dev)
{
	struct reget *g = arg;

	g->done++;
	if (err) {
		printf("get %d: %s\n", g->done, msg);
		g->failed = 1;
		return;
	}
	printf("get %d: %zu peers, backend %s, peer %s\n", g->done, dev->n_peers,
	       wg_backend_name(dev->backend), wg_device_find_peer(dev, g->key) ? "present" : "absent");
	if (g->done == 2 && !wg_device_find_peer(dev, g->key))
		g->failed = 1;
	wg_device_free(dev);
}

static void reget_later(struct loop *l, void *arg)
{
	struct reget *g = arg;

	if (access(g->file, F_OK) && ++g->polls < 600) {
		loop_timer_arm(l, &g->later, 100);
		return;
	}
	if (wg_handle_get(g->h, reget_cb, g))
		g->done = 2, g->failed = 1;
}

static int run_reget(const char *ifname, enum wg_backend_kind kind,
		     const uint8_t key[WG_KEY_LEN], const char *file)
{
	struct reget g = { .key = key, .file = file };
	struct loop *l = NULL;
	struct errbuf e = { "" };
	bool armed = false;

	if (loop_new(&l, &e) || wg_handle_open(l, ifname, kind, &g.h, &e)) {
		fprintf(stderr, "wgset: %s\n", e.msg);
		return 1;
	}
	loop_timer_init(&g.later, reget_later, &g);
	if (wg_handle_get(g.h, reget_cb, &g))
		return 1;
	while (g.done < 2) {
		if (loop_run_once(l, -1))
			return 1;
		if (g.done == 1 && !armed) {
			loop_timer_arm(l, &g.later, 100);
			armed = true;
		}
	}
	wg_handle_close(g.h);
	loop_free(l);
	return g.failed;
}

/* ---- the rest: one synchronous call each ---- */

static int multi(const char *ifname, enum wg_backend_kind kind, int argc, char **argv,
		 struct errbuf *e)
{
	struct wg_peer_update u[64];
	union sm_addr eps[64];
	int n = argc;

	if (n < 1 || n > 64)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		/* A key in base64 is 44 characters and ends in '=' itself. */
		const char *eq = strlen(argv[i]) > 44 ? argv[i] + 44 : NULL, *sl;

		if (!eq || *eq != '=')
			return -EINVAL;
		sl = strchr(eq, '/');
		memset(&u[i], 0, sizeof(u[i]));
		u[i].keepalive = -1;
		if (parse_key(argv[i], (size_t)(eq - argv[i]), u[i].public_key) ||
		    parse_ep(eq + 1, sl ? (size_t)(sl - eq - 1) : strlen(eq + 1), &eps[i]) ||
		    (sl && parse_secs(sl + 1, &u[i].keepalive)))
			return -EINVAL;
		u[i].endpoint = &eps[i];
	}
	return wg_set_peers(ifname, kind, u, (size_t)n, e);
}

static int replace(const char *ifname, enum wg_backend_kind kind, const uint8_t key[WG_KEY_LEN],
		   int argc, char **argv, struct errbuf *e)
{
	struct wg_device *dev = NULL;
	const struct wg_peer *p;
	union sm_addr ep;
	bool have_ep = argc >= 1 && strcmp(argv[0], "-");
	int ka = -1, r;

	if (argc < 1 || argc > 2 || (have_ep && parse_ep(argv[0], strlen(argv[0]), &ep)) ||
	    (argc == 2 && strcmp(argv[1], "-") && parse_secs(argv[1], &ka)))
		return -EINVAL;
	r = wg_device_get(ifname, kind, &dev, e);
	if (r)
		return r;
	p = wg_device_find_peer(dev, key);
	if (!p)
		r = err_set(e, -ENOENT, "the peer is not on %s", ifname);
	else
		r = wg_replace_peer(ifname, kind, p, have_ep ? &ep : NULL, ka, e);
	wg_device_free(dev);
	return r;
}

static int one_peer(const char *ifname, enum wg_backend_kind kind, const uint8_t key[WG_KEY_LEN],
		    const char *op, int argc, char **argv, struct errbuf *e)
{
	union sm_addr ep;
	int v;

	if (!strcmp(op, "replace"))
		return replace(ifname, kind, key, argc, argv, e);
	if (argc != 1)
		return -EINVAL;
	if (!strcmp(op, "endpoint")) {
		if (parse_ep(argv[0], strlen(argv[0]), &ep))
			return -EINVAL;
		return wg_set_endpoint(ifname, kind, key, &ep, e);
	}
	if (!strcmp(op, "keepalive")) {
		if (parse_secs(argv[0], &v))
			return -EINVAL;
		return wg_set_keepalive(ifname, kind, key, (uint16_t)v, e);
	}
	if (!strcmp(op, "punch")) {
		struct wg_peer_update u[2] = { { .endpoint = &ep, .keepalive = 0 },
					       { .keepalive = 1 } };

		if (parse_ep(argv[0], strlen(argv[0]), &ep))
			return -EINVAL;
		memcpy(u[0].public_key, key, WG_KEY_LEN);
		memcpy(u[1].public_key, key, WG_KEY_LEN);
		return wg_set_peers(ifname, kind, u, 2, e);
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	enum wg_backend_kind kind = WG_BACKEND_AUTO;
	uint8_t key[WG_KEY_LEN];
	struct errbuf e = { "" };
	int r, timeout_ms = 0;

	while (argc > 2 && argv[1][0] == '-' && argv[1][1] && !argv[1][2]) {
		if (!strcmp(argv[1], "-b") && !strcmp(argv[2], "netlink"))
			kind = WG_BACKEND_NETLINK;
		else if (!strcmp(argv[1], "-b") && !strcmp(argv[2], "uapi"))
			kind = WG_BACKEND_UAPI;
		else if (!strcmp(argv[1], "-t"))
			timeout_ms = atoi(argv[2]);
		else if (strcmp(argv[1], "-b") || strcmp(argv[2], "auto"))
			return usage();
		argc -= 2;
		argv += 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* scripts watch the output as it comes */
	if (sodium_init() < 0 || argc < 4)
		return usage();
	if (!strcmp(argv[2], "multi")) {
		r = multi(argv[1], kind, argc - 3, argv + 3, &e);
	} else {
		if (parse_key(argv[2], strlen(argv[2]), key))
			return 2;
		if (!strcmp(argv[3], "async")) {
			union sm_addr ep;

			if (argc != 5 || parse_ep(argv[4], strlen(argv[4]), &ep))
				return usage();
			return run_async(argv[1], kind, timeout_ms, key, &ep);
		}
		if (!strcmp(argv[3], "reget")) {
			if (argc != 5)
				return usage();
			return run_reget(argv[1], kind, key, argv[4]);
		}
		r = one_peer(argv[1], kind, key, argv[3], argc - 4, argv + 4, &e);
	}
	if (r == -EINVAL && !e.msg[0])
		return usage();
	if (r) {
		fprintf(stderr, "wgset: %s (%s)\n", e.msg, strerror(-r));
		return r == -ENOENT ? 3 : 1;
	}
	return 0;
}
