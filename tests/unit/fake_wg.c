/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake_wg.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 100
#define REKEY_TIMEOUT_MS 5000
#define REJECT_AFTER_S 180
#define INIT_BYTES 148
#define RESPONSE_BYTES 92
#define KEEPALIVE_BYTES 32
#define DATA_BYTES 100

struct fake_handle {
	struct fake_net *net;
	char name[IFNAMSIZ];
};

struct fake_wg_op {
	struct fake_wg_op *next;
	struct fake_handle *h;
	struct loop_timer timer;
	bool is_get;
	engine_wg_get_cb get_cb;
	engine_wg_set_cb set_cb;
	void *arg;
	struct engine_wg_update u[4];
	size_t n;
};

static int64_t unix_now(const struct fake_net *n)
{
	return fake_clock_unix(n->clock);
}

static struct fake_dev *dev_by_key(struct fake_net *n, const uint8_t *pub)
{
	for (size_t i = 0; i < n->n_devs; i++)
		if (n->devs[i].exists && !memcmp(n->devs[i].pub, pub, WG_KEY_LEN))
			return &n->devs[i];
	return NULL;
}

static struct fake_dev *dev_by_name(struct fake_net *n, const char *name)
{
	for (size_t i = 0; i < n->n_devs; i++)
		if (!strcmp(n->devs[i].name, name))
			return &n->devs[i];
	return NULL;
}

struct fake_dev *fake_net_dev_by_port(struct fake_net *n, uint16_t port)
{
	for (size_t i = 0; i < n->n_devs; i++)
		if (n->devs[i].exists && n->devs[i].port == port)
			return &n->devs[i];
	return NULL;
}

struct fake_peer *fake_dev_peer(struct fake_dev *a, const uint8_t *pub)
{
	for (size_t i = 0; i < a->n_peers; i++)
		if (!memcmp(a->peers[i].pub, pub, WG_KEY_LEN))
			return &a->peers[i];
	return NULL;
}

struct fake_peer *fake_peer_of(struct fake_dev *a, const struct fake_dev *b)
{
	return fake_dev_peer(a, b->pub);
}

bool fake_net_path_open(const struct fake_net *n, const struct fake_dev *a, const struct fake_dev *b)
{
	const struct fake_peer *pa = fake_peer_of((struct fake_dev *)a, b);
	const struct fake_peer *pb = fake_peer_of((struct fake_dev *)b, a);

	(void)n;
	return a->exists && b->exists && pa && pb && addr_equal(&pa->endpoint, &b->public_addr) &&
	       addr_equal(&pb->endpoint, &a->public_addr);
}

/* ---- the network ------------------------------------------------------------------------- */

static bool session(const struct fake_net *n, const struct fake_peer *p)
{
	return p->last_handshake && unix_now(n) - p->last_handshake < REJECT_AFTER_S;
}

/* A handshake initiation from d to its peer p (at most one per REKEY_TIMEOUT, whether
 * or not it can be delivered: WireGuard's back-off). */
static void initiate(struct fake_net *n, struct fake_dev *d, struct fake_peer *p)
{
	struct fake_dev *o = dev_by_key(n, p->pub);
	struct fake_peer *q = o ? fake_peer_of(o, d) : NULL;
	int64_t now = n->clock->ms;

	if (now < p->next_initiation_ms)
		return;
	p->next_initiation_ms = now + REKEY_TIMEOUT_MS;
	p->tx += INIT_BYTES;
	if (!q || !fake_net_path_open(n, d, o))
		return;
	q->rx += INIT_BYTES;
	q->tx += RESPONSE_BYTES;
	p->rx += RESPONSE_BYTES;
	p->last_handshake = q->last_handshake = unix_now(n);
	n->handshakes++;
}

/* bytes from d to its peer p; data gets a reply of the same size */
static void send_to(struct fake_net *n, struct fake_dev *d, struct fake_peer *p, uint64_t bytes,
		    bool data)
{
	struct fake_dev *o = dev_by_key(n, p->pub);
	struct fake_peer *q = o ? fake_peer_of(o, d) : NULL;

	if (!session(n, p)) {
		initiate(n, d, p);
		return;
	}
	p->tx += bytes;
	if (!q || !fake_net_path_open(n, d, o))
		return;
	q->rx += bytes;
	if (data) {
		q->tx += bytes;
		p->rx += bytes;
	}
}

static void tick(struct loop *l, void *arg)
{
	struct fake_net *n = arg;
	int64_t now = n->clock->ms;

	for (size_t i = 0; i < n->n_devs; i++) {
		struct fake_dev *d = &n->devs[i];

		for (size_t j = 0; d->exists && j < d->n_peers; j++) {
			struct fake_peer *p = &d->peers[j];

			if (p->keepalive > 0 && now >= p->next_keepalive_ms) {
				p->next_keepalive_ms = now + p->keepalive * 1000;
				send_to(n, d, p, KEEPALIVE_BYTES, false);
			}
			if (p->traffic && now >= p->next_traffic_ms) {
				p->next_traffic_ms = now + 1000;
				send_to(n, d, p, DATA_BYTES, true);
			}
		}
	}
	loop_timer_arm(l, &n->tick, TICK_MS);
}

void fake_net_init(struct fake_net *n, struct loop *l, struct fake_clock *c)
{
	memset(n, 0, sizeof(*n));
	n->loop = l;
	n->clock = c;
	n->next_ifindex = 10;
	loop_timer_init(&n->tick, tick, n);
	loop_timer_arm(l, &n->tick, TICK_MS);
}

static void op_unlink(struct fake_net *n, struct fake_wg_op *op)
{
	for (struct fake_wg_op **pp = &n->ops; *pp; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			return;
		}
}

void fake_net_free(struct fake_net *n)
{
	loop_timer_cancel(n->loop, &n->tick);
	while (n->ops) {
		struct fake_wg_op *op = n->ops;

		n->ops = op->next;
		loop_timer_cancel(n->loop, &op->timer);
		free(op);
	}
}

static int parse_addr(const char *s, union sm_addr *a)
{
	return addr_parse(s, strlen(s), AF_UNSPEC, 0, a, NULL);
}

struct fake_dev *fake_net_add_dev(struct fake_net *n, const char *name, uint16_t port,
				  const char *public_addr)
{
	struct fake_dev *d = &n->devs[n->n_devs++];

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->exists = true;
	d->ifindex = n->next_ifindex++;
	d->port = port;
	crypto_box_keypair(d->pub, d->priv);
	if (parse_addr(public_addr, &d->public_addr))
		abort();
	return d;
}

static struct fake_peer *add_peer(struct fake_dev *d, const uint8_t *pub, int ka)
{
	struct fake_peer *p = &d->peers[d->n_peers++];

	memset(p, 0, sizeof(*p));
	memcpy(p->pub, pub, WG_KEY_LEN);
	p->endpoint.sa.sa_family = AF_UNSPEC;
	p->keepalive = ka;
	return p;
}

void fake_net_link(struct fake_dev *a, int ka_a, struct fake_dev *b, int ka_b)
{
	add_peer(a, b->pub, ka_a);
	add_peer(b, a->pub, ka_b);
}

void fake_net_recreate(struct fake_net *n, struct fake_dev *d, const int *user_ka)
{
	d->ifindex = n->next_ifindex++;
	for (size_t i = 0; i < d->n_peers; i++) {
		struct fake_peer *p = &d->peers[i];
		uint8_t pub[WG_KEY_LEN];
		bool traffic = p->traffic;

		memcpy(pub, p->pub, WG_KEY_LEN);
		memset(p, 0, sizeof(*p));
		memcpy(p->pub, pub, WG_KEY_LEN);
		p->endpoint.sa.sa_family = AF_UNSPEC;
		p->keepalive = user_ka ? user_ka[i] : 0;
		p->traffic = traffic;
	}
}

void fake_net_move(struct fake_dev *d, const char *public_addr)
{
	if (parse_addr(public_addr, &d->public_addr))
		abort();
}

/* ---- the device operations ---------------------------------------------------------------- */

static struct wg_device *snapshot(const struct fake_dev *d)
{
	struct wg_device *dev = wg_device_new();
	size_t cap = 0;

	if (!dev)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "%s", d->name);
	dev->backend = WG_BACKEND_UAPI;
	dev->listen_port = d->port;
	memcpy(dev->private_key, d->priv, WG_KEY_LEN);
	memcpy(dev->public_key, d->pub, WG_KEY_LEN);
	dev->flags = WG_DEV_HAS_PRIVATE_KEY | WG_DEV_HAS_PUBLIC_KEY;
	for (size_t i = 0; i < d->n_peers; i++) {
		struct wg_peer *wp = wg_device_add_peer(dev, &cap);

		if (!wp) {
			wg_device_free(dev);
			return NULL;
		}
		memcpy(wp->public_key, d->peers[i].pub, WG_KEY_LEN);
		wp->endpoint = d->peers[i].endpoint;
		wp->persistent_keepalive = (uint16_t)d->peers[i].keepalive;
		wp->last_handshake_sec = d->peers[i].last_handshake;
		wp->rx_bytes = d->peers[i].rx;
		wp->tx_bytes = d->peers[i].tx;
		wp->flags = WG_PEER_HAS_ENDPOINT | WG_PEER_HAS_KEEPALIVE;
	}
	return dev;
}

/* One update on the device, as WireGuard applies it (update-only). */
static int apply_update(struct fake_net *n, struct fake_dev *d, const struct engine_wg_update *u)
{
	struct fake_peer *p = fake_dev_peer(d, u->pub);

	if (!p)
		return 0; /* update-only: a missing peer is not created, silently */
	if (u->set_endpoint) {
		p->endpoint = u->endpoint;
		p->endpoint_sets++;
	}
	if (u->keepalive >= 0) {
		bool on = p->keepalive == 0 && u->keepalive > 0;

		p->keepalive = u->keepalive;
		if (p->n_ka < FAKE_KA_HISTORY)
			p->ka_history[p->n_ka++] = u->keepalive;
		if (on) {
			/* 0 -> N sends a keepalive now */
			p->next_keepalive_ms = n->clock->ms + p->keepalive * 1000;
			send_to(n, d, p, KEEPALIVE_BYTES, false);
		}
	}
	return 0;
}

static int apply_set(struct fake_net *n, const struct fake_wg_op *op)
{
	struct fake_dev *d = dev_by_name(n, op->h->name);

	if (!d || !d->exists)
		return -ENODEV;
	d->sets++;
	if (d->fail_sets)
		return d->fail_sets;
	for (size_t i = 0; i < op->n; i++)
		apply_update(n, d, &op->u[i]);
	return 0;
}

static void op_fire(struct loop *l, void *arg)
{
	struct fake_wg_op *op = arg;
	struct fake_net *n = op->h->net;
	char msg[128];

	(void)l;
	op_unlink(n, op);
	if (op->is_get) {
		struct fake_dev *d = dev_by_name(n, op->h->name);

		if (!d || !d->exists) {
			snprintf(msg, sizeof(msg), "no interface named %s", op->h->name);
			op->get_cb(op->arg, -ENODEV, msg, NULL);
		} else if (d->gets++, d->fail_gets) {
			snprintf(msg, sizeof(msg), "%s: reading failed: %s", d->name, strerror(-d->fail_gets));
			op->get_cb(op->arg, d->fail_gets, msg, NULL);
		} else {
			struct wg_device *dev = snapshot(d);

			op->get_cb(op->arg, dev ? 0 : -ENOMEM, dev ? NULL : "out of memory", dev);
		}
	} else {
		int r = apply_set(n, op);

		snprintf(msg, sizeof(msg), "%s: set failed: %s", op->h->name, strerror(-r));
		op->set_cb(op->arg, r, r ? msg : NULL);
	}
	free(op);
}

static int fw_open(void *ctx, struct loop *l, const char *ifname, enum wg_backend_kind kind,
		   void **out, struct errbuf *e)
{
	struct fake_handle *h = calloc(1, sizeof(*h));

	(void)l;
	(void)kind;
	if (!h)
		return err_set(e, -ENOMEM, "out of memory");
	h->net = ctx;
	snprintf(h->name, sizeof(h->name), "%s", ifname);
	h->net->open_handles++;
	*out = h;
	return 0;
}

static struct fake_wg_op *op_new(struct fake_handle *h, void *arg)
{
	struct fake_wg_op *op = calloc(1, sizeof(*op));
	struct fake_wg_op **tail;

	if (!op)
		return NULL;
	op->h = h;
	op->arg = arg;
	loop_timer_init(&op->timer, op_fire, op);
	for (tail = &h->net->ops; *tail; tail = &(*tail)->next)
		;
	*tail = op;
	loop_timer_arm(h->net->loop, &op->timer, h->net->op_delay_ms);
	return op;
}

static int fw_get(void *hv, engine_wg_get_cb cb, void *arg)
{
	struct fake_wg_op *op = op_new(hv, arg);

	if (!op)
		return -ENOMEM;
	op->is_get = true;
	op->get_cb = cb;
	return 0;
}

static int fw_set(void *hv, const struct engine_wg_update *u, size_t n, engine_wg_set_cb cb,
		  void *arg)
{
	struct fake_wg_op *op;

	if (n > sizeof(op->u) / sizeof(op->u[0]))
		return -E2BIG;
	op = op_new(hv, arg);
	if (!op)
		return -ENOMEM;
	memcpy(op->u, u, n * sizeof(*u));
	op->n = n;
	op->set_cb = cb;
	return 0;
}

static int fw_replace(void *hv, const struct wg_peer *full, const union sm_addr *endpoint,
		      int keepalive, engine_wg_set_cb cb, void *arg)
{
	(void)hv;
	(void)full;
	(void)endpoint;
	(void)keepalive;
	(void)cb;
	(void)arg;
	return -EOPNOTSUPP;
}

static void drop_ops(struct fake_handle *h, void *arg, bool all, bool apply_sets)
{
	struct fake_net *n = h->net;
	struct fake_wg_op **pp = &n->ops;

	while (*pp) {
		struct fake_wg_op *op = *pp;

		if (op->h != h || (!all && op->arg != arg)) {
			pp = &op->next;
			continue;
		}
		*pp = op->next;
		loop_timer_cancel(n->loop, &op->timer);
		if (apply_sets && !op->is_get)
			apply_set(n, op);
		free(op);
	}
}

static void fw_cancel(void *hv, void *arg)
{
	drop_ops(hv, arg, false, false);
}

/* As the real adapter: queued sets still reach the device, without callbacks. */
static void fw_close(void *hv)
{
	struct fake_handle *h = hv;

	drop_ops(h, NULL, true, true);
	h->net->open_handles--;
	free(h);
}

static unsigned fw_ifindex(void *ctx, const char *ifname)
{
	struct fake_dev *d = dev_by_name(ctx, ifname);

	return d && d->exists ? d->ifindex : 0;
}

const struct engine_wg_ops fake_wg_ops = {
	.open = fw_open,
	.close = fw_close,
	.get = fw_get,
	.set = fw_set,
	.replace = fw_replace,
	.cancel = fw_cancel,
	.ifindex = fw_ifindex,
};
