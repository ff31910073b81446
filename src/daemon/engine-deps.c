/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's default dependencies: WireGuard through wg.h, STUN on raw sockets from
 * the WireGuard port, the system clock, the store kinds of store.c.
 *
 * WireGuard: wg.h's calls are synchronous, so this adapter queues the requests per
 * interface and runs them from a zero-delay loop timer, in order, with each callback
 * from the loop: the engine sees the asynchronous handle it is written against. */
#include "daemon/engine-deps.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/rawsock.h"
#include "wg/wg.h"

/* ---- WireGuard ------------------------------------------------------------------------ */

struct wgq_req {
	struct wgq_req *next;
	bool is_get;
	engine_wg_get_cb get_cb;
	engine_wg_set_cb set_cb;
	void *arg;
	struct engine_wg_update *u;
	size_t n;
};

struct wgq {
	struct loop *loop;
	char name[IFNAMSIZ];
	enum wg_backend_kind kind;
	struct wgq_req *head, **tail;
	struct wgq_req *running; /* the batch being run (a callback may cancel in it) */
	struct loop_timer timer;
	bool in_run, closed;
};

static void wgq_req_free(struct wgq_req *r)
{
	free(r->u);
	free(r);
}

/* Applies the entries in order; the first failure ends it. */
static int wgq_apply(const struct wgq *q, const struct wgq_req *r, struct errbuf *e)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct engine_wg_update *u = &r->u[i];
		int rc = wg_update_peer(q->name, q->kind, u->pub, u->set_endpoint ? &u->endpoint : NULL,
					u->keepalive, true, e);

		if (rc)
			return rc;
	}
	return 0;
}

static void wgq_run(struct loop *l, void *arg)
{
	struct wgq *q = arg;

	(void)l;
	/* what was queued before this round; requests made by the callbacks go to the
	 * next one, after these */
	q->running = q->head;
	q->head = NULL;
	q->tail = &q->head;
	q->in_run = true;
	while (q->running && !q->closed) {
		struct wgq_req *r = q->running;
		struct errbuf e = { "" };
		struct wg_device *dev = NULL;
		int rc;

		q->running = r->next;
		if (r->is_get) {
			rc = wg_device_get(q->name, q->kind, &dev, &e);
			r->get_cb(r->arg, rc, e.msg, rc ? NULL : dev);
		} else {
			rc = wgq_apply(q, r, &e);
			r->set_cb(r->arg, rc, e.msg);
		}
		wgq_req_free(r);
	}
	q->in_run = false;
	if (q->closed) {
		while (q->running) {
			struct wgq_req *r = q->running;

			q->running = r->next;
			wgq_req_free(r);
		}
		free(q);
		return;
	}
	if (q->head)
		loop_timer_arm(q->loop, &q->timer, 0);
}

static int wgq_open(void *ctx, struct loop *l, const char *ifname, enum wg_backend_kind kind,
		    void **h, struct errbuf *e)
{
	struct wgq *q;

	(void)ctx;
	if (strlen(ifname) >= IFNAMSIZ)
		return err_set(e, -EINVAL, "interface name too long: %s", ifname);
	q = calloc(1, sizeof(*q));
	if (!q)
		return err_set(e, -ENOMEM, "out of memory");
	q->loop = l;
	strcpy(q->name, ifname);
	q->kind = kind;
	q->tail = &q->head;
	loop_timer_init(&q->timer, wgq_run, q);
	*h = q;
	return 0;
}

static int wgq_push(struct wgq *q, struct wgq_req *r)
{
	if (loop_timer_arm(q->loop, &q->timer, 0)) {
		wgq_req_free(r);
		return -ENOMEM;
	}
	*q->tail = r;
	q->tail = &r->next;
	return 0;
}

static int wgq_get(void *h, engine_wg_get_cb cb, void *arg)
{
	struct wgq_req *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->is_get = true;
	r->get_cb = cb;
	r->arg = arg;
	return wgq_push(h, r);
}

static int wgq_set(void *h, const struct engine_wg_update *u, size_t n, engine_wg_set_cb cb,
		   void *arg)
{
	struct wgq_req *r = calloc(1, sizeof(*r));

	if (!r || !(r->u = calloc(n ? n : 1, sizeof(*u)))) {
		free(r);
		return -ENOMEM;
	}
	memcpy(r->u, u, n * sizeof(*u));
	r->n = n;
	r->set_cb = cb;
	r->arg = arg;
	return wgq_push(h, r);
}

static int wgq_replace(void *h, const struct wg_peer *full, const union sm_addr *endpoint,
		       int keepalive, engine_wg_set_cb cb, void *arg)
{
	(void)h;
	(void)full;
	(void)endpoint;
	(void)keepalive;
	(void)cb;
	(void)arg;
	return -EOPNOTSUPP; /* wg.h has no synchronous replace */
}

static void drop_matching(struct wgq_req **pp, void *arg)
{
	while (*pp) {
		struct wgq_req *r = *pp;

		if (r->arg == arg) {
			*pp = r->next;
			wgq_req_free(r);
		} else {
			pp = &r->next;
		}
	}
}

static void wgq_cancel(void *h, void *arg)
{
	struct wgq *q = h;

	drop_matching(&q->running, arg);
	drop_matching(&q->head, arg);
	q->tail = &q->head;
	while (*q->tail)
		q->tail = &(*q->tail)->next;
}

/* Sets still queued are applied (a keepalive given back at exit must reach the
 * device), without callbacks; readings are dropped. */
static void wgq_close(void *h)
{
	struct wgq *q = h;
	struct wgq_req *lists[2] = { q->running, q->head };

	loop_timer_cancel(q->loop, &q->timer);
	for (int k = 0; k < 2; k++)
		for (struct wgq_req *r = lists[k]; r; r = r->next) {
			struct errbuf e = { "" };

			if (!r->is_get)
				wgq_apply(q, r, &e);
		}
	q->running = NULL;
	while (q->head) {
		struct wgq_req *r = q->head;

		q->head = r->next;
		wgq_req_free(r);
	}
	for (struct wgq_req *r = lists[0], *next; r; r = next) {
		next = r->next;
		wgq_req_free(r);
	}
	if (q->in_run)
		q->closed = true; /* wgq_run frees it */
	else
		free(q);
}

static unsigned real_ifindex(void *ctx, const char *ifname)
{
	(void)ctx;
	return if_nametoindex(ifname);
}

static const struct engine_wg_ops wg_sync_ops = {
	.open = wgq_open,
	.close = wgq_close,
	.get = wgq_get,
	.set = wgq_set,
	.replace = wgq_replace,
	.cancel = wgq_cancel,
	.ifindex = real_ifindex,
};

/* ---- STUN on a raw socket ------------------------------------------------------------- */

struct rawt {
	struct loop *loop;
	const struct logger *log;
	struct rawsock rs;
	engine_stun_recv_cb recv;
	void *arg;
	bool in_cb, closed;
};

static void rawt_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct rawt *t = arg;
	uint8_t buf[1500];
	union sm_addr from;
	struct errbuf e = { "" };
	size_t len;

	(void)l;
	(void)fd;
	(void)events;
	/* One answer per wakeup, so each is timed against a fresh clock reading (the
	 * loop polls again at once while more is queued); what is not UDP to our port is
	 * skipped, a bounded number at a time. */
	for (int i = 0; i < 64; i++) {
		int r = rawsock_recv(&t->rs, buf, sizeof(buf), &len, &from, &e);

		if (r == -EAGAIN)
			return;
		if (r) {
			log_debug(t->log, "STUN: %s", e.msg);
			continue;
		}
		t->in_cb = true;
		t->recv(t->arg, &from, buf, len);
		t->in_cb = false;
		if (t->closed)
			free(t);
		return;
	}
}

static int rawt_open(void *ctx, struct loop *l, const struct logger *log, int family,
		     uint16_t port, uint32_t fwmark, engine_stun_recv_cb recv, void *arg, void **out,
		     struct errbuf *e)
{
	struct rawt *t = calloc(1, sizeof(*t));
	int r;

	(void)ctx;
	if (!t)
		return err_set(e, -ENOMEM, "out of memory");
	r = rawsock_open(&t->rs, family, port, fwmark, e);
	if (r) {
		free(t);
		return r;
	}
	if ((r = loop_fd_add(l, t->rs.fd, LOOP_READ, rawt_readable, t))) {
		rawsock_close(&t->rs);
		free(t);
		return err_set(e, r, "cannot watch the raw socket");
	}
	t->loop = l;
	t->log = log;
	t->recv = recv;
	t->arg = arg;
	*out = t;
	return 0;
}

static int rawt_send(void *h, const struct sockaddr *dst, const uint8_t *buf, size_t len,
		     struct errbuf *e)
{
	struct rawt *t = h;

	return rawsock_send(&t->rs, dst, buf, len, e);
}

static void rawt_close(void *h)
{
	struct rawt *t = h;

	loop_fd_remove(t->loop, t->rs.fd);
	rawsock_close(&t->rs);
	if (t->in_cb)
		t->closed = true; /* rawt_readable frees it */
	else
		free(t);
}

static const struct engine_stun_ops stun_raw_ops = {
	.open = rawt_open,
	.send = rawt_send,
	.close = rawt_close,
};

/* ---- clock and stores ----------------------------------------------------------------- */

static int64_t real_unix_now(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

static int real_store_new(void *ctx, const struct config_plugin *cfg, const struct store_env *env,
			  struct store **out, struct errbuf *e)
{
	(void)ctx;
	return store_new(cfg, env, out, e);
}

static const struct engine_deps default_deps = {
	.wg = &wg_sync_ops,
	.stun = &stun_raw_ops,
	.unix_now = real_unix_now,
	.store_new = real_store_new,
};

const struct engine_deps *engine_default_deps(void)
{
	return &default_deps;
}
