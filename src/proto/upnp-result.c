/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Layout (big-endian): "SMUP" | version 1 | op | status | igd | flags | pad |
 * upnp_error(2) | external_port(2) | lease(4) | external(4) | lan(4) | url_len(2) |
 * url (255 bytes, zero-padded) | pad to UPNP_RESULT_LEN. */
#include "proto/upnp-result.h"

#include <errno.h>
#include <string.h>

#define MAGIC "SMUP"
#define VERSION 1
#define OFF_URL 28

_Static_assert(OFF_URL + UPNP_URL_MAX <= UPNP_RESULT_LEN, "layout");

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

int upnp_result_encode(const struct upnp_result *r, uint8_t buf[UPNP_RESULT_LEN])
{
	size_t ulen = strnlen(r->url, sizeof(r->url));

	if (ulen > UPNP_URL_MAX)
		return -EINVAL;
	memset(buf, 0, UPNP_RESULT_LEN);
	memcpy(buf, MAGIC, 4);
	buf[4] = VERSION;
	buf[5] = r->op;
	buf[6] = r->status;
	buf[7] = r->igd;
	buf[8] = r->flags;
	put16(buf + 10, (uint16_t)r->upnp_error);
	put16(buf + 12, r->external_port);
	put32(buf + 14, r->lease);
	memcpy(buf + 18, &r->external.s_addr, 4); /* already network order */
	memcpy(buf + 22, &r->lan.s_addr, 4);
	put16(buf + 26, (uint16_t)ulen);
	memcpy(buf + OFF_URL, r->url, ulen);
	return 0;
}

int upnp_result_decode(const uint8_t *buf, size_t len, struct upnp_result *r,
		       struct errbuf *e)
{
	struct upnp_result t = { .op = 0 };
	size_t ulen;

	if (len != UPNP_RESULT_LEN)
		return err_set(e, -EBADMSG, "UPnP worker result of %zu bytes, not %d", len,
			       UPNP_RESULT_LEN);
	if (memcmp(buf, MAGIC, 4) || buf[4] != VERSION)
		return err_set(e, -EBADMSG, "UPnP worker result: bad magic or version");
	t.op = buf[5];
	t.status = buf[6];
	t.igd = buf[7];
	t.flags = buf[8];
	if (t.op < UPNP_OP_DISCOVER || t.op > UPNP_OP_DELETE)
		return err_set(e, -EBADMSG, "UPnP worker result: operation %u", t.op);
	if (t.status > UPNP_ST_MAX)
		return err_set(e, -EBADMSG, "UPnP worker result: status %u", t.status);
	t.upnp_error = (int16_t)get16(buf + 10);
	t.external_port = get16(buf + 12);
	t.lease = get32(buf + 14);
	memcpy(&t.external.s_addr, buf + 18, 4);
	memcpy(&t.lan.s_addr, buf + 22, 4);
	ulen = get16(buf + 26);
	if (ulen > UPNP_URL_MAX)
		return err_set(e, -EBADMSG, "UPnP worker result: URL length %zu", ulen);
	for (size_t i = 0; i < ulen; i++)
		if (buf[OFF_URL + i] < 0x21 || buf[OFF_URL + i] > 0x7e)
			return err_set(e, -EBADMSG, "UPnP worker result: URL not printable");
	for (size_t i = OFF_URL + ulen; i < UPNP_RESULT_LEN; i++)
		if (buf[i])
			return err_set(e, -EBADMSG, "UPnP worker result: bytes after the URL");
	if (ulen && (ulen < 8 || memcmp(buf + OFF_URL, "http://", 7)))
		return err_set(e, -EBADMSG, "UPnP worker result: URL is not http://");
	memcpy(t.url, buf + OFF_URL, ulen);
	t.url[ulen] = '\0';
	*r = t;
	return 0;
}

const char *upnp_status_str(unsigned status)
{
	static const char *const s[] = {
		[UPNP_ST_OK] = "ok",
		[UPNP_ST_NO_DEVICE] = "no UPnP device answered",
		[UPNP_ST_NO_IGD] = "no Internet Gateway Device",
		[UPNP_ST_NO_EXTERNAL] = "the IGD gave no external address",
		[UPNP_ST_REFUSED] = "the IGD refused",
		[UPNP_ST_FAILED] = "failed",
	};

	return status < ARRAY_SIZE(s) ? s[status] : "unknown";
}
