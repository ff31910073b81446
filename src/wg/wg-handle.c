/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The asynchronous WireGuard handle (wg.h): one per interface, a queue of requests run
 * one at a time on the event loop, each bounded by a deadline, over one of the two
 * transports (wg-netlink.c, wg-uapi.c), whose connection it keeps. Here is what a
 * request means in steps (read, check, write) and what it writes (wg-backend.h peer
 * operations, which each backend encodes its own way); the transports know only how to
 * read the device and how to send operations. The interface name rule and the check of
 * operations both encoders rely on are here too. */
#include "wg/wg-backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum req_kind { REQ_GET, REQ_SET, REQ_REPLACE };
enum req_step { STEP_READ, STEP_WRITE };

struct req {
	struct req *next;
	enum req_kind kind;
	enum req_step step;
	wg_get_cb get_cb;
	wg_set_cb set_cb;
	void *arg;
	bool cancelled;
	int64_t queued; /* loop time when queued */
	/* set: the updates, with their endpoints copied */
	struct wg_peer_update *u;
	union sm_addr *eps;
	size_t n;
	bool check; /* some update is not known: read the device first */
	/* replace */
	uint8_t pub[WG_KEY_LEN];
	int64_t hs_sec, hs_nsec;
	union sm_addr ep; /* AF_UNSPEC: keep the peer's */
	int keepalive;
	/* the write, and the reading its pointers may point into */
	struct wg_peer_op ops[3];
	struct wg_peer_op *many; /* set: one op per update */
	size_t n_ops;
	struct wg_device *reading;
};

struct wg_handle {
	struct loop *loop;
	char name[IFNAMSIZ];
	char path[WG_UAPI_PATH_LEN];
	enum wg_backend_kind want, use;
	int timeout_ms;
	struct wg_uapi_conn uapi;
	struct wg_nl_conn nl;
	struct req *head, *tail; /* head runs when busy */
	bool busy;
	struct loop_timer kick, deadline;
	int depth;    /* inside a callback of ours */
	bool closing; /* closed from inside a callback: freed when it returns */
	struct errbuf e;
};

static void kick_cb(struct loop *l, void *arg);
static void deadline_cb(struct loop *l, void *arg);

int wg_check_name(const char *name, struct errbuf *e)
{
	size_t n = strnlen(name, IFNAMSIZ);

	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return err_set(e, -EINVAL, "invalid interface name '%.*s'", IFNAMSIZ, name);
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] == ' ' ||
		    (name[i] >= '\t' && name[i] <= '\r'))
			return err_set(e, -EINVAL, "invalid interface name '%s'", name);
	return 0;
}

int wg_ops_check(const struct wg_peer_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct wg_peer_op *op = &ops[i];

		if (op->keepalive < -1 || op->keepalive > 65535)
			return -EINVAL;
		if (op->endpoint && !addr_is_set(op->endpoint))
			return -EINVAL;
		if (op->n_allowed_ips && !op->allowed_ips)
			return -EINVAL;
		for (size_t j = 0; j < op->n_allowed_ips; j++) {
			const struct wg_allowed_ip *ip = &op->allowed_ips[j];

			if (!((ip->family == AF_INET && ip->cidr <= 32) ||
			      (ip->family == AF_INET6 && ip->cidr <= 128)))
				return -EINVAL;
		}
	}
	return 0;
}

int wg_handle_open(struct loop *l, const char *ifname, enum wg_backend_kind kind,
		   struct wg_handle **out, struct errbuf *e)
{
	struct wg_handle *h;
	int r;

	r = wg_check_name(ifname, e);
	if (r)
		return r;
	h = calloc(1, sizeof(*h));
	if (!h)
		return err_set(e, -ENOMEM, "out of memory");
	h->loop = l;
	snprintf(h->name, sizeof(h->name), "%s", ifname);
	snprintf(h->path, sizeof(h->path), "%s/%s.sock", WG_UAPI_DIR, ifname);
	h->want = kind;
	h->use = kind;
	h->timeout_ms = WG_IO_TIMEOUT_MS;
	wg_uapi_conn_init(&h->uapi, l, h->path, h->name);
	wg_nl_conn_init(&h->nl, l, h->name);
	loop_timer_init(&h->kick, kick_cb, h);
	loop_timer_init(&h->deadline, deadline_cb, h);
	*out = h;
	return 0;
}

static void req_free(struct req *q)
{
	free(q->u);
	free(q->eps);
	free(q->many);
	wg_device_free(q->reading);
	secure_zero(q, sizeof(*q));
	free(q);
}

static void handle_free(struct wg_handle *h)
{
	loop_timer_cancel(h->loop, &h->kick);
	loop_timer_cancel(h->loop, &h->deadline);
	wg_uapi_conn_abort(&h->uapi);
	wg_nl_conn_abort(&h->nl);
	while (h->head) {
		struct req *q = h->head;

		h->head = q->next;
		req_free(q);
	}
	free(h);
}

void wg_handle_close(struct wg_handle *h)
{
	if (!h)
		return;
	if (h->depth > 0) {
		/* Inside our callback: finish() frees the handle when the callback returns
		 * (the transports are idle then); until then nothing more is called back. */
		h->closing = true;
		for (struct req *q = h->head; q; q = q->next)
			q->cancelled = true;
		return;
	}
	handle_free(h);
}

enum wg_backend_kind wg_handle_backend(const struct wg_handle *h)
{
	struct stat st;

	if (h->use != WG_BACKEND_AUTO)
		return h->use;
	return (!stat(h->path, &st) && S_ISSOCK(st.st_mode)) ? WG_BACKEND_UAPI
							     : WG_BACKEND_NETLINK;
}

void wg_handle_set_timeout(struct wg_handle *h, int ms)
{
	h->timeout_ms = ms > 0 ? ms : WG_IO_TIMEOUT_MS;
}

int wg_handle_set_uapi_path(struct wg_handle *h, const char *path)
{
	if (strlen(path) >= sizeof(h->path))
		return -ENAMETOOLONG;
	snprintf(h->path, sizeof(h->path), "%s", path);
	wg_uapi_conn_abort(&h->uapi);
	wg_uapi_conn_init(&h->uapi, h->loop, h->path, h->name);
	return 0;
}

/* AUTO takes UAPI when the socket exists: userspace implementations create it, and a
 * kernel interface of the same name would be unusual enough to need the override. A
 * kept UAPI connection keeps the choice; otherwise it is made again, so a wireguard-go
 * started after us is found, and the other transport's socket is let go. */
static void pick(struct wg_handle *h)
{
	enum wg_backend_kind was = h->use;
	struct stat st;

	if (h->want != WG_BACKEND_AUTO) {
		h->use = h->want;
		return;
	}
	if (wg_uapi_conn_open(&h->uapi)) {
		h->use = WG_BACKEND_UAPI;
		return;
	}
	h->use = (!stat(h->path, &st) && S_ISSOCK(st.st_mode)) ? WG_BACKEND_UAPI
							       : WG_BACKEND_NETLINK;
	if (was != h->use && h->use == WG_BACKEND_UAPI)
		wg_nl_conn_abort(&h->nl);
}

static void schedule(struct wg_handle *h)
{
	if (!h->busy && h->head && !loop_timer_pending(&h->kick))
		loop_timer_arm(h->loop, &h->kick, 0);
}

/* Ends the running request: its callback (unless cancelled), then the next one. */
static void finish(struct wg_handle *h, int err, const char *msg, struct wg_device *dev)
{
	struct req *q = h->head;

	loop_timer_cancel(h->loop, &h->deadline);
	h->head = q->next;
	if (!h->head)
		h->tail = NULL;
	h->busy = false;
	if (err && !msg[0])
		msg = strerror(-err);
	h->depth++;
	if (!q->cancelled && !h->closing) {
		if (q->kind == REQ_GET) {
			q->get_cb(q->arg, err, err ? msg : "", err ? NULL : dev);
			if (!err)
				dev = NULL;
		} else {
			q->set_cb(q->arg, err, err ? msg : "");
		}
	}
	wg_device_free(dev);
	h->depth--;
	req_free(q);
	if (h->closing && h->depth == 0) {
		handle_free(h);
		return;
	}
	schedule(h);
}

static void io_done(void *arg, int err, const char *msg, struct wg_device *dev);

static int io_read(struct wg_handle *h)
{
	h->head->step = STEP_READ;
	if (h->use == WG_BACKEND_UAPI)
		return wg_uapi_conn_get(&h->uapi, io_done, h, &h->e);
	return wg_nl_conn_get(&h->nl, io_done, h, &h->e);
}

static int io_write(struct wg_handle *h, const struct wg_peer_op *ops, size_t n)
{
	h->head->step = STEP_WRITE;
	if (h->use == WG_BACKEND_UAPI)
		return wg_uapi_conn_set(&h->uapi, ops, n, io_done, h, &h->e);
	return wg_nl_conn_set(&h->nl, ops, n, io_done, h, &h->e);
}

static int write_updates(struct wg_handle *h, struct req *q)
{
	q->many = calloc(q->n, sizeof(*q->many));
	if (!q->many)
		return err_set(&h->e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < q->n; i++) {
		struct wg_peer_op *op = &q->many[i];

		memcpy(op->public_key, q->u[i].public_key, WG_KEY_LEN);
		op->flags = WG_OP_UPDATE_ONLY;
		op->endpoint = q->u[i].endpoint;
		op->keepalive = q->u[i].keepalive;
	}
	return io_write(h, q->many, q->n);
}

/* The reading for a set with unknown peers: every one must be there. */
static int check_updates(struct wg_handle *h, struct req *q, const struct wg_device *dev)
{
	char b64[WG_KEY_B64_LEN];

	for (size_t i = 0; i < q->n; i++) {
		if (q->u[i].known || wg_device_find_peer(dev, q->u[i].public_key))
			continue;
		wg_key_to_base64(b64, q->u[i].public_key);
		return err_set(&h->e, -ENOENT, "peer %s is not on %s; nothing changed", b64,
			       h->name);
	}
	return 0;
}

/* Remove, then the same peer again with what the device just said about it. */
static int write_replace(struct wg_handle *h, struct req *q)
{
	const struct wg_peer *p = wg_device_find_peer(q->reading, q->pub);
	char b64[WG_KEY_B64_LEN];
	int ka;

	wg_key_to_base64(b64, q->pub);
	if (!p)
		return err_set(&h->e, -ENOENT, "peer %s is not on %s any more; not re-created", b64,
			       h->name);
	if (p->last_handshake_sec &&
	    (p->last_handshake_sec != q->hs_sec || p->last_handshake_nsec != q->hs_nsec))
		return err_set(&h->e, -EALREADY,
			       "peer %s on %s has a newer handshake than the caller saw; not replaced",
			       b64, h->name);
	ka = q->keepalive >= 0 ? q->keepalive : p->persistent_keepalive;
	memset(q->ops, 0, sizeof(q->ops));
	for (int i = 0; i < 3; i++) {
		memcpy(q->ops[i].public_key, q->pub, WG_KEY_LEN);
		q->ops[i].keepalive = -1;
	}
	q->ops[0].flags = WG_OP_REMOVE;
	/* Not update-only: that would make the kernel silently skip the re-add. */
	q->ops[1].flags = WG_OP_REPLACE_IPS;
	q->ops[1].preshared_key = (p->flags & WG_PEER_HAS_PSK) ? p->preshared_key : NULL;
	q->ops[1].endpoint = addr_is_set(&q->ep) ? &q->ep
			     : addr_is_set(&p->endpoint) ? &p->endpoint
							 : NULL;
	q->ops[1].allowed_ips = p->allowed_ips;
	q->ops[1].n_allowed_ips = p->n_allowed_ips;
	/* The new peer's interval starts at 0, so a non-zero one sends a keepalive at
	 * once, which starts the handshake; with 0, 1 and then 0 does the same. */
	q->ops[1].keepalive = ka ? ka : 1;
	q->n_ops = 2;
	if (ka == 0) {
		q->ops[2].flags = WG_OP_UPDATE_ONLY;
		q->ops[2].keepalive = 0;
		q->n_ops = 3;
	}
	return io_write(h, q->ops, q->n_ops);
}

/* A transport finished a step of the running request. */
static void io_done(void *arg, int err, const char *msg, struct wg_device *dev)
{
	struct wg_handle *h = arg;
	struct req *q = h->head;
	int r;

	if (err || q->cancelled || h->closing) {
		finish(h, err, msg, dev);
		return;
	}
	if (q->step == STEP_WRITE || q->kind == REQ_GET) {
		finish(h, 0, "", dev);
		return;
	}
	if (q->kind == REQ_SET) {
		r = check_updates(h, q, dev);
		wg_device_free(dev);
		if (!r)
			r = write_updates(h, q);
	} else {
		q->reading = dev;
		r = write_replace(h, q);
	}
	if (r)
		finish(h, r, h->e.msg, NULL);
}

static void kick_cb(struct loop *l, void *arg)
{
	struct wg_handle *h = arg;
	struct req *q;
	int r;

	(void)l;
	q = h->head;
	if (!q || h->busy)
		return;
	h->busy = true;
	if (q->cancelled) {
		finish(h, -ECANCELED, "", NULL); /* which schedules the next */
		return;
	}
	if (loop_now(h->loop) - q->queued >= h->timeout_ms) {
		err_set(&h->e, -ETIMEDOUT, "%s: not sent: queued behind a request the device did "
			"not answer within %d ms", h->name, h->timeout_ms);
		finish(h, -ETIMEDOUT, h->e.msg, NULL);
		return;
	}
	pick(h);
	loop_timer_arm(h->loop, &h->deadline, h->timeout_ms);
	if (q->kind == REQ_SET && !q->check)
		r = write_updates(h, q);
	else
		r = io_read(h);
	if (r)
		finish(h, r, h->e.msg, NULL);
}

static void deadline_cb(struct loop *l, void *arg)
{
	struct wg_handle *h = arg;

	(void)l;
	/* The connection's state is unknown now (a reply may still come): drop it. */
	if (h->use == WG_BACKEND_UAPI)
		wg_uapi_conn_abort(&h->uapi);
	else
		wg_nl_conn_abort(&h->nl);
	if (h->use == WG_BACKEND_UAPI)
		err_set(&h->e, -ETIMEDOUT, "%s: no answer from %s within %d ms", h->name, h->path,
			h->timeout_ms);
	else
		err_set(&h->e, -ETIMEDOUT, "%s: no answer from the kernel within %d ms", h->name,
			h->timeout_ms);
	finish(h, -ETIMEDOUT, h->e.msg, NULL);
}

static int enqueue(struct wg_handle *h, struct req *q)
{
	q->queued = loop_now(h->loop);
	if (h->tail)
		h->tail->next = q;
	else
		h->head = q;
	h->tail = q;
	schedule(h);
	return 0;
}

int wg_handle_get(struct wg_handle *h, wg_get_cb cb, void *arg)
{
	struct req *q;

	if (!cb || h->closing)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->kind = REQ_GET;
	q->get_cb = cb;
	q->arg = arg;
	return enqueue(h, q);
}

static bool endpoint_ok(const union sm_addr *ep)
{
	return !ep || addr_is_set(ep);
}

int wg_handle_set(struct wg_handle *h, const struct wg_peer_update *u, size_t n, wg_set_cb cb,
		  void *arg)
{
	struct req *q;

	if (!cb || !u || n == 0 || h->closing || n > SIZE_MAX / sizeof(*u) / 2)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!endpoint_ok(u[i].endpoint) || u[i].keepalive < -1 || u[i].keepalive > 65535)
			return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->u = calloc(n, sizeof(*q->u));
	q->eps = calloc(n, sizeof(*q->eps));
	if (!q->u || !q->eps) {
		req_free(q);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		q->u[i] = u[i];
		if (u[i].endpoint) {
			q->eps[i] = *u[i].endpoint;
			q->u[i].endpoint = &q->eps[i];
		}
		q->check = q->check || !u[i].known;
	}
	q->n = n;
	q->kind = REQ_SET;
	q->set_cb = cb;
	q->arg = arg;
	return enqueue(h, q);
}

int wg_handle_replace(struct wg_handle *h, const struct wg_peer *full,
		      const union sm_addr *endpoint, int keepalive, wg_set_cb cb, void *arg)
{
	struct req *q;

	if (!cb || !full || h->closing || !endpoint_ok(endpoint) || keepalive < -1 ||
	    keepalive > 65535)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->kind = REQ_REPLACE;
	memcpy(q->pub, full->public_key, WG_KEY_LEN);
	q->hs_sec = full->last_handshake_sec;
	q->hs_nsec = full->last_handshake_nsec;
	if (endpoint)
		q->ep = *endpoint;
	else
		addr_clear(&q->ep);
	q->keepalive = keepalive;
	q->set_cb = cb;
	q->arg = arg;
	return enqueue(h, q);
}

void wg_handle_cancel(struct wg_handle *h, void *arg)
{
	struct req **pp = &h->head;

	/* The running one stays in place (its transport still answers to it), silenced. */
	if (h->busy && h->head) {
		if (h->head->arg == arg)
			h->head->cancelled = true;
		pp = &h->head->next;
	}
	while (*pp) {
		struct req *q = *pp;

		if (q->arg != arg) {
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		req_free(q);
	}
	h->tail = NULL;
	for (struct req *q = h->head; q; q = q->next)
		h->tail = q;
}
