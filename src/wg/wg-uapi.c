/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The userspace WireGuard API on its unix socket, /var/run/wireguard/<if>.sock, on the
 * event loop: non-blocking connect, send and receive, one exchange at a time, driven by
 * the handle (wg-handle.c), which also bounds each exchange with its deadline.
 *
 * The connection is kept between exchanges. wireguard-go's IpcHandle (device/uapi.go,
 * the same in 0.0.20220316 and today) loops on one connection: it reads "get=1" or
 * "set=1", answers "errno=N" and a blank line, and reads the next operation. Its set
 * parser reads through its own buffer, so requests are never pipelined: the next is
 * sent only after the previous reply. The connection is dropped, and made again by the
 * next exchange, whenever its state is in doubt: a timeout (the handle aborts), a reply
 * that does not parse or has bytes after its blank line, a set the device refused (the
 * rest of a refused set may still be unread on its side), or anything readable while
 * idle (wireguard-go closed it: it is stopping or restarting). An exchange on a kept
 * connection that fails before any reply byte arrived is sent once more on a new
 * connection: wireguard-go may have restarted between two exchanges, and everything we
 * send is idempotent (update-only sets, a replace re-adds the same peer).
 *
 * Reply buffers are wiped: a get reply carries the private and preshared keys, a
 * replace request the preshared key. The text is parsed in wg-uapi-text.c. */
#include "wg/wg-backend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { U_IDLE, U_SEND, U_RECV };

void wg_uapi_conn_init(struct wg_uapi_conn *c, struct loop *l, const char *path,
		       const char *name)
{
	memset(c, 0, sizeof(*c));
	c->loop = l;
	c->fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->name, sizeof(c->name), "%s", name);
}

bool wg_uapi_conn_open(const struct wg_uapi_conn *c)
{
	return c->fd >= 0;
}

/* Closes the connection; the buffers are the caller's to reset. */
static void drop_fd(struct wg_uapi_conn *c)
{
	if (c->fd >= 0) {
		loop_fd_remove(c->loop, c->fd);
		close(c->fd);
	}
	c->fd = -1;
	c->used = false;
	c->phase = U_IDLE;
}

static void conn_close(struct wg_uapi_conn *c)
{
	drop_fd(c);
	secbuf_reset(&c->in);
	secbuf_reset(&c->out);
}

void wg_uapi_conn_abort(struct wg_uapi_conn *c)
{
	conn_close(c);
	c->done = NULL;
	secbuf_free(&c->in);
	secbuf_free(&c->out);
}

/* Hands the result over; the last thing an exchange does (the callback may free c). */
static void finish(struct wg_uapi_conn *c, int err, struct wg_device *dev)
{
	wg_io_done done = c->done;

	c->done = NULL;
	if (err && err != -ENOENT)
		err_prefix(&c->e, err, "%s: ", c->name);
	done(c->done_arg, err, err ? c->e.msg : "", dev);
}

static void on_io(struct loop *l, int fd, unsigned events, void *arg);

static int connect_err(const char *path, int r, struct errbuf *e)
{
	switch (-r) {
	case ENOENT:
		return err_set(e, -ENODEV, "no UAPI socket %s (no userspace WireGuard serves this "
			       "interface)", path);
	case ECONNREFUSED:
		return err_set(e, -ENODEV, "nothing listens on %s (is the WireGuard daemon running?)",
			       path);
	case EACCES:
	case EPERM:
		return err_set(e, -EPERM,
			       "permission denied connecting to %s: needs root (or CAP_DAC_OVERRIDE) "
			       "to reach the WireGuard control socket",
			       path);
	case EAGAIN:
	case EINPROGRESS:
		/* A unix stream connect completes or fails at once unless the listener's
		 * backlog is full: a wedged daemon. */
		return err_set(e, -ETIMEDOUT, "%s is not accepting connections", path);
	default:
		return err_set(e, r, "connect %s: %s", path, strerror(-r));
	}
}

static int conn_connect(struct wg_uapi_conn *c, struct errbuf *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen = strlen(c->path);
	int fd, r;

	if (plen >= sizeof(sun.sun_path))
		return err_set(e, -ENAMETOOLONG, "socket path %s is too long", c->path);
	memcpy(sun.sun_path, c->path, plen + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		close(fd);
		return connect_err(c->path, r, e);
	}
	r = loop_fd_add(c->loop, fd, LOOP_WRITE, on_io, c);
	if (r) {
		close(fd);
		return err_set(e, r, "cannot watch the UAPI socket: %s", strerror(-r));
	}
	c->fd = fd;
	c->used = false;
	return 0;
}

static int start(struct wg_uapi_conn *c, wg_io_done done, void *arg, struct errbuf *e)
{
	int r;

	c->retried = false;
	c->out_off = 0;
	secbuf_reset(&c->in);
	if (c->fd < 0) {
		r = conn_connect(c, e);
		if (r) {
			err_prefix(e, r, "%s: ", c->name);
			secbuf_reset(&c->out);
			return r;
		}
	} else {
		loop_fd_modify(c->loop, c->fd, LOOP_WRITE);
	}
	c->phase = U_SEND;
	c->done = done;
	c->done_arg = arg;
	return 0;
}

int wg_uapi_conn_get(struct wg_uapi_conn *c, wg_io_done done, void *arg, struct errbuf *e)
{
	int r;

	secbuf_reset(&c->out);
	r = secbuf_append(&c->out, "get=1\n\n", 7);
	if (r)
		return err_set(e, r, "out of memory");
	c->get = true;
	return start(c, done, arg, e);
}

int wg_uapi_conn_set(struct wg_uapi_conn *c, const struct wg_peer_op *ops, size_t n,
		     wg_io_done done, void *arg, struct errbuf *e)
{
	int r;

	secbuf_reset(&c->out);
	r = wg_uapi_format_ops(&c->out, ops, n);
	if (r) {
		secbuf_reset(&c->out);
		return err_set(e, r, "cannot encode the change");
	}
	c->get = false;
	return start(c, done, arg, e);
}

/* A failure while talking. On a connection that served earlier exchanges, with no reply
 * byte yet, try once more on a new connection. */
static void fail(struct wg_uapi_conn *c, int err)
{
	bool stale = err == -EPIPE || err == -ECONNRESET || err == -ENOTCONN || err == 0;

	if (c->used && !c->retried && c->in.len == 0 && stale) {
		drop_fd(c); /* the request in c->out goes again */
		c->retried = true;
		c->out_off = 0;
		err = conn_connect(c, &c->e);
		if (!err) {
			c->phase = U_SEND;
			return;
		}
		secbuf_reset(&c->out);
		finish(c, err, NULL);
		return;
	}
	conn_close(c);
	if (err == 0)
		err_set(&c->e, -EPROTO, "%s closed the connection before the reply ended", c->path);
	else
		err_set(&c->e, err, "talking to %s: %s", c->path, strerror(-err));
	finish(c, err ? err : -EPROTO, NULL);
}

/* The reply is in c->in up to end: parse it, decide whether the connection is kept. */
static void complete(struct wg_uapi_conn *c, size_t end)
{
	struct wg_device *dev = NULL;
	bool keep = end == c->in.len;
	int r;

	if (c->get) {
		r = wg_uapi_parse_get(c->in.p, end, c->name, &dev, &c->e);
		keep = keep && r != -EPROTO && r != -ENOMEM;
	} else {
		r = wg_uapi_parse_set(c->in.p, end, &c->e);
		keep = keep && r == 0;
	}
	secbuf_reset(&c->out);
	if (keep) {
		secbuf_reset(&c->in);
		c->used = true;
		c->phase = U_IDLE;
		loop_fd_modify(c->loop, c->fd, LOOP_READ);
	} else {
		conn_close(c);
	}
	finish(c, r, dev);
}

static void do_send(struct wg_uapi_conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			fail(c, -errno);
			return;
		}
		c->out_off += (size_t)n;
	}
	c->phase = U_RECV;
	loop_fd_modify(c->loop, c->fd, LOOP_READ);
}

static void do_recv(struct wg_uapi_conn *c)
{
	for (;;) {
		size_t end;
		ssize_t n;
		int r;

		if (c->in.len >= WG_UAPI_MAX_REPLY) {
			conn_close(c);
			err_set(&c->e, -EMSGSIZE, "reply from %s exceeds %u bytes", c->path,
				WG_UAPI_MAX_REPLY);
			finish(c, -EMSGSIZE, NULL);
			return;
		}
		r = secbuf_reserve(&c->in, 4096);
		if (r) {
			conn_close(c);
			err_set(&c->e, r, "out of memory");
			finish(c, r, NULL);
			return;
		}
		n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			fail(c, n < 0 ? -errno : 0);
			return;
		}
		c->in.len += (size_t)n;
		/* Only the new bytes (and the one before them) can complete the blank line. */
		end = wg_uapi_reply_end(c->in.p, c->in.len, c->in.len - (size_t)n);
		if (end) {
			complete(c, end);
			return;
		}
	}
}

/* Anything on an idle connection: wireguard-go closed it (0), or sent what nobody asked
 * for. Either way the connection goes; the next exchange makes a new one. */
static void on_idle(struct wg_uapi_conn *c)
{
	uint8_t junk[256];
	ssize_t n;

	do
		n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	conn_close(c);
}

static void on_io(struct loop *l, int fd, unsigned events, void *arg)
{
	struct wg_uapi_conn *c = arg;

	(void)l;
	(void)fd;
	switch (c->phase) {
	case U_IDLE:
		on_idle(c);
		return;
	case U_SEND:
		if (events & (LOOP_WRITE | LOOP_ERROR))
			do_send(c);
		return;
	case U_RECV:
		if (events & (LOOP_READ | LOOP_ERROR))
			do_recv(c);
		return;
	}
}
