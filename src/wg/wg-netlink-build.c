/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The requests stunmesh sends to the kernel WireGuard over generic netlink, built with
 * libmnl into caller buffers, without I/O: the family lookup, the device dump, and
 * WG_CMD_SET_DEVICE messages carrying peer operations (wg-backend.h), split over
 * several messages the way wg(8) splits them when they outgrow one. */
#include "wg/wg-backend.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

static struct nlmsghdr *put_genl(uint8_t *buf, uint16_t type, uint16_t flags, uint32_t seq,
				 uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

int wg_nl_build_family(uint8_t *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr *nlh;

	if (len < 64)
		return -ENOSPC;
	memset(buf, 0, 64);
	/* No NLM_F_ACK: the reply (or an error) is the answer, with nothing after it. */
	nlh = put_genl(buf, GENL_ID_CTRL, NLM_F_REQUEST, seq, CTRL_CMD_GETFAMILY, 1);
	if (!mnl_attr_put_strz_check(nlh, len, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

int wg_nl_build_get(uint8_t *buf, size_t len, uint16_t family, uint32_t seq, const char *name)
{
	struct nlmsghdr *nlh;

	if (len < 64 || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	memset(buf, 0, 64);
	nlh = put_genl(buf, family, NLM_F_REQUEST | NLM_F_DUMP, seq, WG_CMD_GET_DEVICE,
		       WG_GENL_VERSION);
	if (!mnl_attr_put_strz_check(nlh, len, WGDEVICE_A_IFNAME, name))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

static bool put_ip(struct nlmsghdr *nlh, size_t len, const struct wg_allowed_ip *ip)
{
	struct nlattr *n = mnl_attr_nest_start_check(nlh, len, 0);

	if (!n || !mnl_attr_put_u16_check(nlh, len, WGALLOWEDIP_A_FAMILY, ip->family) ||
	    !mnl_attr_put_check(nlh, len, WGALLOWEDIP_A_IPADDR, ip->family == AF_INET ? 4 : 16,
				ip->addr) ||
	    !mnl_attr_put_u8_check(nlh, len, WGALLOWEDIP_A_CIDR_MASK, ip->cidr))
		return false;
	mnl_attr_nest_end(nlh, n);
	return true;
}

/* Everything of one op but its allowed IPs; a continuation (cont) carries only the key
 * and update-only. */
static bool put_head(struct nlmsghdr *nlh, size_t len, const struct wg_peer_op *op, bool cont)
{
	uint32_t flags = 0;

	if (!mnl_attr_put_check(nlh, len, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, op->public_key))
		return false;
	if (cont)
		return mnl_attr_put_u32_check(nlh, len, WGPEER_A_FLAGS, WGPEER_F_UPDATE_ONLY);
	if (op->flags & WG_OP_REMOVE)
		return mnl_attr_put_u32_check(nlh, len, WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME);
	/* UPDATE_ONLY: the kernel ignores the entry instead of creating the peer. */
	if (op->flags & WG_OP_UPDATE_ONLY)
		flags |= WGPEER_F_UPDATE_ONLY;
	if (op->flags & WG_OP_REPLACE_IPS)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (flags && !mnl_attr_put_u32_check(nlh, len, WGPEER_A_FLAGS, flags))
		return false;
	if (op->preshared_key &&
	    !mnl_attr_put_check(nlh, len, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, op->preshared_key))
		return false;
	if (op->endpoint && !mnl_attr_put_check(nlh, len, WGPEER_A_ENDPOINT,
						addr_len(op->endpoint), op->endpoint))
		return false;
	if (op->keepalive >= 0 &&
	    !mnl_attr_put_u16_check(nlh, len, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				    (uint16_t)op->keepalive))
		return false;
	return true;
}

/* Adds op (from allowed IP *ip on) as one peer entry. Returns 1 when the op is complete,
 * 0 when the message filled up after at least one allowed IP (*ip says where to go on),
 * -1 when not even its head fit (the message is as before). */
static int put_op(struct nlmsghdr *nlh, size_t len, const struct wg_peer_op *op, size_t *ip)
{
	uint32_t before = nlh->nlmsg_len;
	struct nlattr *peer, *ips;
	size_t first = *ip;

	peer = mnl_attr_nest_start_check(nlh, len, 0);
	if (!peer || !put_head(nlh, len, op, first > 0))
		goto undo;
	if (op->flags & WG_OP_REMOVE || op->n_allowed_ips == first) {
		mnl_attr_nest_end(nlh, peer);
		*ip = 0;
		return 1;
	}
	ips = mnl_attr_nest_start_check(nlh, len, WGPEER_A_ALLOWEDIPS);
	if (!ips)
		goto undo;
	for (size_t i = first; i < op->n_allowed_ips; i++) {
		uint32_t mark = nlh->nlmsg_len;

		if (!put_ip(nlh, len, &op->allowed_ips[i])) {
			nlh->nlmsg_len = mark;
			if (i == first)
				goto undo;
			mnl_attr_nest_end(nlh, ips);
			mnl_attr_nest_end(nlh, peer);
			*ip = i;
			return 0;
		}
	}
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, peer);
	*ip = 0;
	return 1;
undo:
	nlh->nlmsg_len = before;
	return -1;
}

/* The largest entry without allowed IPs: nest, key, flags, preshared key, sockaddr_in6,
 * keepalive, the allowed-IPs nest. A remove is only placed with this much room left
 * after it, so the entry it belongs with starts in the same message. */
#define HEAD_MAX (4 + 36 + 8 + 36 + 32 + 8 + 4)

int wg_nl_build_set(uint8_t *buf, size_t len, uint16_t family, uint32_t seq, const char *name,
		    const struct wg_peer_op *ops, size_t n, struct wg_nl_set_cursor *cur)
{
	struct nlmsghdr *nlh;
	struct nlattr *peers;
	bool any = false;
	int r;

	if (cur->op >= n)
		return 0;
	if (strlen(name) >= IFNAMSIZ || wg_ops_check(ops, n))
		return -EINVAL;
	if (len < 64 + 2 * HEAD_MAX)
		return -ENOSPC;
	memset(buf, 0, len);
	nlh = put_genl(buf, family, NLM_F_REQUEST | NLM_F_ACK, seq, WG_CMD_SET_DEVICE,
		       WG_GENL_VERSION);
	if (!mnl_attr_put_strz_check(nlh, len, WGDEVICE_A_IFNAME, name))
		return -ENOSPC;
	peers = mnl_attr_nest_start_check(nlh, len, WGDEVICE_A_PEERS);
	if (!peers)
		return -ENOSPC;
	while (cur->op < n) {
		const struct wg_peer_op *op = &ops[cur->op];

		if (any && (op->flags & WG_OP_REMOVE) && cur->op + 1 < n &&
		    len - nlh->nlmsg_len < 2 * HEAD_MAX + 16)
			break;
		r = put_op(nlh, len, op, &cur->ip);
		if (r < 0 && !any)
			return -ENOSPC;
		if (r < 0)
			break;
		any = true;
		if (r == 0)
			break;
		cur->op++;
	}
	mnl_attr_nest_end(nlh, peers);
	return (int)nlh->nlmsg_len;
}
