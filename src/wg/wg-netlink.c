/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Linux kernel's WireGuard over generic netlink ("wireguard" family): the socket
 * side. Messages are parsed and built in wg-netlink-msg.c. */
#include "wg/wg-backend.h"
#include "wg/wg.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

/* The kernel may fill a dump datagram up to 32 KiB when the reader offers that much
 * (netlink_dump sizes its skb from the largest recvmsg buffer seen). */
#define NL_RECV_BUF 32768

struct nl_conn {
	struct mnl_socket *nl;
	uint32_t seq;
	uint8_t *buf;
};

static void nl_close(struct nl_conn *c)
{
	if (c->nl)
		mnl_socket_close(c->nl);
	if (c->buf) {
		secure_zero(c->buf, NL_RECV_BUF); /* held the private key */
		free(c->buf);
	}
	c->nl = NULL;
	c->buf = NULL;
}

static int nl_open(struct nl_conn *c, struct errbuf *e)
{
	struct timeval tv = { .tv_sec = WG_IO_TIMEOUT_MS / 1000,
			      .tv_usec = (WG_IO_TIMEOUT_MS % 1000) * 1000 };
	int fd, r;

	memset(c, 0, sizeof(*c));
	c->seq = (uint32_t)time(NULL);
	c->buf = malloc(NL_RECV_BUF);
	if (!c->buf)
		return err_set(e, -ENOMEM, "out of memory");
	c->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!c->nl) {
		r = err_set(e, -errno, "cannot open a generic netlink socket: %s", strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = err_set(e, -errno, "cannot bind a generic netlink socket: %s", strerror(errno));
		goto fail;
	}
	fd = mnl_socket_get_fd(c->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		r = err_set(e, -errno, "setsockopt: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	nl_close(c);
	return r;
}

static int nl_send(struct nl_conn *c, const void *msg, size_t len, struct errbuf *e)
{
	if (mnl_socket_sendto(c->nl, msg, len) < 0)
		return err_set(e, -errno, "netlink send: %s", strerror(errno));
	return 0;
}

/* One datagram into c->buf. Returns its length or -errno (timeout as -ETIMEDOUT). */
static ssize_t nl_recv(struct nl_conn *c, struct errbuf *e)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(c->nl, c->buf, NL_RECV_BUF);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return err_set(e, -ETIMEDOUT, "no answer from the kernel within %d ms",
			       WG_IO_TIMEOUT_MS);
	if (n < 0)
		return err_set(e, -errno, "netlink receive: %s", strerror(errno));
	return n;
}

/* Words for the errors a user can act on. */
static int nl_explain(const char *name, int r, struct errbuf *e)
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

static int nl_resolve(struct nl_conn *c, const char *name, uint16_t *family, struct errbuf *e)
{
	uint8_t req[128];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	ssize_t n;
	int r;

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++c->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	r = nl_send(c, req, nlh->nlmsg_len, e);
	if (r)
		return r;
	n = nl_recv(c, e);
	if (n < 0)
		return (int)n;
	r = wg_nl_parse_family(c->buf, (size_t)n, family);
	if (r == -ENOENT) {
		/* No family: the module is not loaded, so no interface can be WireGuard. */
		if (!if_nametoindex(name))
			return err_set(e, -ENODEV, "no interface named %s", name);
		return err_set(e, -EOPNOTSUPP,
			       "%s is not a WireGuard interface (the kernel has no wireguard "
			       "module loaded and there is no UAPI socket %s/%s.sock)",
			       name, WG_UAPI_DIR, name);
	}
	if (r == -EPROTO)
		return err_set(e, r, "malformed reply resolving the wireguard netlink family");
	if (r)
		return nl_explain(name, r, e);
	return 0;
}

static int nl_get_once(struct nl_conn *c, uint16_t family, const char *name,
		       struct wg_device **out, bool *interrupted, struct errbuf *e)
{
	struct wg_nl_dump d;
	uint8_t req[128];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int r;

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++c->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, name);
	r = wg_nl_dump_init(&d, family, c->seq, name);
	if (r)
		return err_set(e, r, "out of memory");
	r = nl_send(c, req, nlh->nlmsg_len, e);
	while (!r) {
		ssize_t n = nl_recv(c, e);

		if (n < 0) {
			r = (int)n;
			break;
		}
		r = wg_nl_dump_feed(&d, c->buf, (size_t)n, e);
		if (r == 1) {
			r = d.error ? nl_explain(name, d.error, e) : 0;
			*interrupted = d.interrupted;
			if (!r)
				*out = wg_nl_dump_take(&d);
			break;
		}
	}
	wg_nl_dump_free(&d);
	return r;
}

/* The kernel flags a dump during which the device changed (peers added or removed), as
 * its parts may then disagree; a fresh dump is consistent unless it changes again. */
static int nl_get(struct nl_conn *c, uint16_t family, const char *name, struct wg_device **out,
		  struct errbuf *e)
{
	for (int attempt = 0;; attempt++) {
		struct wg_device *dev = NULL;
		bool interrupted = false;
		int r = nl_get_once(c, family, name, &dev, &interrupted, e);

		if (r)
			return r;
		if (!interrupted || attempt == 4) {
			*out = dev;
			return 0;
		}
		wg_device_free(dev);
	}
}

int wg_nl_get(const char *name, struct wg_device **out, struct errbuf *e)
{
	struct nl_conn c;
	uint16_t family;
	int r;

	r = nl_open(&c, e);
	if (r)
		return r;
	r = nl_resolve(&c, name, &family, e);
	if (!r)
		r = nl_get(&c, family, name, out, e);
	nl_close(&c);
	return r;
}

int wg_nl_set_peer(const char *name, const struct wg_peer_update *u, struct errbuf *e)
{
	struct wg_device *dev = NULL;
	char b64[WG_KEY_B64_LEN];
	uint8_t req[512];
	struct nl_conn c;
	uint16_t family;
	int r, len;

	r = nl_open(&c, e);
	if (r)
		return r;
	r = nl_resolve(&c, name, &family, e);
	if (r)
		goto out;
	/* UPDATE_ONLY alone would make a missing peer a silent no-op; look first so the
	 * caller learns about it. */
	r = u->known ? 0 : nl_get(&c, family, name, &dev, e);
	if (r)
		goto out;
	if (!u->known && !wg_device_find_peer(dev, u->public_key)) {
		wg_key_to_base64(b64, u->public_key);
		r = err_set(e, -ENOENT, "peer %s is not on %s; nothing changed", b64, name);
		goto out;
	}
	len = wg_nl_build_set(req, sizeof(req), family, ++c.seq, name, u);
	if (len < 0) {
		r = err_set(e, len, "cannot encode the change");
		goto out;
	}
	r = nl_send(&c, req, (size_t)len, e);
	while (!r) {
		ssize_t n = nl_recv(&c, e);

		if (n < 0) {
			r = (int)n;
			break;
		}
		r = wg_nl_parse_ack(c.buf, (size_t)n, c.seq);
		if (r == 1) {
			r = 0;
			break;
		}
		if (r == -EPROTO) {
			err_set(e, r, "malformed netlink acknowledgement");
			break;
		}
		if (r < 0) {
			r = nl_explain(name, r, e);
			break;
		}
	}
out:
	wg_device_free(dev);
	nl_close(&c);
	return r;
}
