/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Linux kernel's WireGuard over generic netlink ("wireguard" family), the socket
 * side, on the event loop: one non-blocking libmnl socket per handle, kept open, with
 * the family id looked up once. One exchange runs at a time (the handle queues them):
 * a dump read datagram by datagram as the loop says the socket is readable, or the
 * WG_CMD_SET_DEVICE messages of a write, each sent after the previous one's ACK.
 *
 * The family id changes when the module is unloaded and loaded again; a request with a
 * stale id fails with -ENOENT (no such family), or with -EOPNOTSUPP / -EINVAL when the
 * id now belongs to another family. On those errors the id is looked up again, once per
 * exchange, and the step retried only when it changed. Replies are matched by sequence
 * number; after a timeout (the handle aborts) the socket is closed, so a late reply can
 * never be taken for the next one's.
 *
 * Sending to the kernel does not wait for buffer space, but the kernel handles the
 * request inside sendmsg under its rtnl lock, which another process can hold; that is
 * the one wait here we cannot bound. Messages are parsed and built in
 * wg-netlink-msg.c and wg-netlink-build.c. */
#include "wg/wg-backend.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>

/* The kernel may fill a dump datagram up to 32 KiB when the reader offers that much
 * (netlink_dump sizes its skb from the largest recvmsg buffer seen). */
#define NL_RECV_BUF 32768
/* A dump the device changed under is read again, this many times at most. */
#define NL_DUMP_ATTEMPTS 5

enum { N_IDLE, N_FAMILY, N_DUMP, N_SET };
enum { NEXT_GET, NEXT_SET };

void wg_nl_conn_init(struct wg_nl_conn *c, struct loop *l, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->loop = l;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->seq = (uint32_t)time(NULL);
}

static void conn_close(struct wg_nl_conn *c)
{
	if (c->nl) {
		loop_fd_remove(c->loop, mnl_socket_get_fd(c->nl));
		mnl_socket_close(c->nl);
	}
	c->nl = NULL;
	if (c->dump_live)
		wg_nl_dump_free(&c->dump);
	c->dump_live = false;
	c->phase = N_IDLE;
}

void wg_nl_conn_abort(struct wg_nl_conn *c)
{
	conn_close(c);
	c->done = NULL;
	c->ops = NULL;
	if (c->buf) {
		secure_zero(c->buf, NL_RECV_BUF); /* held the private key */
		free(c->buf);
	}
	if (c->msg) {
		secure_zero(c->msg, WG_NL_SET_MSG_MAX); /* may hold a preshared key */
		free(c->msg);
	}
	c->buf = c->msg = NULL;
}

/* The last thing an exchange does: the callback may free c. */
static void finish(struct wg_nl_conn *c, int err, struct wg_device *dev)
{
	wg_io_done done = c->done;

	c->done = NULL;
	c->ops = NULL;
	c->phase = N_IDLE;
	if (c->msg)
		secure_zero(c->msg, WG_NL_SET_MSG_MAX);
	if (c->nl)
		loop_fd_modify(c->loop, mnl_socket_get_fd(c->nl), 0);
	done(c->done_arg, err, err ? c->e.msg : "", dev);
}

/* A failure that leaves the socket in an unknown state: close it, then report. */
static void fail_reset(struct wg_nl_conn *c, int err)
{
	conn_close(c);
	finish(c, err, NULL);
}

/* Words for the errors a user can act on. */
static int explain(const char *name, int r, struct errbuf *e)
{
	switch (-r) {
	case ENODEV:
		return err_set(e, -ENODEV, "no interface named %s", name);
	case EOPNOTSUPP:
		return err_set(e, -EOPNOTSUPP, "%s is not a WireGuard interface", name);
	case EPERM:
	case EACCES:
		return err_set(e, -EPERM,
			       "permission denied on %s: WireGuard netlink needs CAP_NET_ADMIN", name);
	default:
		return err_set(e, r, "%s: %s", name, strerror(-r));
	}
}

static void on_io(struct loop *l, int fd, unsigned events, void *arg);

static int conn_open(struct wg_nl_conn *c, struct errbuf *e)
{
	int r;

	if (!c->buf && !(c->buf = malloc(NL_RECV_BUF)))
		return err_set(e, -ENOMEM, "out of memory");
	if (!c->msg && !(c->msg = calloc(1, WG_NL_SET_MSG_MAX)))
		return err_set(e, -ENOMEM, "out of memory");
	if (c->nl)
		return 0;
	c->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!c->nl)
		return err_set(e, -errno, "cannot open a generic netlink socket: %s", strerror(errno));
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = err_set(e, -errno, "cannot bind a generic netlink socket: %s", strerror(errno));
		goto fail;
	}
	r = loop_fd_add(c->loop, mnl_socket_get_fd(c->nl), 0, on_io, c);
	if (r) {
		err_set(e, r, "cannot watch the netlink socket: %s", strerror(-r));
		goto fail;
	}
	return 0;
fail:
	mnl_socket_close(c->nl);
	c->nl = NULL;
	return r;
}

/* Sends one request and waits for its reply on the loop. */
static int send_msg(struct wg_nl_conn *c, const void *msg, size_t len, int phase,
		    struct errbuf *e)
{
	ssize_t n;

	do
		n = mnl_socket_sendto(c->nl, msg, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set(e, -errno, "netlink send: %s", strerror(errno));
	c->phase = phase;
	loop_fd_modify(c->loop, mnl_socket_get_fd(c->nl), LOOP_READ);
	return 0;
}

static int send_family(struct wg_nl_conn *c, struct errbuf *e)
{
	uint8_t req[64];
	int len = wg_nl_build_family(req, sizeof(req), ++c->seq);

	if (len < 0)
		return err_set(e, len, "cannot encode the family lookup");
	return send_msg(c, req, (size_t)len, N_FAMILY, e);
}

static int send_dump(struct wg_nl_conn *c, struct errbuf *e)
{
	uint8_t req[64];
	int len;

	if (c->dump_live)
		wg_nl_dump_free(&c->dump);
	c->dump_live = false;
	len = wg_nl_build_get(req, sizeof(req), c->family, ++c->seq, c->name);
	if (len < 0)
		return err_set(e, len, "cannot encode the device request");
	if (wg_nl_dump_init(&c->dump, c->family, c->seq, c->name))
		return err_set(e, -ENOMEM, "out of memory");
	c->dump_live = true;
	return send_msg(c, req, (size_t)len, N_DUMP, e);
}

/* The next set message from the cursor; 1 when every message was acknowledged. */
static int send_set(struct wg_nl_conn *c, struct errbuf *e)
{
	int len;

	c->cur_msg = c->cur;
	len = wg_nl_build_set(c->msg, WG_NL_SET_MSG_MAX, c->family, ++c->seq, c->name, c->ops,
			      c->n_ops, &c->cur);
	if (len == 0)
		return 1;
	if (len < 0)
		return err_set(e, len, "cannot encode the change");
	return send_msg(c, c->msg, (size_t)len, N_SET, e);
}

/* What the exchange does once the family id is known. 1: a write that is complete. */
static int run_next(struct wg_nl_conn *c, struct errbuf *e)
{
	return c->next == NEXT_GET ? send_dump(c, e) : send_set(c, e);
}

static int begin(struct wg_nl_conn *c, wg_io_done done, void *arg, struct errbuf *e)
{
	int r;

	c->reresolved = false;
	c->attempts = 0;
	r = conn_open(c, e);
	if (!r)
		r = c->have_family ? run_next(c, e) : send_family(c, e);
	if (r == 1)
		return err_set(e, -EINVAL, "nothing to write");
	if (r < 0)
		return r;
	c->done = done;
	c->done_arg = arg;
	return 0;
}

int wg_nl_conn_get(struct wg_nl_conn *c, wg_io_done done, void *arg, struct errbuf *e)
{
	c->next = NEXT_GET;
	return begin(c, done, arg, e);
}

int wg_nl_conn_set(struct wg_nl_conn *c, const struct wg_peer_op *ops, size_t n,
		   wg_io_done done, void *arg, struct errbuf *e)
{
	c->next = NEXT_SET;
	c->ops = ops;
	c->n_ops = n;
	memset(&c->cur, 0, sizeof(c->cur));
	return begin(c, done, arg, e);
}

/* The kernel refused a step. A stale family id looks like one of these: look it up
 * again, once, and retry the step if it changed. */
static void kernel_error(struct wg_nl_conn *c, int err)
{
	if ((err == -ENOENT || err == -EINVAL || err == -EOPNOTSUPP) && !c->reresolved) {
		c->reresolved = true;
		c->saved_err = err;
		c->have_family = false;
		err = send_family(c, &c->e);
		if (err)
			fail_reset(c, err);
		return;
	}
	explain(c->name, err, &c->e);
	finish(c, err == -EACCES ? -EPERM : err, NULL);
}

/* 1: stop reading (the exchange moved on or ended), 0: read on. */
static int got_family(struct wg_nl_conn *c, const uint8_t *buf, size_t n)
{
	uint16_t id = 0, old = c->family;
	int r = wg_nl_parse_family(buf, n, c->seq, &id);

	if (r == 0)
		return 0;
	if (r == -ENOENT) {
		/* No family: the module is not loaded, so no interface can be WireGuard. */
		if (!if_nametoindex(c->name))
			r = err_set(&c->e, -ENODEV, "no interface named %s", c->name);
		else
			r = err_set(&c->e, -EOPNOTSUPP,
				    "%s is not a WireGuard interface (the kernel has no wireguard "
				    "module loaded and there is no UAPI socket %s/%s.sock)",
				    c->name, WG_UAPI_DIR, c->name);
		finish(c, r, NULL);
		return 1;
	}
	if (r == -EPROTO) {
		err_set(&c->e, r, "malformed reply resolving the wireguard netlink family");
		fail_reset(c, r);
		return 1;
	}
	if (r < 0) {
		explain(c->name, r, &c->e);
		finish(c, r, NULL);
		return 1;
	}
	c->family = id;
	c->have_family = true;
	if (c->reresolved && id == old) {
		/* The same family: the error was the kernel's real answer. */
		explain(c->name, c->saved_err, &c->e);
		finish(c, c->saved_err, NULL);
		return 1;
	}
	if (c->next == NEXT_SET)
		c->cur = c->cur_msg;
	r = run_next(c, &c->e);
	if (r < 0)
		fail_reset(c, r);
	else if (r == 1)
		finish(c, 0, NULL);
	return 1;
}

static int got_dump(struct wg_nl_conn *c, const uint8_t *buf, size_t n)
{
	int r = wg_nl_dump_feed(&c->dump, buf, n, &c->e);

	if (r == 0)
		return 0;
	if (r < 0) {
		fail_reset(c, r);
		return 1;
	}
	if (c->dump.error) {
		int err = c->dump.error;

		wg_nl_dump_free(&c->dump);
		c->dump_live = false;
		kernel_error(c, err);
		return 1;
	}
	/* The kernel flags a dump during which the device changed (peers added or
	 * removed), as its parts may then disagree; a fresh dump is consistent unless it
	 * changes again. */
	if (c->dump.interrupted && ++c->attempts < NL_DUMP_ATTEMPTS) {
		r = send_dump(c, &c->e);
		if (r)
			fail_reset(c, r);
		return 1;
	}
	c->dump_live = false;
	finish(c, 0, wg_nl_dump_take(&c->dump));
	return 1;
}

static int got_ack(struct wg_nl_conn *c, const uint8_t *buf, size_t n)
{
	int r = wg_nl_parse_ack(buf, n, c->seq);

	if (r == 0)
		return 0;
	if (r == -EPROTO) {
		err_set(&c->e, r, "malformed netlink acknowledgement");
		fail_reset(c, r);
		return 1;
	}
	if (r < 0) {
		kernel_error(c, r);
		return 1;
	}
	r = send_set(c, &c->e);
	if (r < 0)
		fail_reset(c, r);
	else if (r == 1)
		finish(c, 0, NULL);
	return 1;
}

static void on_io(struct loop *l, int fd, unsigned events, void *arg)
{
	struct wg_nl_conn *c = arg;

	(void)l;
	(void)fd;
	(void)events;
	if (c->phase == N_IDLE) {
		/* Only errors wake an idle socket (it is watched for none): a pending socket
		 * error would wake the loop for ever, so the socket goes; the next exchange
		 * opens a new one. */
		conn_close(c);
		return;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(c->nl, c->buf, NL_RECV_BUF);
		int stop;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			int r = -errno;

			err_set(&c->e, r, "netlink receive: %s", strerror(-r));
			fail_reset(c, r);
			return;
		}
		if (c->phase == N_FAMILY)
			stop = got_family(c, c->buf, (size_t)n);
		else if (c->phase == N_DUMP)
			stop = got_dump(c, c->buf, (size_t)n);
		else
			stop = got_ack(c, c->buf, (size_t)n);
		if (stop)
			return;
	}
}
