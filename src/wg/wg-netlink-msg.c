/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel WireGuard's generic netlink messages, without I/O: the parsers walk
 * (buf, len) themselves, checking every header and attribute length and skipping
 * unknown attributes, so they can be fed recorded messages and fuzzed. The requests are
 * built in wg-netlink-build.c, the socket is wg-netlink.c. */
#include "wg/wg-backend.h"
#include "wg/wg.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

/* ---- attribute walking ---- */

struct nla_iter {
	const uint8_t *p;
	size_t left;
};

struct nla {
	uint16_t type; /* without NLA_F_NESTED / NLA_F_NET_BYTEORDER */
	const uint8_t *data;
	size_t len;
};

static void nla_iter_init(struct nla_iter *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->left = len;
}

/* 1 with *a filled, 0 at the end, -EPROTO when the next attribute overruns. */
static int nla_next(struct nla_iter *it, struct nla *a)
{
	struct nlattr h;
	size_t step;

	if (it->left == 0)
		return 0;
	if (it->left < sizeof(h))
		return -EPROTO;
	memcpy(&h, it->p, sizeof(h));
	if (h.nla_len < sizeof(h) || h.nla_len > it->left)
		return -EPROTO;
	a->type = h.nla_type & NLA_TYPE_MASK;
	a->data = it->p + sizeof(h);
	a->len = h.nla_len - sizeof(h);
	/* The last attribute may come without its alignment padding. */
	step = NLA_ALIGN((size_t)h.nla_len);
	if (step > it->left)
		step = it->left;
	it->p += step;
	it->left -= step;
	return 1;
}

static uint16_t get_u16(const struct nla *a)
{
	uint16_t v;

	memcpy(&v, a->data, sizeof(v));
	return v;
}

static uint32_t get_u32(const struct nla *a)
{
	uint32_t v;

	memcpy(&v, a->data, sizeof(v));
	return v;
}

static uint64_t get_u64(const struct nla *a)
{
	uint64_t v;

	memcpy(&v, a->data, sizeof(v));
	return v;
}

/* ---- WG_CMD_GET_DEVICE dump ---- */

static int parse_endpoint(const struct nla *a, union sm_addr *ep)
{
	sa_family_t fam;

	if (a->len < sizeof(fam))
		return -EPROTO;
	memcpy(&fam, a->data, sizeof(fam));
	if (fam == AF_INET && a->len == sizeof(struct sockaddr_in))
		memcpy(&ep->in, a->data, sizeof(ep->in));
	else if (fam == AF_INET6 && a->len == sizeof(struct sockaddr_in6))
		memcpy(&ep->in6, a->data, sizeof(ep->in6));
	else
		return -EPROTO;
	return 0;
}

static int parse_allowedip(const struct nla *nest, struct wg_allowed_ip *ip)
{
	struct nla_iter it;
	struct nla a;
	bool fam = false, addr = false, cidr = false;
	size_t alen = 0;
	int r;

	memset(ip, 0, sizeof(*ip));
	nla_iter_init(&it, nest->data, nest->len);
	while ((r = nla_next(&it, &a)) > 0) {
		switch (a.type) {
		case WGALLOWEDIP_A_FAMILY:
			if (a.len != sizeof(uint16_t))
				return -EPROTO;
			ip->family = get_u16(&a);
			fam = true;
			break;
		case WGALLOWEDIP_A_IPADDR:
			if (a.len != 4 && a.len != 16)
				return -EPROTO;
			memcpy(ip->addr, a.data, a.len);
			alen = a.len;
			addr = true;
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (a.len != sizeof(uint8_t))
				return -EPROTO;
			ip->cidr = a.data[0];
			cidr = true;
			break;
		default:
			break; /* flags (for writes) and anything newer */
		}
	}
	if (r < 0 || !fam || !addr || !cidr)
		return -EPROTO;
	if (!((ip->family == AF_INET && alen == 4 && ip->cidr <= 32) ||
	      (ip->family == AF_INET6 && alen == 16 && ip->cidr <= 128)))
		return -EPROTO;
	return 0;
}

static int parse_allowedips(const struct nla *nest, struct wg_peer *p)
{
	struct nla_iter it;
	struct nla a;
	int r;

	nla_iter_init(&it, nest->data, nest->len);
	while ((r = nla_next(&it, &a)) > 0) {
		struct wg_allowed_ip ip;

		if (parse_allowedip(&a, &ip))
			return -EPROTO;
		r = wg_peer_add_allowed_ip(p, &ip);
		if (r)
			return r;
	}
	return r;
}

static int parse_timespec(const struct nla *a, struct wg_peer *p)
{
	/* struct __kernel_timespec: two s64 whatever the architecture. */
	int64_t ts[2];

	if (a->len != sizeof(ts))
		return -EPROTO;
	memcpy(ts, a->data, sizeof(ts));
	p->last_handshake_sec = ts[0];
	p->last_handshake_nsec = ts[1];
	return 0;
}

/* One attribute of a peer nest into p (the peer this nest starts or continues). */
static int parse_peer_attr(const struct nla *a, struct wg_peer *p)
{
	static const uint8_t zero[WG_KEY_LEN];

	switch (a->type) {
	case WGPEER_A_PRESHARED_KEY:
		if (a->len != WG_KEY_LEN)
			return -EPROTO;
		memcpy(p->preshared_key, a->data, WG_KEY_LEN);
		if (memcmp(p->preshared_key, zero, WG_KEY_LEN))
			p->flags |= WG_PEER_HAS_PSK;
		else
			p->flags &= ~(uint32_t)WG_PEER_HAS_PSK;
		return 0;
	case WGPEER_A_ENDPOINT:
		if (parse_endpoint(a, &p->endpoint))
			return -EPROTO;
		p->flags |= WG_PEER_HAS_ENDPOINT;
		return 0;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (a->len != sizeof(uint16_t))
			return -EPROTO;
		p->persistent_keepalive = get_u16(a);
		p->flags |= WG_PEER_HAS_KEEPALIVE;
		return 0;
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		return parse_timespec(a, p);
	case WGPEER_A_RX_BYTES:
	case WGPEER_A_TX_BYTES:
		if (a->len != sizeof(uint64_t))
			return -EPROTO;
		if (a->type == WGPEER_A_RX_BYTES)
			p->rx_bytes = get_u64(a);
		else
			p->tx_bytes = get_u64(a);
		return 0;
	case WGPEER_A_ALLOWEDIPS:
		return parse_allowedips(a, p);
	default:
		/* public key (read first), protocol version, flags and anything newer */
		return 0;
	}
}

/* A peer nest: its public key says which peer it is; a peer cut off at the end of one
 * message (its allowed IPs did not fit) starts the next under the same key, and is
 * continued instead of added. The attributes then go straight into that peer. */
static int parse_peer(struct wg_nl_dump *d, const struct nla *nest)
{
	struct wg_device *dev = d->dev;
	const uint8_t *key = NULL;
	struct wg_peer *p;
	struct nla_iter it;
	struct nla a;
	int r;

	nla_iter_init(&it, nest->data, nest->len);
	while ((r = nla_next(&it, &a)) > 0) {
		if (a.type != WGPEER_A_PUBLIC_KEY)
			continue;
		if (a.len != WG_KEY_LEN)
			return -EPROTO;
		key = a.data;
	}
	if (r < 0 || !key)
		return -EPROTO;
	p = dev->n_peers ? &dev->peers[dev->n_peers - 1] : NULL;
	if (!p || memcmp(p->public_key, key, WG_KEY_LEN)) {
		p = wg_device_add_peer(dev, &d->cap);
		if (!p)
			return -ENOMEM;
		memcpy(p->public_key, key, WG_KEY_LEN);
	}
	nla_iter_init(&it, nest->data, nest->len);
	while ((r = nla_next(&it, &a)) > 0) {
		r = parse_peer_attr(&a, p);
		if (r)
			return r;
	}
	return r;
}

static int parse_peers(struct wg_nl_dump *d, const struct nla *nest)
{
	struct nla_iter it;
	struct nla a;
	int r;

	nla_iter_init(&it, nest->data, nest->len);
	while ((r = nla_next(&it, &a)) > 0) {
		r = parse_peer(d, &a);
		if (r)
			return r;
	}
	return r;
}

static int parse_device(struct wg_nl_dump *d, const uint8_t *buf, size_t len)
{
	struct wg_device *dev = d->dev;
	struct nla_iter it;
	struct nla a;
	int r;

	nla_iter_init(&it, buf, len);
	while ((r = nla_next(&it, &a)) > 0) {
		switch (a.type) {
		case WGDEVICE_A_PRIVATE_KEY:
		case WGDEVICE_A_PUBLIC_KEY:
			if (a.len != WG_KEY_LEN)
				return -EPROTO;
			if (a.type == WGDEVICE_A_PRIVATE_KEY) {
				memcpy(dev->private_key, a.data, WG_KEY_LEN);
				dev->flags |= WG_DEV_HAS_PRIVATE_KEY;
			} else {
				memcpy(dev->public_key, a.data, WG_KEY_LEN);
				dev->flags |= WG_DEV_HAS_PUBLIC_KEY;
			}
			break;
		case WGDEVICE_A_LISTEN_PORT:
			if (a.len != sizeof(uint16_t))
				return -EPROTO;
			dev->listen_port = get_u16(&a);
			break;
		case WGDEVICE_A_FWMARK:
			if (a.len != sizeof(uint32_t))
				return -EPROTO;
			dev->fwmark = get_u32(&a);
			break;
		case WGDEVICE_A_IFNAME:
			/* NUL-terminated within the attribute and within IFNAMSIZ. */
			if (a.len == 0 || a.len > IFNAMSIZ || !memchr(a.data, '\0', a.len))
				return -EPROTO;
			memcpy(dev->name, a.data, a.len);
			break;
		case WGDEVICE_A_IFINDEX:
			if (a.len != sizeof(uint32_t))
				return -EPROTO;
			break;
		case WGDEVICE_A_PEERS:
			r = parse_peers(d, &a);
			if (r)
				return r;
			break;
		default:
			break;
		}
	}
	return r;
}

int wg_nl_dump_init(struct wg_nl_dump *d, uint16_t family, uint32_t seq, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->family = family;
	d->seq = seq;
	d->dev = wg_device_new();
	if (!d->dev)
		return -ENOMEM;
	snprintf(d->dev->name, sizeof(d->dev->name), "%s", name);
	d->dev->backend = WG_BACKEND_NETLINK;
	return 0;
}

/* The int that starts NLMSG_ERROR and (for dumps) NLMSG_DONE payloads. */
static int msg_error(const uint8_t *payload, size_t len, int *err)
{
	int32_t v;

	if (len < sizeof(v))
		return -EPROTO;
	memcpy(&v, payload, sizeof(v));
	if (v > 0 || v < -4095)
		return -EPROTO;
	*err = v;
	return 0;
}

int wg_nl_dump_feed(struct wg_nl_dump *d, const uint8_t *buf, size_t len, struct errbuf *e)
{
	size_t off = 0;
	int r;

	if (d->done)
		return 1;
	while (off < len) {
		struct nlmsghdr h;
		const uint8_t *payload;
		size_t plen, step;
		int err = 0;

		if (len - off < sizeof(h))
			return err_set(e, -EPROTO, "truncated netlink header");
		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return err_set(e, -EPROTO, "netlink message length %u out of bounds",
				       h.nlmsg_len);
		payload = buf + off + sizeof(h);
		plen = h.nlmsg_len - sizeof(h);
		step = NLMSG_ALIGN((size_t)h.nlmsg_len);
		off += step < len - off ? step : len - off;
		/* Replies to some earlier request on this socket are not ours. */
		if (d->seq && h.nlmsg_seq != d->seq)
			continue;
		if (h.nlmsg_flags & NLM_F_DUMP_INTR)
			d->interrupted = true;
		switch (h.nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_ERROR:
		case NLMSG_DONE:
			if (h.nlmsg_type == NLMSG_DONE && plen < sizeof(int32_t))
				err = 0; /* old kernels sent DONE without the int */
			else if (msg_error(payload, plen, &err))
				return err_set(e, -EPROTO, "malformed netlink error message");
			d->error = err;
			d->done = true;
			return 1;
		case NLMSG_OVERRUN:
			return err_set(e, -EPROTO, "netlink overrun");
		default:
			break;
		}
		if (h.nlmsg_type != d->family)
			continue;
		if (plen < GENL_HDRLEN)
			return err_set(e, -EPROTO, "truncated generic netlink header");
		if (payload[0] != WG_CMD_GET_DEVICE)
			continue;
		r = parse_device(d, payload + GENL_HDRLEN, plen - GENL_HDRLEN);
		if (r == -ENOMEM)
			return err_set(e, r, "out of memory");
		if (r)
			return err_set(e, r, "malformed WireGuard device attributes");
	}
	return 0;
}

struct wg_device *wg_nl_dump_take(struct wg_nl_dump *d)
{
	struct wg_device *dev = d->dev;

	d->dev = NULL;
	return dev;
}

void wg_nl_dump_free(struct wg_nl_dump *d)
{
	wg_device_free(d->dev);
	d->dev = NULL;
}

int wg_nl_parse_family(const uint8_t *buf, size_t len, uint32_t seq, uint16_t *id)
{
	size_t off = 0;
	int err = 0;

	while (off < len) {
		struct nlmsghdr h;
		const uint8_t *payload;
		struct nla_iter it;
		struct nla a;
		size_t plen, step;
		int r;

		if (len - off < sizeof(h))
			return -EPROTO;
		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -EPROTO;
		payload = buf + off + sizeof(h);
		plen = h.nlmsg_len - sizeof(h);
		step = NLMSG_ALIGN((size_t)h.nlmsg_len);
		off += step < len - off ? step : len - off;
		if (seq && h.nlmsg_seq != seq)
			continue;
		if (h.nlmsg_type == NLMSG_ERROR) {
			if (msg_error(payload, plen, &err))
				return -EPROTO;
			if (err)
				return err;
			continue;
		}
		if (h.nlmsg_type != GENL_ID_CTRL)
			continue;
		if (plen < GENL_HDRLEN)
			return -EPROTO;
		nla_iter_init(&it, payload + GENL_HDRLEN, plen - GENL_HDRLEN);
		while ((r = nla_next(&it, &a)) > 0) {
			if (a.type != CTRL_ATTR_FAMILY_ID)
				continue;
			if (a.len != sizeof(uint16_t))
				return -EPROTO;
			*id = get_u16(&a);
			return 1;
		}
		if (r < 0)
			return r;
		/* A family reply without its id is not a reply we can use. */
		return -EPROTO;
	}
	return 0;
}

int wg_nl_parse_ack(const uint8_t *buf, size_t len, uint32_t seq)
{
	size_t off = 0;
	int err;

	while (off < len) {
		struct nlmsghdr h;
		size_t step;

		if (len - off < sizeof(h))
			return -EPROTO;
		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -EPROTO;
		if (h.nlmsg_type == NLMSG_ERROR && h.nlmsg_seq == seq) {
			if (msg_error(buf + off + sizeof(h), h.nlmsg_len - sizeof(h), &err))
				return -EPROTO;
			return err ? err : 1;
		}
		step = NLMSG_ALIGN((size_t)h.nlmsg_len);
		off += step < len - off ? step : len - off;
	}
	return 0;
}
