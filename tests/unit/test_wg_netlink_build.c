/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel backend's WG_CMD_SET_DEVICE messages, taken apart again with libmnl:
 * several peers and the same peer twice in one message, replace (remove, then the full
 * peer without update-only), allowed IPs continued over messages, removes never cut
 * off from the entry after them, bad operations refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "wg/wg-backend.h"
#include "wg/wg.h"

#define FAM 0x1d

static void peer_key(uint8_t key[WG_KEY_LEN], unsigned i)
{
	memset(key, 0, WG_KEY_LEN);
	key[0] = 0x50;
	key[30] = (uint8_t)(i >> 8);
	key[31] = (uint8_t)i;
}

/* A WG_CMD_SET_DEVICE message taken apart: its peer entries, in order. */
struct seen_peer {
	uint8_t key[WG_KEY_LEN];
	bool has_flags, has_ep, has_ka, has_psk;
	uint32_t flags;
	uint16_t ka;
	union sm_addr ep;
	uint8_t psk[WG_KEY_LEN];
	size_t n_ips;
	struct wg_allowed_ip ips[256];
};

struct seen {
	char name[IFNAMSIZ];
	size_t n;
	struct seen_peer peers[200];
};

static int ip_cb(const struct nlattr *a, void *data)
{
	struct wg_allowed_ip *ip = data;

	switch (mnl_attr_get_type(a)) {
	case WGALLOWEDIP_A_FAMILY: ip->family = mnl_attr_get_u16(a); break;
	case WGALLOWEDIP_A_CIDR_MASK: ip->cidr = mnl_attr_get_u8(a); break;
	case WGALLOWEDIP_A_IPADDR:
		memcpy(ip->addr, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
		break;
	}
	return MNL_CB_OK;
}

static int ips_cb(const struct nlattr *a, void *data)
{
	struct seen_peer *p = data;

	assert_true(p->n_ips < ARRAY_SIZE(p->ips));
	memset(&p->ips[p->n_ips], 0, sizeof(p->ips[0]));
	assert_int_equal(mnl_attr_parse_nested(a, ip_cb, &p->ips[p->n_ips]), MNL_CB_OK);
	p->n_ips++;
	return MNL_CB_OK;
}

static int peer_cb(const struct nlattr *a, void *data)
{
	struct seen_peer *p = data;

	switch (mnl_attr_get_type(a)) {
	case WGPEER_A_PUBLIC_KEY: memcpy(p->key, mnl_attr_get_payload(a), WG_KEY_LEN); break;
	case WGPEER_A_FLAGS:
		p->has_flags = true;
		p->flags = mnl_attr_get_u32(a);
		break;
	case WGPEER_A_ENDPOINT:
		p->has_ep = true;
		memcpy(&p->ep, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
		break;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		p->has_ka = true;
		p->ka = mnl_attr_get_u16(a);
		break;
	case WGPEER_A_PRESHARED_KEY:
		p->has_psk = true;
		memcpy(p->psk, mnl_attr_get_payload(a), WG_KEY_LEN);
		break;
	case WGPEER_A_ALLOWEDIPS: return mnl_attr_parse_nested(a, ips_cb, p);
	}
	return MNL_CB_OK;
}

static int peers_cb(const struct nlattr *a, void *data)
{
	struct seen *s = data;

	assert_true(s->n < ARRAY_SIZE(s->peers));
	memset(&s->peers[s->n], 0, sizeof(s->peers[0]));
	mnl_attr_parse_nested(a, peer_cb, &s->peers[s->n]);
	s->n++;
	return MNL_CB_OK;
}

static int dev_cb(const struct nlattr *a, void *data)
{
	struct seen *s = data;

	if (mnl_attr_get_type(a) == WGDEVICE_A_IFNAME)
		snprintf(s->name, sizeof(s->name), "%s", mnl_attr_get_str(a));
	if (mnl_attr_get_type(a) == WGDEVICE_A_PEERS)
		return mnl_attr_parse_nested(a, peers_cb, data);
	return MNL_CB_OK;
}

static void take_apart(const uint8_t *buf, int len, uint32_t seq, struct seen *s)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	memset(s, 0, sizeof(*s));
	assert_true(len > 0);
	assert_true((size_t)len <= WG_NL_SET_MSG_MAX);
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, FAM);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, seq);
	assert_int_equal(g->cmd, WG_CMD_SET_DEVICE);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*g), dev_cb, s), MNL_CB_OK);
	assert_string_equal(s->name, "wg0");
}

static void op_init(struct wg_peer_op *op, unsigned key, unsigned flags)
{
	memset(op, 0, sizeof(*op));
	peer_key(op->public_key, key);
	op->flags = flags;
	op->keepalive = -1;
}

static void test_build_set(void **state)
{
	static uint8_t buf[WG_NL_SET_MSG_MAX];
	static struct seen s;
	struct wg_nl_set_cursor cur = { 0 };
	struct wg_peer_op ops[3];
	union sm_addr ep, ep4;

	(void)state;
	assert_int_equal(addr_parse("[2001:db8::5]:51820", 19, AF_UNSPEC, 0, &ep, NULL), 0);
	assert_int_equal(addr_parse("198.51.100.4:4", 14, AF_UNSPEC, 0, &ep4, NULL), 0);
	/* Two peers in one message; the same peer twice (keepalive 0 then 1). */
	op_init(&ops[0], 9, WG_OP_UPDATE_ONLY);
	ops[0].endpoint = &ep;
	ops[0].keepalive = 0;
	op_init(&ops[1], 9, WG_OP_UPDATE_ONLY);
	ops[1].keepalive = 1;
	op_init(&ops[2], 10, WG_OP_UPDATE_ONLY);
	ops[2].endpoint = &ep4;
	take_apart(buf, wg_nl_build_set(buf, sizeof(buf), FAM, 77, "wg0", ops, 3, &cur), 77, &s);
	assert_int_equal(wg_nl_build_set(buf, sizeof(buf), FAM, 78, "wg0", ops, 3, &cur), 0);
	assert_int_equal(s.n, 3);
	assert_memory_equal(s.peers[0].key, ops[0].public_key, WG_KEY_LEN);
	assert_int_equal(s.peers[0].flags, WGPEER_F_UPDATE_ONLY);
	assert_true(s.peers[0].has_ep && s.peers[0].has_ka && !s.peers[0].has_psk);
	assert_memory_equal(&s.peers[0].ep.in6, &ep.in6, sizeof(ep.in6));
	assert_int_equal(s.peers[0].ka, 0);
	assert_int_equal(s.peers[1].flags, WGPEER_F_UPDATE_ONLY);
	assert_true(!s.peers[1].has_ep && s.peers[1].has_ka);
	assert_int_equal(s.peers[1].ka, 1);
	assert_memory_equal(s.peers[2].key, ops[2].public_key, WG_KEY_LEN);
	assert_memory_equal(&s.peers[2].ep.in, &ep4.in, sizeof(ep4.in));
	assert_false(s.peers[2].has_ka);

	memset(&cur, 0, sizeof(cur));
	assert_int_equal(wg_nl_build_set(buf, 100, FAM, 1, "wg0", ops, 1, &cur), -ENOSPC);
	assert_int_equal(wg_nl_build_set(buf, sizeof(buf), FAM, 1, "0123456789abcdef", ops, 1, &cur),
			 -EINVAL);
	ops[0].keepalive = 70000;
	assert_int_equal(wg_nl_build_set(buf, sizeof(buf), FAM, 1, "wg0", ops, 1, &cur), -EINVAL);
	ops[0].keepalive = -1;
	memset(&ep, 0, sizeof(ep));
	assert_int_equal(wg_nl_build_set(buf, sizeof(buf), FAM, 1, "wg0", ops, 1, &cur), -EINVAL);
}

/* Replace: remove, then the full peer without update-only, in one message; with many
 * allowed IPs the rest follows update-only, and nothing is lost or repeated. */
static void test_build_replace(void **state)
{
	static uint8_t buf[WG_NL_SET_MSG_MAX];
	static struct seen s;
	static struct wg_allowed_ip ips[500];
	struct wg_nl_set_cursor cur = { 0 };
	struct wg_peer_op ops[3];
	uint8_t psk[WG_KEY_LEN];
	union sm_addr ep;
	size_t got = 0;
	int msgs = 0, len;

	(void)state;
	memset(psk, 0x5c, sizeof(psk));
	assert_int_equal(addr_parse("198.51.100.4:4", 14, AF_UNSPEC, 0, &ep, NULL), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(ips); i++) {
		char t[64];

		snprintf(t, sizeof(t), "2001:db8:%x::/48", i);
		assert_int_equal(wg_allowed_ip_parse(t, strlen(t), &ips[i]), 0);
	}
	op_init(&ops[0], 3, WG_OP_REMOVE);
	op_init(&ops[1], 3, WG_OP_REPLACE_IPS);
	ops[1].preshared_key = psk;
	ops[1].endpoint = &ep;
	ops[1].keepalive = 1;
	ops[1].allowed_ips = ips;
	ops[1].n_allowed_ips = 2;
	op_init(&ops[2], 3, WG_OP_UPDATE_ONLY);
	ops[2].keepalive = 0;
	take_apart(buf, wg_nl_build_set(buf, sizeof(buf), FAM, 5, "wg0", ops, 3, &cur), 5, &s);
	assert_int_equal(wg_nl_build_set(buf, sizeof(buf), FAM, 6, "wg0", ops, 3, &cur), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.peers[0].flags, WGPEER_F_REMOVE_ME);
	assert_false(s.peers[0].has_ep || s.peers[0].has_ka || s.peers[0].has_psk);
	assert_int_equal(s.peers[0].n_ips, 0);
	assert_int_equal(s.peers[1].flags, WGPEER_F_REPLACE_ALLOWEDIPS);
	assert_true(s.peers[1].has_psk && s.peers[1].has_ep && s.peers[1].has_ka);
	assert_memory_equal(s.peers[1].psk, psk, WG_KEY_LEN);
	assert_int_equal(s.peers[1].ka, 1);
	assert_int_equal(s.peers[1].n_ips, 2);
	assert_memory_equal(&s.peers[1].ips[1], &ips[1], sizeof(ips[1]));
	assert_int_equal(s.peers[2].flags, WGPEER_F_UPDATE_ONLY);
	assert_int_equal(s.peers[2].ka, 0);

	/* 500 IPv6 prefixes do not fit 8 KiB. */
	ops[1].n_allowed_ips = ARRAY_SIZE(ips);
	memset(&cur, 0, sizeof(cur));
	while ((len = wg_nl_build_set(buf, sizeof(buf), FAM, 10 + (uint32_t)msgs, "wg0", ops, 3,
				      &cur)) > 0) {
		take_apart(buf, len, 10 + (uint32_t)msgs, &s);
		for (size_t i = 0; i < s.n; i++) {
			const struct seen_peer *p = &s.peers[i];

			if (msgs == 0 && i == 0) {
				assert_int_equal(p->flags, WGPEER_F_REMOVE_ME);
				continue;
			}
			if (msgs == 0 && i == 1)
				assert_int_equal(p->flags, WGPEER_F_REPLACE_ALLOWEDIPS);
			else
				assert_int_equal(p->flags, WGPEER_F_UPDATE_ONLY);
			assert_int_equal(p->has_psk, msgs == 0 && i == 1);
			for (size_t j = 0; j < p->n_ips; j++)
				assert_memory_equal(&p->ips[j], &ips[got + j], sizeof(ips[0]));
			got += p->n_ips;
		}
		msgs++;
	}
	assert_int_equal(len, 0);
	assert_true(msgs >= 3);
	assert_int_equal(got, ARRAY_SIZE(ips));
	assert_true(s.peers[s.n - 1].has_ka && s.peers[s.n - 1].ka == 0);
}

/* Many peers split over messages, a remove never cut off from the entry after it. */
static void test_build_many(void **state)
{
	static uint8_t buf[WG_NL_SET_MSG_MAX];
	static struct seen s;
	static struct wg_peer_op ops[300];
	struct wg_nl_set_cursor cur = { 0 };
	size_t seen_ops = 0;
	int len, msgs = 0;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ops); i++) {
		op_init(&ops[i], i, i % 2 ? WG_OP_UPDATE_ONLY : WG_OP_REMOVE);
		ops[i].keepalive = (int)i;
	}
	while ((len = wg_nl_build_set(buf, sizeof(buf), FAM, 1, "wg0", ops, ARRAY_SIZE(ops),
				      &cur)) > 0) {
		take_apart(buf, len, 1, &s);
		assert_true(s.n > 0);
		/* every message starts with a remove: none is split from its re-add */
		assert_int_equal(s.peers[0].flags, WGPEER_F_REMOVE_ME);
		for (size_t i = 0; i < s.n; i++) {
			uint8_t k[WG_KEY_LEN];

			peer_key(k, (unsigned)(seen_ops + i));
			assert_memory_equal(s.peers[i].key, k, WG_KEY_LEN);
		}
		seen_ops += s.n;
		msgs++;
	}
	assert_int_equal(len, 0);
	assert_int_equal(seen_ops, ARRAY_SIZE(ops));
	assert_true(msgs > 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_set),
		cmocka_unit_test(test_build_replace),
		cmocka_unit_test(test_build_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
