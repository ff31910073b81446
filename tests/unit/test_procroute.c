/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/net/route: the default gateway found among other routes, the lowest metric
 * winning, routes that are not defaults through a gateway ignored, and text that is
 * not the file refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/procroute.h"

#define HDR "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"

/* The kernel prints an address as its network-order 32 bits read as a host-order
 * %08X: "010200C0" for 192.0.2.1 on little endian, "C0000201" on big endian. Texts
 * below write little endian; this turns them into the host's form. */
static void host_order(char *t)
{
	static const uint16_t probe = 1;

	if (*(const uint8_t *)&probe)
		return;
	for (char *p = t; (p = strchr(p, '\t')); p++) {
		uint32_t v = 0;
		char *end;

		if (strspn(p + 1, "0123456789ABCDEF") != 8)
			continue;
		v = (uint32_t)strtoul(p + 1, &end, 16);
		v = __builtin_bswap32(v);
		for (int i = 0; i < 8; i++)
			p[1 + i] = "0123456789ABCDEF"[(v >> (28 - 4 * i)) & 15];
	}
}

static int gw(const char *text, struct procroute_gw *out)
{
	struct errbuf e = { "" };
	char t[2048];

	snprintf(t, sizeof(t), "%s", text);
	host_order(t);
	return procroute_default_gw(t, strlen(t), out, &e);
}

static void assert_gw(const struct procroute_gw *g, const char *ifname, const char *addr)
{
	char a[INET_ADDRSTRLEN];

	assert_string_equal(g->ifname, ifname);
	assert_string_equal(inet_ntop(AF_INET, &g->gateway, a, sizeof(a)), addr);
}

static void test_default(void **state)
{
	struct procroute_gw g;

	(void)state;
	/* as this machine's kernel prints it: 192.0.2.1 is 010200C0 on little endian */
	assert_int_equal(gw(HDR "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
			      "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", &g), 0);
	assert_gw(&g, "eth0", "192.0.2.1");
	assert_int_equal(g.metric, 0);
}

static void test_lowest_metric(void **state)
{
	struct procroute_gw g;

	(void)state;
	/* two defaults (LTE and a LAN uplink), the lower metric wins whatever the order;
	 * no trailing newline on the last line */
	assert_int_equal(gw(HDR "wwan0\t00000000\t110200C0\t0003\t0\t0\t700\t00000000\t0\t0\t0\n"
			      "lan\t00000000\t210200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
			      "eth1\t00000000\t310200C0\t0003\t0\t0\t900\t00000000\t0\t0\t0", &g), 0);
	assert_gw(&g, "lan", "192.0.2.33");
	assert_int_equal(g.metric, 100);
}

static void test_not_defaults(void **state)
{
	struct procroute_gw g = { .metric = 77 };

	(void)state;
	/* a default route on a point-to-point link (no gateway flag), a gateway route
	 * that is not the default, a route that is down, a garbled line */
	assert_int_equal(gw(HDR "ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"
			      "eth0\t00640033\t010200C0\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
			      "eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n"
			      "eth0\t0000000G\t010200C0\t0003\t0\t0\t0\t00000000\n"
			      "eth0\t00000000\t010200C0\t0003\n", &g), -ENOENT);
	assert_int_equal(g.metric, 77); /* untouched */
	/* an interface name too long for IFNAMSIZ is not taken */
	assert_int_equal(gw(HDR "abcdefghijklmnopq\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", &g),
			 -ENOENT);
	/* nor one with a NUL or control byte in it (a name cut short) */
	{
		static const char t[] = HDR "e\0th0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
		struct errbuf e;

		assert_int_equal(procroute_default_gw(t, sizeof(t) - 1, &g, &e), -ENOENT);
	}
	/* just the header: no routes */
	assert_int_equal(gw(HDR, &g), -ENOENT);
}

static void test_not_the_file(void **state)
{
	struct procroute_gw g;

	(void)state;
	assert_int_equal(gw("", &g), -EBADMSG);
	assert_int_equal(gw("default via 192.0.2.1 dev eth0\n", &g), -EBADMSG);
	/* a metric over 32 bits is a garbled line, not a wrap-around */
	assert_int_equal(gw(HDR "eth0\t00000000\t010200C0\t0003\t0\t0\t99999999999\t00000000\t0\t0\t0\n", &g),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_lowest_metric),
		cmocka_unit_test(test_not_defaults),
		cmocka_unit_test(test_not_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
