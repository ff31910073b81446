/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Backend choice and the errors a user sees, against this machine's real kernel: a
 * missing interface, an interface that is not WireGuard, a bad name. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wg/wg.h"

static void test_bad_names(void **state)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "../../etc/x", "a b", "a:1",
					   "0123456789abcdef" };
	struct wg_device *dev = NULL;
	struct errbuf e;
	uint8_t key[WG_KEY_LEN] = { 0 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(wg_device_get(bad[i], WG_BACKEND_AUTO, &dev, &e), -EINVAL);
		assert_int_equal(wg_set_keepalive(bad[i], WG_BACKEND_UAPI, key, 1, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "invalid interface name"));
	}
	assert_null(dev);
}

static void test_missing_interface(void **state)
{
	struct wg_device *dev = NULL;
	struct errbuf e = { "" };

	(void)state;
	/* No UAPI socket by that name, so AUTO asks the kernel. */
	assert_int_equal(wg_device_get("smnosuch0", WG_BACKEND_AUTO, &dev, &e), -ENODEV);
	assert_non_null(strstr(e.msg, "smnosuch0"));
	assert_int_equal(wg_device_get("smnosuch0", WG_BACKEND_UAPI, &dev, &e), -ENODEV);
	assert_non_null(strstr(e.msg, "/var/run/wireguard/smnosuch0.sock"));
	assert_null(dev);
}

static void test_not_wireguard(void **state)
{
	struct wg_device *dev = NULL;
	struct errbuf e = { "" };
	int r;

	(void)state;
	r = wg_device_get("lo", WG_BACKEND_NETLINK, &dev, &e);
	/* Without CAP_NET_ADMIN a kernel with the module refuses before looking. */
	if (geteuid() == 0)
		assert_int_equal(r, -EOPNOTSUPP);
	else
		assert_true(r == -EOPNOTSUPP || r == -EPERM);
	if (r == -EOPNOTSUPP)
		assert_non_null(strstr(e.msg, "lo is not a WireGuard interface"));
	else
		assert_non_null(strstr(e.msg, "CAP_NET_ADMIN"));
	assert_null(dev);
}

static void test_set_bad_endpoint(void **state)
{
	union sm_addr ep;
	struct errbuf e;
	uint8_t key[WG_KEY_LEN] = { 0 };

	(void)state;
	memset(&ep, 0, sizeof(ep));
	assert_int_equal(wg_set_endpoint("lo", WG_BACKEND_AUTO, key, &ep, &e), -EAFNOSUPPORT);
}

static void test_find_peer(void **state)
{
	struct wg_peer peers[3];
	struct wg_device dev = { .peers = peers, .n_peers = 3 };
	uint8_t k[WG_KEY_LEN];

	(void)state;
	memset(peers, 0, sizeof(peers));
	for (int i = 0; i < 3; i++)
		peers[i].public_key[5] = (uint8_t)(i + 1);
	memset(k, 0, sizeof(k));
	k[5] = 3;
	assert_ptr_equal(wg_device_find_peer(&dev, k), &peers[2]);
	k[5] = 4;
	assert_null(wg_device_find_peer(&dev, k));
	assert_string_equal(wg_backend_name(WG_BACKEND_UAPI), "uapi");
	assert_string_equal(wg_backend_name(WG_BACKEND_NETLINK), "netlink");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_missing_interface),
		cmocka_unit_test(test_not_wireguard),
		cmocka_unit_test(test_set_bad_endpoint),
		cmocka_unit_test(test_find_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
