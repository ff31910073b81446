/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The UPnP worker's result record: a round trip keeps every field, and the daemon's
 * side refuses any other length, a wrong magic or version, out-of-range operation or
 * status, a URL that is not printable http://, and junk after the URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>

#include "proto/upnp-result.h"

static struct upnp_result sample(void)
{
	struct upnp_result r = {
		.op = UPNP_OP_MAP,
		.status = UPNP_ST_OK,
		.igd = 2,
		.flags = UPNP_F_WAS_MISSING,
		.upnp_error = -3,
		.external_port = 51820,
		.lease = 3600,
	};

	inet_pton(AF_INET, "203.0.113.11", &r.external);
	inet_pton(AF_INET, "192.0.2.18", &r.lan);
	strcpy(r.url, "http://192.0.2.17:5000/rootDesc.xml");
	return r;
}

static void test_round_trip(void **state)
{
	struct upnp_result r = sample(), out;
	uint8_t buf[UPNP_RESULT_LEN];
	struct errbuf e = { "" };

	(void)state;
	assert_int_equal(upnp_result_encode(&r, buf), 0);
	assert_memory_equal(buf, "SMUP\x01", 5);
	assert_int_equal(upnp_result_decode(buf, sizeof(buf), &out, &e), 0);
	assert_int_equal(out.op, UPNP_OP_MAP);
	assert_int_equal(out.igd, 2);
	assert_int_equal(out.flags, UPNP_F_WAS_MISSING);
	assert_int_equal(out.upnp_error, -3);
	assert_int_equal(out.external_port, 51820);
	assert_int_equal(out.lease, 3600);
	assert_int_equal(out.external.s_addr, r.external.s_addr);
	assert_int_equal(out.lan.s_addr, r.lan.s_addr);
	assert_string_equal(out.url, r.url);
	/* a UPnP error code the IGD sent (725 OnlyPermanentLeasesSupported) */
	r.status = UPNP_ST_REFUSED;
	r.upnp_error = 725;
	r.url[0] = '\0';
	assert_int_equal(upnp_result_encode(&r, buf), 0);
	assert_int_equal(upnp_result_decode(buf, sizeof(buf), &out, &e), 0);
	assert_int_equal(out.upnp_error, 725);
	assert_string_equal(out.url, "");
}

static void expect_bad(const uint8_t *buf, size_t len, const char *why)
{
	struct upnp_result out = { .lease = 42 };
	struct errbuf e = { "" };

	assert_int_equal(upnp_result_decode(buf, len, &out, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, why));
	assert_int_equal(out.lease, 42); /* untouched */
}

static void test_refused(void **state)
{
	struct upnp_result r = sample();
	uint8_t buf[UPNP_RESULT_LEN + 1], b[UPNP_RESULT_LEN];

	(void)state;
	assert_int_equal(upnp_result_encode(&r, buf), 0);
	buf[UPNP_RESULT_LEN] = 0;
	expect_bad(buf, UPNP_RESULT_LEN - 1, "bytes, not"); /* a worker killed mid-write */
	expect_bad(buf, UPNP_RESULT_LEN + 1, "bytes, not");
	expect_bad(buf, 0, "bytes, not");
#define MUTATE(off, val, why)                                                                \
	do {                                                                                 \
		memcpy(b, buf, sizeof(b));                                                   \
		b[off] = (uint8_t)(val);                                                     \
		expect_bad(b, sizeof(b), why);                                               \
	} while (0)
	MUTATE(0, 'X', "magic");
	MUTATE(4, 2, "version");
	MUTATE(5, 0, "operation");
	MUTATE(5, 4, "operation");
	MUTATE(6, UPNP_ST_MAX + 1, "status");
	MUTATE(26, 1, "URL length"); /* 256 + 36 */
	MUTATE(28 + 4, ' ', "printable");
	MUTATE(28 + 2, 'x', "http://"); /* "htxp://" */
	MUTATE(UPNP_RESULT_LEN - 1, 1, "after the URL");
	/* a URL length that stops early leaves URL bytes after it: refused */
	MUTATE(27, 10, "after the URL");
	/* a URL too long for the record cannot be encoded */
	memset(r.url, 'a', UPNP_URL_MAX);
	r.url[UPNP_URL_MAX] = '\0';
	assert_int_equal(upnp_result_encode(&r, b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
