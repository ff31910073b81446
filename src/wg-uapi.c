/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cross-platform userspace API of WireGuard (wireguard-go, boringtun, ...): a text
 * protocol on the unix socket /var/run/wireguard/<if>.sock. A request is "get=1" or
 * "set=1" plus key=value lines, ended by a blank line; the reply is key=value lines,
 * "errno=N" last, and a blank line. Keys are hex. */
#include "wg-backend.h"
#include "wg.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

static bool key_is(const char *k, size_t klen, const char *want)
{
	return strlen(want) == klen && !memcmp(k, want, klen);
}

static void derive_public(struct wg_device *dev)
{
	/* crypto_scalarmult_base clamps the scalar as X25519 requires and fails only for
	 * a key that yields the all-zero point. */
	if (sodium_init() >= 0 && crypto_scalarmult_base(dev->public_key, dev->private_key) == 0)
		dev->flags |= WG_DEV_HAS_PUBLIC_KEY;
}

/* One line of a get reply. Device keys come before the first public_key=, peer keys
 * after it; anything else is ignored so newer implementations stay readable. */
static int get_line(struct wg_device *dev, size_t *cap, struct wg_peer **peer, const char *k,
		    size_t klen, const char *v, size_t vlen, struct errbuf *e)
{
	struct wg_peer *p = *peer;
	uint64_t n;

	if (key_is(k, klen, "public_key")) {
		p = wg_device_add_peer(dev, cap);
		if (!p)
			return err_set(e, -ENOMEM, "out of memory");
		if (hex_decode(p->public_key, WG_KEY_LEN, v, vlen))
			return err_set(e, -EPROTO, "bad peer public_key");
		*peer = p;
		return 0;
	}
	if (key_is(k, klen, "private_key") || key_is(k, klen, "listen_port") ||
	    key_is(k, klen, "fwmark")) {
		if (p)
			return err_set(e, -EPROTO, "device key after the first peer");
		if (key_is(k, klen, "private_key")) {
			if (hex_decode(dev->private_key, WG_KEY_LEN, v, vlen))
				return err_set(e, -EPROTO, "bad private_key");
			dev->flags |= WG_DEV_HAS_PRIVATE_KEY;
			derive_public(dev);
		} else if (key_is(k, klen, "listen_port")) {
			if (wg_parse_dec(v, vlen, UINT16_MAX, &n))
				return err_set(e, -EPROTO, "bad listen_port");
			dev->listen_port = (uint16_t)n;
		} else {
			if (wg_parse_dec(v, vlen, UINT32_MAX, &n))
				return err_set(e, -EPROTO, "bad fwmark");
			dev->fwmark = (uint32_t)n;
		}
		return 0;
	}
	if (key_is(k, klen, "endpoint")) {
		if (!p)
			return err_set(e, -EPROTO, "endpoint before any peer");
		if (wg_endpoint_parse(v, vlen, &p->endpoint))
			return err_set(e, -EPROTO, "bad endpoint");
		p->flags |= WG_PEER_HAS_ENDPOINT;
		return 0;
	}
	if (key_is(k, klen, "persistent_keepalive_interval")) {
		if (!p)
			return err_set(e, -EPROTO, "keepalive before any peer");
		if (wg_parse_dec(v, vlen, UINT16_MAX, &n))
			return err_set(e, -EPROTO, "bad persistent_keepalive_interval");
		p->persistent_keepalive = (uint16_t)n;
		p->flags |= WG_PEER_HAS_KEEPALIVE;
		return 0;
	}
	if (key_is(k, klen, "last_handshake_time_sec") ||
	    key_is(k, klen, "last_handshake_time_nsec") || key_is(k, klen, "rx_bytes") ||
	    key_is(k, klen, "tx_bytes")) {
		bool nsec = key_is(k, klen, "last_handshake_time_nsec");
		bool sec = key_is(k, klen, "last_handshake_time_sec");

		if (!p)
			return err_set(e, -EPROTO, "peer counter before any peer");
		if (wg_parse_dec(v, vlen, nsec ? 999999999 : sec ? INT64_MAX : UINT64_MAX, &n))
			return err_set(e, -EPROTO, "bad %.*s", (int)klen, k);
		if (sec)
			p->last_handshake_sec = (int64_t)n;
		else if (nsec)
			p->last_handshake_nsec = (int64_t)n;
		else if (key_is(k, klen, "rx_bytes"))
			p->rx_bytes = n;
		else
			p->tx_bytes = n;
		return 0;
	}
	return 0;
}

/* Walks the lines of a reply up to the blank line. For each line before errno= it calls
 * get_line when dev is given; errno= must be the last line. Returns 0 with *err set to
 * the reported errno, or -EPROTO / -ENOMEM. */
static int walk_reply(const uint8_t *buf, size_t len, struct wg_device *dev, struct errbuf *e,
		      int *err)
{
	const char *s = (const char *)buf;
	struct wg_peer *peer = NULL;
	size_t pos = 0, cap = 0;
	bool have_errno = false;
	uint64_t code = 0;
	int r;

	for (;;) {
		const char *line = s + pos, *nl, *eq;
		size_t llen;

		nl = pos < len ? memchr(line, '\n', len - pos) : NULL;
		if (!nl)
			return err_set(e, -EPROTO, "reply truncated (no blank line at the end)");
		llen = (size_t)(nl - line);
		pos += llen + 1;
		if (llen == 0)
			break;
		if (have_errno)
			return err_set(e, -EPROTO, "reply continues after errno=");
		eq = memchr(line, '=', llen);
		if (!eq)
			return err_set(e, -EPROTO, "reply line without '='");
		if (key_is(line, (size_t)(eq - line), "errno")) {
			const char *v = eq + 1;
			size_t vlen = llen - (size_t)(eq - line) - 1;

			/* The protocol text says a positive errno, but wireguard-go sends its
			 * codes negated ("errno=-22"): accept either sign. */
			if (vlen > 0 && v[0] == '-') {
				v++;
				vlen--;
			}
			if (wg_parse_dec(v, vlen, 4095, &code))
				return err_set(e, -EPROTO, "bad errno= value");
			have_errno = true;
			continue;
		}
		if (!dev)
			continue;
		r = get_line(dev, &cap, &peer, line, (size_t)(eq - line), eq + 1,
			     llen - (size_t)(eq - line) - 1, e);
		if (r)
			return r;
	}
	if (!have_errno)
		return err_set(e, -EPROTO, "reply has no errno= line");
	*err = (int)code;
	return 0;
}

int wg_uapi_parse_get(const uint8_t *buf, size_t len, const char *name, struct wg_device **out,
		      struct errbuf *e)
{
	struct wg_device *dev = wg_device_new();
	int r, code = 0;

	if (!dev)
		return err_set(e, -ENOMEM, "out of memory");
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->backend = WG_BACKEND_UAPI;
	r = walk_reply(buf, len, dev, e, &code);
	if (r)
		goto out;
	if (code) {
		r = err_set(e, -code, "the device answered errno %d (%s)", code, strerror(code));
		goto out;
	}
	*out = dev;
	dev = NULL;
out:
	wg_device_free(dev);
	return r;
}

int wg_uapi_parse_set(const uint8_t *buf, size_t len, struct errbuf *e)
{
	int r, code = 0;

	r = walk_reply(buf, len, NULL, e, &code);
	if (r)
		return r;
	if (code)
		return err_set(e, -code, "the device refused the change: errno %d (%s)", code,
			       strerror(code));
	return 0;
}

int wg_uapi_format_set(struct strbuf *s, const struct wg_peer_update *u)
{
	char hex[2 * WG_KEY_LEN + 1], ep[WG_ENDPOINT_STR_LEN];
	int r;

	if (u->keepalive < -1 || u->keepalive > UINT16_MAX)
		return -EINVAL;
	hex_encode(hex, u->public_key, WG_KEY_LEN);
	/* update_only: wireguard-go then never creates the peer, even if it disappeared
	 * between our get and this set. */
	r = sb_printf(s, "set=1\npublic_key=%s\nupdate_only=true\n", hex);
	if (!r && u->endpoint) {
		if (u->endpoint->sa.sa_family != AF_INET && u->endpoint->sa.sa_family != AF_INET6)
			return -EINVAL;
		wg_endpoint_format(u->endpoint, ep, sizeof(ep));
		r = sb_printf(s, "endpoint=%s\n", ep);
	}
	if (!r && u->keepalive >= 0)
		r = sb_printf(s, "persistent_keepalive_interval=%d\n", u->keepalive);
	if (!r)
		r = sb_puts(s, "\n");
	return r;
}

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

	r = wg_uapi_get(path, name, &dev, e);
	if (r)
		goto out;
	if (!wg_device_find_peer(dev, u->public_key)) {
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
