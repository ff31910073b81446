/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The userspace WireGuard API on its unix socket, /var/run/wireguard/<if>.sock: one
 * connection per request, a deadline on every exchange, reply buffers wiped since a
 * get reply carries the private key. The text is parsed in wg-uapi-text.c. */
#include "wg/wg-backend.h"
#include "wg/wg.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int uapi_connect(const char *path, int *fdp, struct errbuf *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return err_set(e, -ENAMETOOLONG, "socket path %s is too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	/* A unix stream connect completes or fails at once unless the listener's backlog
	 * is full; EAGAIN then means a wedged daemon, reported as such. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		close(fd);
		switch (-r) {
		case ENOENT:
			return err_set(e, -ENODEV, "no UAPI socket %s (no userspace WireGuard "
				       "serves this interface)", path);
		case ECONNREFUSED:
			return err_set(e, -ENODEV,
				       "nothing listens on %s (is the WireGuard daemon running?)",
				       path);
		case EACCES:
		case EPERM:
			return err_set(e, -EPERM,
				       "permission denied connecting to %s: needs root (or "
				       "CAP_DAC_OVERRIDE) to reach the WireGuard control socket",
				       path);
		case EAGAIN:
			return err_set(e, -ETIMEDOUT, "%s is not accepting connections", path);
		default:
			return err_set(e, r, "connect %s: %s", path, strerror(-r));
		}
	}
	*fdp = fd;
	return 0;
}

/* Waits for fd to become ready before the deadline. 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* A reply buffer that never leaves copies of the private key behind in freed memory. */
struct secbuf {
	uint8_t *p;
	size_t len, cap;
};

static int secbuf_reserve(struct secbuf *b, size_t extra)
{
	size_t ncap;
	uint8_t *np;

	if (b->cap - b->len >= extra)
		return 0;
	ncap = b->cap ? b->cap * 2 : 4096;
	while (ncap - b->len < extra)
		ncap *= 2;
	np = malloc(ncap);
	if (!np)
		return -ENOMEM;
	if (b->p) {
		memcpy(np, b->p, b->len);
		secure_zero(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

static void secbuf_free(struct secbuf *b)
{
	if (b->p) {
		secure_zero(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Sends req and reads until the reply's blank line, EOF, the size cap or the timeout. */
static int uapi_exchange(const char *path, const char *req, size_t reqlen, struct secbuf *reply,
			 struct errbuf *e)
{
	int64_t deadline = now_ms() + WG_IO_TIMEOUT_MS;
	size_t off = 0;
	ssize_t n;
	int fd = -1, r;

	r = uapi_connect(path, &fd, e);
	if (r)
		return r;
	while (off < reqlen) {
		r = wait_fd(fd, POLLOUT, deadline);
		if (r)
			goto io_err;
		n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			r = -errno;
			goto io_err;
		}
		off += (size_t)n;
	}
	for (;;) {
		if (reply->len >= 2 && reply->p[reply->len - 1] == '\n' &&
		    reply->p[reply->len - 2] == '\n')
			break;
		if (reply->len >= WG_UAPI_MAX_REPLY) {
			r = err_set(e, -EMSGSIZE, "reply from %s exceeds %u bytes", path,
				    WG_UAPI_MAX_REPLY);
			goto out;
		}
		r = secbuf_reserve(reply, 4096);
		if (r) {
			err_set(e, r, "out of memory");
			goto out;
		}
		r = wait_fd(fd, POLLIN, deadline);
		if (r)
			goto io_err;
		n = recv(fd, reply->p + reply->len, reply->cap - reply->len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			r = -errno;
			goto io_err;
		}
		if (n == 0)
			break; /* the parser reports a truncated reply */
		reply->len += (size_t)n;
	}
	r = 0;
	goto out;
io_err:
	if (r == -ETIMEDOUT)
		err_set(e, r, "no answer from %s within %d ms", path, WG_IO_TIMEOUT_MS);
	else
		err_set(e, r, "talking to %s: %s", path, strerror(-r));
out:
	close(fd);
	return r;
}

int wg_uapi_get(const char *path, const char *name, struct wg_device **out, struct errbuf *e)
{
	static const char req[] = "get=1\n\n";
	struct secbuf reply = { 0 };
	int r;

	r = uapi_exchange(path, req, sizeof(req) - 1, &reply, e);
	if (!r)
		r = wg_uapi_parse_get(reply.p, reply.len, name, out, e);
	secbuf_free(&reply);
	return r;
}

int wg_uapi_set_peer(const char *path, const char *name, const struct wg_peer_update *u,
		     struct errbuf *e)
{
	struct wg_device *dev = NULL;
	struct secbuf reply = { 0 };
	struct strbuf req = { 0 };
	char b64[WG_KEY_B64_LEN];
	int r;

	r = u->known ? 0 : wg_uapi_get(path, name, &dev, e);
	if (r)
		goto out;
	if (!u->known && !wg_device_find_peer(dev, u->public_key)) {
		wg_key_to_base64(b64, u->public_key);
		r = err_set(e, -ENOENT, "peer %s is not on %s; nothing changed", b64, name);
		goto out;
	}
	r = wg_uapi_format_set(&req, u);
	if (r) {
		err_set(e, r, "cannot encode the change");
		goto out;
	}
	r = uapi_exchange(path, req.buf, req.len, &reply, e);
	if (!r)
		r = wg_uapi_parse_set(reply.p, reply.len, e);
out:
	sb_free(&req);
	secbuf_free(&reply);
	wg_device_free(dev);
	return r;
}
