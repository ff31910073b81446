/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Netlink fixtures recorded as bytes (wg_netlink_recorded.h, captured on x86-64) are
 * little-endian, but netlink is host byte order. nl_fixture_to_host() rewrites such a
 * buffer in place into host order, as the same kernel would have written it on this
 * machine: each nlmsghdr, the genlmsghdr's reserved field, the error code of
 * NLMSG_DONE / NLMSG_ERROR (and the request header an error echoes), each nlattr header,
 * and the attribute payloads that are native integers, by the attribute schemas of the
 * generic netlink controller and of WireGuard (linux/genetlink.h, linux/wireguard.h).
 * Byte strings, keys, addresses and ports (network order) stay as they are; so does an
 * endpoint's sockaddr except its family, which is a native u16.
 *
 * An attribute the schema does not know, or one of the wrong size, fails the
 * conversion: nothing can silently stay in the wrong order. On a little-endian host every
 * rewrite writes back what was there, so the walk is then a check of the fixture only. */
#ifndef SM_NL_FIXTURE_H
#define SM_NL_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

enum nlf_kind { NLF_RAW, NLF_U8, NLF_U16, NLF_U32, NLF_U64, NLF_TIMESPEC, NLF_SOCKADDR, NLF_NEST, NLF_ARRAY };

struct nlf_attr {
	uint16_t type; /* 0 ends a table */
	enum nlf_kind kind;
	const struct nlf_attr *inner; /* NEST: its attributes; ARRAY: each element's */
};

static const struct nlf_attr nlf_allowedip[] = {
	{ WGALLOWEDIP_A_FAMILY, NLF_U16, NULL },
	{ WGALLOWEDIP_A_IPADDR, NLF_RAW, NULL },
	{ WGALLOWEDIP_A_CIDR_MASK, NLF_U8, NULL },
	{ 0, NLF_RAW, NULL },
};

static const struct nlf_attr nlf_peer[] = {
	{ WGPEER_A_PUBLIC_KEY, NLF_RAW, NULL },
	{ WGPEER_A_PRESHARED_KEY, NLF_RAW, NULL },
	{ WGPEER_A_FLAGS, NLF_U32, NULL },
	{ WGPEER_A_ENDPOINT, NLF_SOCKADDR, NULL },
	{ WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, NLF_U16, NULL },
	{ WGPEER_A_LAST_HANDSHAKE_TIME, NLF_TIMESPEC, NULL },
	{ WGPEER_A_RX_BYTES, NLF_U64, NULL },
	{ WGPEER_A_TX_BYTES, NLF_U64, NULL },
	{ WGPEER_A_ALLOWEDIPS, NLF_ARRAY, nlf_allowedip },
	{ WGPEER_A_PROTOCOL_VERSION, NLF_U32, NULL },
	{ 0, NLF_RAW, NULL },
};

static const struct nlf_attr nlf_device[] = {
	{ WGDEVICE_A_IFINDEX, NLF_U32, NULL },
	{ WGDEVICE_A_IFNAME, NLF_RAW, NULL },
	{ WGDEVICE_A_PRIVATE_KEY, NLF_RAW, NULL },
	{ WGDEVICE_A_PUBLIC_KEY, NLF_RAW, NULL },
	{ WGDEVICE_A_FLAGS, NLF_U32, NULL },
	{ WGDEVICE_A_LISTEN_PORT, NLF_U16, NULL },
	{ WGDEVICE_A_FWMARK, NLF_U32, NULL },
	{ WGDEVICE_A_PEERS, NLF_ARRAY, nlf_peer },
	{ 0, NLF_RAW, NULL },
};

static const struct nlf_attr nlf_ctrl_op[] = {
	{ CTRL_ATTR_OP_ID, NLF_U32, NULL },
	{ CTRL_ATTR_OP_FLAGS, NLF_U32, NULL },
	{ 0, NLF_RAW, NULL },
};

static const struct nlf_attr nlf_ctrl_group[] = {
	{ CTRL_ATTR_MCAST_GRP_NAME, NLF_RAW, NULL },
	{ CTRL_ATTR_MCAST_GRP_ID, NLF_U32, NULL },
	{ 0, NLF_RAW, NULL },
};

static const struct nlf_attr nlf_ctrl[] = {
	{ CTRL_ATTR_FAMILY_ID, NLF_U16, NULL },
	{ CTRL_ATTR_FAMILY_NAME, NLF_RAW, NULL },
	{ CTRL_ATTR_VERSION, NLF_U32, NULL },
	{ CTRL_ATTR_HDRSIZE, NLF_U32, NULL },
	{ CTRL_ATTR_MAXATTR, NLF_U32, NULL },
	{ CTRL_ATTR_OPS, NLF_ARRAY, nlf_ctrl_op },
	{ CTRL_ATTR_MCAST_GROUPS, NLF_ARRAY, nlf_ctrl_group },
	{ 0, NLF_RAW, NULL },
};

/* Read little-endian, write back in host order. */
static inline uint64_t nlf_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static inline void nlf_fix(uint8_t *p, size_t n)
{
	uint64_t v = nlf_le(p, n);
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	if (n == 2)
		memcpy(p, &v16, 2);
	else if (n == 4)
		memcpy(p, &v32, 4);
	else
		memcpy(p, &v, 8);
}

static int nlf_attrs(uint8_t *p, size_t len, const struct nlf_attr *schema);

/* One payload by its kind: 0, or -1 when its size does not fit the kind. */
static int nlf_payload(uint8_t *p, size_t len, const struct nlf_attr *a)
{
	static const size_t size[] = { [NLF_U8] = 1, [NLF_U16] = 2, [NLF_U32] = 4, [NLF_U64] = 8 };

	switch (a->kind) {
	case NLF_RAW:
	case NLF_U8:
		return a->kind == NLF_U8 && len != 1 ? -1 : 0;
	case NLF_U16:
	case NLF_U32:
	case NLF_U64:
		if (len != size[a->kind])
			return -1;
		nlf_fix(p, len);
		return 0;
	case NLF_TIMESPEC: /* struct __kernel_timespec: two 64-bit fields */
		if (len != 16)
			return -1;
		nlf_fix(p, 8);
		nlf_fix(p + 8, 8);
		return 0;
	case NLF_SOCKADDR: /* sa_family native; port and address in network order */
		if (len < 2)
			return -1;
		nlf_fix(p, 2);
		return 0;
	case NLF_NEST:
		return nlf_attrs(p, len, a->inner);
	case NLF_ARRAY: { /* nests of any type (the index), each by a->inner */
		struct nlf_attr elem = { 0, NLF_NEST, a->inner };
		size_t off = 0;

		while (off + 4 <= len) {
			size_t alen = (size_t)nlf_le(p + off, 2);

			if (alen < 4 || off + alen > len)
				return -1;
			nlf_fix(p + off, 2);
			nlf_fix(p + off + 2, 2);
			if (nlf_payload(p + off + 4, alen - 4, &elem))
				return -1;
			off += NLA_ALIGN(alen);
		}
		return off == len || off == NLA_ALIGN(len) ? 0 : -1;
	}
	}
	return -1;
}

static int nlf_attrs(uint8_t *p, size_t len, const struct nlf_attr *schema)
{
	size_t off = 0;

	while (off + 4 <= len) {
		size_t alen = (size_t)nlf_le(p + off, 2);
		uint16_t type = (uint16_t)(nlf_le(p + off + 2, 2) & NLA_TYPE_MASK);
		const struct nlf_attr *a = schema;

		while (a->type && a->type != type)
			a++;
		if (!a->type || alen < 4 || off + alen > len)
			return -1;
		nlf_fix(p + off, 2);
		nlf_fix(p + off + 2, 2);
		if (nlf_payload(p + off + 4, alen - 4, a))
			return -1;
		off += NLA_ALIGN(alen);
	}
	return off == len || off == NLA_ALIGN(len) ? 0 : -1;
}

/* The netlink header at p (already read as len, type): the other fields. */
static void nlf_header(uint8_t *p)
{
	nlf_fix(p, 4);	    /* nlmsg_len */
	nlf_fix(p + 4, 2);  /* nlmsg_type */
	nlf_fix(p + 6, 2);  /* nlmsg_flags */
	nlf_fix(p + 8, 4);  /* nlmsg_seq */
	nlf_fix(p + 12, 4); /* nlmsg_pid */
}

/* A datagram of netlink messages, little-endian, to host order: 0, or -1 for anything
 * the walk does not know. */
static inline int nl_fixture_to_host(uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off + NLMSG_HDRLEN <= len) {
		uint8_t *m = buf + off;
		size_t mlen = (size_t)nlf_le(m, 4);
		uint16_t type = (uint16_t)nlf_le(m + 4, 2);

		if (mlen < NLMSG_HDRLEN || off + mlen > len)
			return -1;
		nlf_header(m);
		if (type == NLMSG_DONE || type == NLMSG_ERROR) {
			if (mlen < NLMSG_HDRLEN + 4)
				return -1;
			nlf_fix(m + NLMSG_HDRLEN, 4);
			if (type == NLMSG_ERROR && mlen >= NLMSG_HDRLEN + 4 + NLMSG_HDRLEN)
				nlf_header(m + NLMSG_HDRLEN + 4);
		} else if (type >= NLMSG_MIN_TYPE) {
			if (mlen < NLMSG_HDRLEN + GENL_HDRLEN)
				return -1;
			nlf_fix(m + NLMSG_HDRLEN + 2, 2); /* genlmsghdr.reserved */
			if (nlf_attrs(m + NLMSG_HDRLEN + GENL_HDRLEN, mlen - NLMSG_HDRLEN - GENL_HDRLEN,
				      type == GENL_ID_CTRL ? nlf_ctrl : nlf_device))
				return -1;
		} else if (type != NLMSG_NOOP) {
			return -1;
		}
		off += NLMSG_ALIGN(mlen);
	}
	return off == len ? 0 : -1;
}

#endif
