/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel backend's parsers, fed hand-built generic netlink messages laid out as the
 * kernel's wg_get_device_dump() lays them out: device attributes in the first message,
 * peers nested under WGDEVICE_A_PEERS (each nest of type 0), a peer whose allowed IPs
 * did not fit repeated at the start of the next message, NLMSG_DONE last. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "wg/wg-backend.h"
#include "wg/wg.h"
#include "nl_fixture.h"
#include "wg_netlink_recorded.h"

#define FAM 0x1d
#define SEQ 4242

struct dgram {
	uint8_t buf[65536];
	size_t len;
};

static struct nlmsghdr *msg_start(struct dgram *d, uint16_t type, uint8_t cmd, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static void msg_end(struct dgram *d, struct nlmsghdr *nlh)
{
	d->len += NLMSG_ALIGN(nlh->nlmsg_len);
	assert_true(d->len < sizeof(d->buf) - 8192);
}

static void put_ctl(struct dgram *d, uint16_t type, int32_t err)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	int32_t *p;

	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = SEQ;
	p = mnl_nlmsg_put_extra_header(nlh, type == NLMSG_ERROR ? sizeof(struct nlmsgerr)
								 : sizeof(int32_t));
	*p = err;
	msg_end(d, nlh);
}

static void peer_key(uint8_t key[WG_KEY_LEN], unsigned i)
{
	memset(key, 0, WG_KEY_LEN);
	key[0] = 0x50;
	key[30] = (uint8_t)(i >> 8);
	key[31] = (uint8_t)i;
}

static void put_device_attrs(struct nlmsghdr *nlh)
{
	uint8_t k[WG_KEY_LEN];

	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	memset(k, 0x11, sizeof(k));
	mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, k);
	memset(k, 0x22, sizeof(k));
	mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, k);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0xca6c);
}

/* Allowed IPs of peer part i: 198.18.<i>/32 and, for even i, 2001:db8:<i>::/48. */
static void put_allowedip(struct nlmsghdr *nlh, unsigned i)
{
	struct nlattr *ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	struct nlattr *ip = mnl_attr_nest_start(nlh, 0);
	uint8_t addr[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, (uint8_t)(i >> 8), (uint8_t)i };

	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 4, addr);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 32);
	mnl_attr_nest_end(nlh, ip);
	if (i % 2 == 0) {
		ip = mnl_attr_nest_start(nlh, 0);
		mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 48);
		mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 16, a6);
		mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET6);
		mnl_attr_nest_end(nlh, ip);
	}
	mnl_attr_nest_end(nlh, ips);
}

static void ip4_is(const struct wg_allowed_ip *ip, unsigned i)
{
	uint8_t want[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };

	assert_int_equal(ip->family, AF_INET);
	assert_int_equal(ip->cidr, 32);
	assert_memory_equal(ip->addr, want, 4);
}

static void ip6_is(const struct wg_allowed_ip *ip, unsigned i)
{
	uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, (uint8_t)(i >> 8), (uint8_t)i };

	assert_int_equal(ip->family, AF_INET6);
	assert_int_equal(ip->cidr, 48);
	assert_memory_equal(ip->addr, want, 16);
}

/* A full peer i: IPv4 endpoint for even i, IPv6 for odd. */
static void put_peer(struct nlmsghdr *nlh, unsigned i)
{
	struct nlattr *p = mnl_attr_nest_start(nlh, 0);
	uint8_t k[WG_KEY_LEN], psk[WG_KEY_LEN] = { 0 };
	int64_t ts[2] = { 1700000000 + (int64_t)i, 123456789 };

	peer_key(k, i);
	if (i % 3 == 0)
		memset(psk, 0x70 + (int)(i % 7), sizeof(psk));
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, k);
	mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, psk);
	if (i % 2 == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1000 + i) };

		sin.sin_addr.s_addr = htonl(0xc6336400 | (i & 0xff)); /* 198.51.100.x */
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	} else {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(1000 + i) };

		s6.sin6_addr.s6_addr[0] = 0x20;
		s6.sin6_addr.s6_addr[1] = 0x01;
		s6.sin6_addr.s6_addr[2] = 0x0d;
		s6.sin6_addr.s6_addr[3] = 0xb8;
		s6.sin6_addr.s6_addr[15] = (uint8_t)i;
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(s6), &s6);
	}
	mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, (uint16_t)(i % 60));
	mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), ts);
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 1000ULL * i);
	mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, (1ULL << 40) + i);
	mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
	put_allowedip(nlh, i);
	mnl_attr_nest_end(nlh, p);
}

/* The continuation of peer i at the start of the next message: key and allowed IPs. */
static void put_peer_continued(struct nlmsghdr *nlh, unsigned i)
{
	struct nlattr *p = mnl_attr_nest_start(nlh, 0);
	uint8_t k[WG_KEY_LEN];

	peer_key(k, i);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, k);
	put_allowedip(nlh, i + 1000);
	mnl_attr_nest_end(nlh, p);
}

static void check_peer(const struct wg_device *dev, unsigned i)
{
	const struct wg_peer *p = &dev->peers[i];
	uint8_t k[WG_KEY_LEN];

	peer_key(k, i);
	assert_memory_equal(p->public_key, k, WG_KEY_LEN);
	assert_true(p->flags & WG_PEER_HAS_ENDPOINT);
	assert_int_equal(p->endpoint.sa.sa_family, i % 2 ? AF_INET6 : AF_INET);
	if (i % 2)
		assert_int_equal(ntohs(p->endpoint.in6.sin6_port), 1000 + i);
	else
		assert_int_equal(ntohs(p->endpoint.in.sin_port), 1000 + i);
	assert_int_equal(p->persistent_keepalive, i % 60);
	assert_int_equal(p->last_handshake_sec, 1700000000 + (int64_t)i);
	assert_int_equal(p->last_handshake_nsec, 123456789);
	assert_true(p->rx_bytes == 1000ULL * i);
	assert_true(p->tx_bytes == (1ULL << 40) + i);
	if (i % 3 == 0) {
		assert_true(p->flags & WG_PEER_HAS_PSK);
		for (unsigned j = 0; j < WG_KEY_LEN; j++)
			assert_int_equal(p->preshared_key[j], 0x70 + i % 7);
	} else {
		assert_false(p->flags & WG_PEER_HAS_PSK);
	}
	/* Its own prefixes, then (for the last peer of a message, continued in the next)
	 * those of part i + 1000. */
	{
		size_t n = 0;

		assert_true(p->n_allowed_ips >= 1);
		ip4_is(&p->allowed_ips[n++], i);
		if (i % 2 == 0)
			ip6_is(&p->allowed_ips[n++], i);
		if (i % 50 == 49 && i + 1 < 300) {
			assert_true(p->n_allowed_ips > n);
			ip4_is(&p->allowed_ips[n++], i + 1000);
			if ((i + 1000) % 2 == 0)
				ip6_is(&p->allowed_ips[n++], i + 1000);
		}
		assert_int_equal(p->n_allowed_ips, n);
	}
}

/* 300 peers over 6 messages in 3 datagrams; peer 49 of each message is continued in the
 * next one. */
#define NPEERS 300
static void build_dump(struct dgram *dg)
{
	unsigned peer = 0;

	for (unsigned m = 0; m < 6; m++) {
		struct dgram *d = &dg[m / 2];
		struct nlmsghdr *nlh = msg_start(d, FAM, WG_CMD_GET_DEVICE, SEQ);
		struct nlattr *peers;

		if (m == 0)
			put_device_attrs(nlh);
		peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
		if (m > 0)
			put_peer_continued(nlh, peer - 1);
		for (unsigned j = 0; j < NPEERS / 6; j++)
			put_peer(nlh, peer++);
		mnl_attr_nest_end(nlh, peers);
		msg_end(d, nlh);
	}
	put_ctl(&dg[2], NLMSG_DONE, 0);
}

static void test_multipart_dump(void **state)
{
	static struct dgram dg[3];
	struct wg_nl_dump d;
	struct wg_device *dev;
	struct errbuf e = { "" };
	uint8_t k[WG_KEY_LEN];

	(void)state;
	memset(dg, 0, sizeof(dg));
	build_dump(dg);
	assert_int_equal(wg_nl_dump_init(&d, FAM, SEQ, "wg0"), 0);
	assert_int_equal(wg_nl_dump_feed(&d, dg[0].buf, dg[0].len, &e), 0);
	assert_int_equal(wg_nl_dump_feed(&d, dg[1].buf, dg[1].len, &e), 0);
	assert_int_equal(wg_nl_dump_feed(&d, dg[2].buf, dg[2].len, &e), 1);
	assert_int_equal(d.error, 0);
	dev = wg_nl_dump_take(&d);
	wg_nl_dump_free(&d);
	assert_non_null(dev);
	assert_string_equal(dev->name, "wg0");
	assert_int_equal(dev->backend, WG_BACKEND_NETLINK);
	assert_int_equal(dev->listen_port, 51820);
	assert_int_equal(dev->fwmark, 0xca6c);
	assert_true(dev->flags & WG_DEV_HAS_PRIVATE_KEY);
	assert_true(dev->flags & WG_DEV_HAS_PUBLIC_KEY);
	memset(k, 0x22, sizeof(k));
	assert_memory_equal(dev->public_key, k, WG_KEY_LEN);
	assert_int_equal(dev->n_peers, NPEERS);
	for (unsigned i = 0; i < NPEERS; i++)
		check_peer(dev, i);
	peer_key(k, 123);
	assert_ptr_equal(wg_device_find_peer(dev, k), &dev->peers[123]);
	peer_key(k, NPEERS);
	assert_null(wg_device_find_peer(dev, k));
	wg_device_free(dev);
}

static void test_recorded_kernel_dump(void **state)
{
	static const struct {
		const uint8_t *p;
		size_t len;
	} parts[] = {
		{ rec_family, sizeof(rec_family) },
		{ rec_dump1, sizeof(rec_dump1) },
		{ rec_dump2, sizeof(rec_dump2) },
		{ rec_dump3, sizeof(rec_dump3) },
		{ rec_dump4, sizeof(rec_dump4) },
	};
	static uint8_t host[ARRAY_SIZE(parts)][4096];
	struct wg_nl_dump d;
	struct wg_device *dev;
	struct errbuf e = { "" };
	char b64[WG_KEY_B64_LEN], want[ADDR_STR_LEN], got[ADDR_STR_LEN];
	uint16_t fam = 0;

	(void)state;
	/* recorded little-endian: in this host's order, as its kernel would send them */
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		assert_true(parts[i].len <= sizeof(host[i]));
		memcpy(host[i], parts[i].p, parts[i].len);
		if (nl_fixture_to_host(host[i], parts[i].len))
			fail_msg("recorded part %zu: not netlink the conversion knows", i);
	}
	assert_int_equal(wg_nl_parse_family(host[0], parts[0].len, 1, &fam), 1);
	assert_int_equal(fam, 32);
	assert_int_equal(wg_nl_dump_init(&d, fam, 2, "smrec0"), 0);
	for (size_t i = 1; i < ARRAY_SIZE(parts); i++)
		assert_int_equal(wg_nl_dump_feed(&d, host[i], parts[i].len, &e),
				 i + 1 < ARRAY_SIZE(parts) ? 0 : 1);
	assert_int_equal(d.error, 0);
	dev = wg_nl_dump_take(&d);
	wg_nl_dump_free(&d);
	assert_string_equal(dev->name, "smrec0");
	assert_int_equal(dev->listen_port, 51820);
	assert_int_equal(dev->fwmark, 0x1234);
	wg_key_to_base64(b64, dev->public_key);
	assert_string_equal(b64, "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=");
	/* Peer 20 spans three messages; merged, the device has exactly 40. */
	assert_int_equal(dev->n_peers, 40);
	for (unsigned i = 1; i <= 40; i++) {
		const struct wg_peer *p = &dev->peers[i - 1];

		assert_int_equal(p->public_key[0], 0x50);
		assert_int_equal(p->public_key[1], i);
		if (i % 2)
			snprintf(want, sizeof(want), "[2001:db8::%x]:%u", i, 1000 + i);
		else
			snprintf(want, sizeof(want), "198.51.100.%u:%u", i, 1000 + i);
		addr_format(&p->endpoint, got, sizeof(got));
		assert_string_equal(got, want);
		assert_int_equal(p->persistent_keepalive, i % 3 ? 0 : i);
		assert_int_equal(p->last_handshake_sec, 0);
		assert_true(p->rx_bytes == 0 && p->tx_bytes == 0);
		assert_false(p->flags & WG_PEER_HAS_PSK);
		/* 198.18.0.i/32; peer 20 also 198.19.0.0/24 ... 198.19.199.0/24, spread
		 * over three messages. */
		assert_int_equal(p->n_allowed_ips, i == 20 ? 201 : 1);
		for (size_t j = 0; j < p->n_allowed_ips; j++) {
			char ip[WG_ALLOWED_IP_STR_LEN];

			wg_allowed_ip_format(&p->allowed_ips[j], ip, sizeof(ip));
			if (strstr(ip, "/32")) {
				snprintf(want, sizeof(want), "198.18.0.%u/32", i);
				assert_string_equal(ip, want);
			} else {
				assert_int_equal(p->allowed_ips[j].cidr, 24);
			}
		}
	}
	wg_device_free(dev);
}

static void test_unknown_attributes(void **state)
{
	static struct dgram dg;
	struct nlmsghdr *nlh;
	struct nlattr *peers, *p, *n;
	struct wg_nl_dump d;
	struct wg_device *dev;
	struct errbuf e = { "" };
	uint8_t k[WG_KEY_LEN];

	(void)state;
	memset(&dg, 0, sizeof(dg));
	/* A reply to another request (other seq), then a message of another family and one
	 * with an unknown command: all skipped. */
	nlh = msg_start(&dg, FAM, WG_CMD_GET_DEVICE, SEQ + 1);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 1);
	msg_end(&dg, nlh);
	nlh = msg_start(&dg, FAM + 1, WG_CMD_GET_DEVICE, SEQ);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 2);
	msg_end(&dg, nlh);
	nlh = msg_start(&dg, FAM, 77, SEQ);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 3);
	msg_end(&dg, nlh);

	nlh = msg_start(&dg, FAM, WG_CMD_GET_DEVICE, SEQ);
	mnl_attr_put_u32(nlh, 200, 0xdeadbeef); /* a newer kernel's device attribute */
	n = mnl_attr_nest_start(nlh, 201);
	mnl_attr_put_u8(nlh, 1, 1);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 4500);
	mnl_attr_put(nlh, 202, 3, "abc"); /* odd length: exercises padding */
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, 99, 5, "hello");
	peer_key(k, 1);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, k);
	mnl_attr_put_u64(nlh, 100, 7);
	mnl_attr_put_u32(nlh, WGPEER_A_FLAGS, 0);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, peers);
	msg_end(&dg, nlh);
	put_ctl(&dg, NLMSG_NOOP, 0);
	put_ctl(&dg, NLMSG_DONE, 0);

	assert_int_equal(wg_nl_dump_init(&d, FAM, SEQ, "wg0"), 0);
	assert_int_equal(wg_nl_dump_feed(&d, dg.buf, dg.len, &e), 1);
	assert_int_equal(d.error, 0);
	assert_false(d.interrupted);
	dev = wg_nl_dump_take(&d);
	wg_nl_dump_free(&d);
	assert_int_equal(dev->listen_port, 4500);
	assert_false(dev->flags & (WG_DEV_HAS_PRIVATE_KEY | WG_DEV_HAS_PUBLIC_KEY));
	assert_int_equal(dev->n_peers, 1);
	assert_memory_equal(dev->peers[0].public_key, k, WG_KEY_LEN);
	assert_false(dev->peers[0].flags & WG_PEER_HAS_ENDPOINT);
	assert_int_equal(dev->peers[0].endpoint.sa.sa_family, AF_UNSPEC);
	wg_device_free(dev);
}

static void test_kernel_errors(void **state)
{
	static struct dgram dg;
	struct wg_nl_dump d;
	struct errbuf e;

	(void)state;
	/* A dump the device changed under is flagged so the caller reads it again. */
	memset(&dg, 0, sizeof(dg));
	msg_end(&dg, msg_start(&dg, FAM, WG_CMD_GET_DEVICE, SEQ));
	((struct nlmsghdr *)dg.buf)->nlmsg_flags |= NLM_F_DUMP_INTR;
	put_ctl(&dg, NLMSG_DONE, 0);
	assert_int_equal(wg_nl_dump_init(&d, FAM, SEQ, "wg0"), 0);
	assert_int_equal(wg_nl_dump_feed(&d, dg.buf, dg.len, &e), 1);
	assert_true(d.interrupted);
	wg_nl_dump_free(&d);

	memset(&dg, 0, sizeof(dg));
	put_ctl(&dg, NLMSG_ERROR, -ENODEV);
	assert_int_equal(wg_nl_dump_init(&d, FAM, SEQ, "nope0"), 0);
	assert_int_equal(wg_nl_dump_feed(&d, dg.buf, dg.len, &e), 1);
	assert_int_equal(d.error, -ENODEV);
	wg_nl_dump_free(&d);

	memset(&dg, 0, sizeof(dg));
	put_ctl(&dg, NLMSG_DONE, -EOPNOTSUPP);
	assert_int_equal(wg_nl_dump_init(&d, FAM, SEQ, "eth0"), 0);
	assert_int_equal(wg_nl_dump_feed(&d, dg.buf, dg.len, &e), 1);
	assert_int_equal(d.error, -EOPNOTSUPP);
	wg_nl_dump_free(&d);

	memset(&dg, 0, sizeof(dg));
	put_ctl(&dg, NLMSG_ERROR, 5); /* positive: not an errno */
	assert_int_equal(wg_nl_dump_init(&d, FAM, SEQ, "x"), 0);
	assert_int_equal(wg_nl_dump_feed(&d, dg.buf, dg.len, &e), -EPROTO);
	wg_nl_dump_free(&d);
}

/* Feeds one message holding a single device attribute area built by fn; returns feed's
 * result. */
static int feed_one(const uint8_t *attrs, size_t alen)
{
	static struct dgram dg;
	struct nlmsghdr *nlh;
	struct wg_nl_dump d;
	struct errbuf e;
	int r;

	memset(&dg, 0, sizeof(dg));
	nlh = msg_start(&dg, FAM, WG_CMD_GET_DEVICE, SEQ);
	memcpy(mnl_nlmsg_get_payload_tail(nlh), attrs, alen);
	nlh->nlmsg_len += (uint32_t)alen;
	msg_end(&dg, nlh);
	put_ctl(&dg, NLMSG_DONE, 0);
	assert_int_equal(wg_nl_dump_init(&d, FAM, SEQ, "wg0"), 0);
	r = wg_nl_dump_feed(&d, dg.buf, dg.len, &e);
	wg_nl_dump_free(&d);
	return r;
}

/* Attribute areas laid out as structs, so their headers are in host order as the
 * kernel writes them; the payloads are bytes (their values do not matter). */
#define NLA_HDR(len, type) { (uint16_t)(len), (uint16_t)(type) }
#define PEERS_NEST (NLA_F_NESTED | WGDEVICE_A_PEERS)

static void test_truncated_attributes(void **state)
{
	static const struct { struct nlattr h; uint8_t v[4]; } long_len = {
		NLA_HDR(0x20, WGDEVICE_A_LISTEN_PORT), { 0xca, 0x6c } };
	static const struct nlattr short_len = NLA_HDR(3, WGDEVICE_A_LISTEN_PORT);
	static const struct nlattr zero_len = NLA_HDR(0, WGDEVICE_A_LISTEN_PORT);
	static const struct { struct nlattr h; uint8_t v[6]; } trailing = {
		NLA_HDR(6, WGDEVICE_A_LISTEN_PORT), { 1, 2, 0, 0, 9, 9 } };
	static const struct { struct nlattr h; uint8_t v[4]; } port_3 = {
		NLA_HDR(7, WGDEVICE_A_LISTEN_PORT), { 1, 2, 3 } };
	static const struct { struct nlattr h; uint8_t v[32]; } key_31 = {
		NLA_HDR(35, WGDEVICE_A_PUBLIC_KEY), { 0 } };
	static const struct { struct nlattr h; char v[4]; } name_unterminated = {
		NLA_HDR(8, WGDEVICE_A_IFNAME), { 'w', 'g', '0', 'x' } };
	static const struct { struct nlattr h; char v[20]; } name_long = {
		NLA_HDR(24, WGDEVICE_A_IFNAME), "aaaaaaaaaaaaaaaaaa" };
	/* PEERS { peer { key (only 8 bytes) } } */
	static const struct { struct nlattr peers, peer, key; uint8_t v[8]; } peer_key_short = {
		NLA_HDR(20, PEERS_NEST), NLA_HDR(16, NLA_F_NESTED),
		NLA_HDR(12, WGPEER_A_PUBLIC_KEY), { 1, 2, 3, 4, 5, 6, 7, 8 } };
	/* PEERS { peer { endpoint: family AF_INET but 28 bytes } } */
	static const struct { struct nlattr peers, peer, ep; uint16_t family; uint8_t v[26]; }
		peer_ep_bad = { NLA_HDR(40, PEERS_NEST), NLA_HDR(36, NLA_F_NESTED),
				NLA_HDR(32, WGPEER_A_ENDPOINT), AF_INET, { 0 } };
	/* PEERS { peer { keepalive only: no public key } } */
	static const struct { struct nlattr peers, peer, ka; uint16_t v, pad; } peer_nokey = {
		NLA_HDR(16, PEERS_NEST), NLA_HDR(12, NLA_F_NESTED),
		NLA_HDR(6, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL), 25, 0 };
	/* PEERS { peer whose length overruns the nest } */
	static const struct { struct nlattr peers, peer, ka; } peer_overrun = {
		NLA_HDR(12, PEERS_NEST), NLA_HDR(40, NLA_F_NESTED),
		NLA_HDR(6, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL) };
	static const struct { struct nlattr h; uint16_t port, pad; } ok_port = {
		NLA_HDR(6, WGDEVICE_A_LISTEN_PORT), 4500, 0 };
#define CASE(x) { (const uint8_t *)&(x), sizeof(x) }
	static const struct {
		const uint8_t *p;
		size_t len;
	} bad[] = {
		CASE(long_len), CASE(short_len), CASE(zero_len), CASE(trailing),
		CASE(port_3), CASE(key_31), CASE(name_unterminated), CASE(name_long),
		CASE(peer_key_short), CASE(peer_ep_bad), CASE(peer_nokey), CASE(peer_overrun),
	};
#undef CASE
	/* the lengths the headers claim are the structs' sizes (no padding crept in) */
	_Static_assert(sizeof(trailing) == 10 && sizeof(key_31) == 36 && sizeof(name_long) == 24,
		       "attribute structs are unpadded");
	_Static_assert(sizeof(peer_key_short) == 20 && sizeof(peer_ep_bad) == 40 &&
			       sizeof(peer_nokey) == 16 && sizeof(ok_port) == 8,
		       "attribute structs are unpadded");

	(void)state;
	assert_int_equal(feed_one((const uint8_t *)&ok_port, sizeof(ok_port)), 1);
	/* The last attribute without its padding is still fine. */
	assert_int_equal(feed_one((const uint8_t *)&ok_port, 6), 1);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = feed_one(bad[i].p, bad[i].len);

		if (r != -EPROTO)
			fail_msg("case %zu: got %d, want -EPROTO", i, r);
	}
}

static void test_every_prefix(void **state)
{
	static struct dgram dg[3];
	struct errbuf e;

	(void)state;
	memset(dg, 0, sizeof(dg));
	build_dump(dg);
	/* Each cut of the first datagram: never complete, never past the end (ASan). */
	for (size_t cut = 0; cut < dg[0].len; cut += 1 + cut / 64) {
		struct wg_nl_dump d;
		uint8_t *copy = malloc(cut ? cut : 1);
		int r;

		memcpy(copy, dg[0].buf, cut);
		assert_int_equal(wg_nl_dump_init(&d, FAM, SEQ, "wg0"), 0);
		r = wg_nl_dump_feed(&d, copy, cut, &e);
		assert_true(r == 0 || r == -EPROTO);
		wg_nl_dump_free(&d);
		free(copy);
	}
}

static void test_family(void **state)
{
	static struct dgram dg;
	struct nlmsghdr *nlh;
	uint16_t id = 0;

	(void)state;
	memset(&dg, 0, sizeof(dg));
	put_ctl(&dg, NLMSG_ERROR, -EINVAL); /* an earlier request's answer: not ours */
	((struct nlmsghdr *)dg.buf)->nlmsg_seq = 7;
	nlh = msg_start(&dg, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, SEQ);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "wireguard");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1d);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	msg_end(&dg, nlh);
	assert_int_equal(wg_nl_parse_family(dg.buf, dg.len, SEQ, &id), 1);
	assert_int_equal(id, 0x1d);
	/* Seq 0 takes any message, so the earlier error comes first. */
	assert_int_equal(wg_nl_parse_family(dg.buf, dg.len, 0, &id), -EINVAL);
	assert_int_equal(wg_nl_parse_family(dg.buf, dg.len, SEQ + 1, &id), 0);

	memset(&dg, 0, sizeof(dg));
	put_ctl(&dg, NLMSG_ERROR, -ENOENT);
	assert_int_equal(wg_nl_parse_family(dg.buf, dg.len, SEQ, &id), -ENOENT);

	memset(&dg, 0, sizeof(dg));
	nlh = msg_start(&dg, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, SEQ);
	mnl_attr_put_u32(nlh, CTRL_ATTR_FAMILY_ID, 0x1d); /* wrong size */
	msg_end(&dg, nlh);
	assert_int_equal(wg_nl_parse_family(dg.buf, dg.len, SEQ, &id), -EPROTO);
	assert_int_equal(wg_nl_parse_family(dg.buf, 3, SEQ, &id), -EPROTO);
	assert_int_equal(wg_nl_parse_family(dg.buf, 0, SEQ, &id), 0);
	memset(&dg, 0, sizeof(dg));
	nlh = msg_start(&dg, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, SEQ);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "wireguard"); /* no id */
	msg_end(&dg, nlh);
	assert_int_equal(wg_nl_parse_family(dg.buf, dg.len, SEQ, &id), -EPROTO);

	assert_true(wg_nl_build_family(dg.buf, sizeof(dg.buf), 9) > 0);
	nlh = (struct nlmsghdr *)dg.buf;
	assert_int_equal(nlh->nlmsg_type, GENL_ID_CTRL);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(nlh->nlmsg_seq, 9);
	assert_true(wg_nl_build_get(dg.buf, sizeof(dg.buf), FAM, 10, "wg0") > 0);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(wg_nl_build_get(dg.buf, sizeof(dg.buf), FAM, 10, "0123456789abcdef"),
			 -EINVAL);
}

static void test_ack(void **state)
{
	static struct dgram dg;

	(void)state;
	memset(&dg, 0, sizeof(dg));
	put_ctl(&dg, NLMSG_ERROR, 0);
	assert_int_equal(wg_nl_parse_ack(dg.buf, dg.len, SEQ), 1);
	assert_int_equal(wg_nl_parse_ack(dg.buf, dg.len, SEQ + 1), 0);
	assert_int_equal(wg_nl_parse_ack(dg.buf, dg.len - 1, SEQ), -EPROTO);
	assert_int_equal(wg_nl_parse_ack(dg.buf, 0, SEQ), 0);
	memset(&dg, 0, sizeof(dg));
	put_ctl(&dg, NLMSG_ERROR, -EPERM);
	assert_int_equal(wg_nl_parse_ack(dg.buf, dg.len, SEQ), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multipart_dump),
		cmocka_unit_test(test_recorded_kernel_dump),
		cmocka_unit_test(test_unknown_attributes),
		cmocka_unit_test(test_kernel_errors),
		cmocka_unit_test(test_truncated_attributes),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_ack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
