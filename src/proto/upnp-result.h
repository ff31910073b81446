/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a UPnP IGD worker process reports to the daemon over a pipe: one record of a
 * fixed length and layout, so the daemon reads nothing of the router's HTTP and XML
 * (libminiupnpc parses those inside the worker, whose crash or hang costs only the
 * worker). Encoding is ours on both ends, but the daemon still treats the bytes as
 * outside input: length first, then every field checked. Pure functions. */
#ifndef SM_UPNP_RESULT_H
#define SM_UPNP_RESULT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define UPNP_RESULT_LEN 288
#define UPNP_URL_MAX 255

enum upnp_op {
	UPNP_OP_DISCOVER = 1, /* find the IGD: its description URL and external address */
	UPNP_OP_MAP = 2,      /* add (or refresh) the port mapping */
	UPNP_OP_DELETE = 3,   /* remove it */
};

enum upnp_status {
	UPNP_ST_OK = 0,
	UPNP_ST_NO_DEVICE,   /* SSDP found nothing (or the URL did not answer) */
	UPNP_ST_NO_IGD,	     /* UPnP devices, but no Internet Gateway Device */
	UPNP_ST_NO_EXTERNAL, /* GetExternalIPAddress failed or gave no address */
	UPNP_ST_REFUSED,     /* AddPortMapping / DeletePortMapping error (code in upnp_error) */
	UPNP_ST_FAILED,	     /* anything else (out of memory, URL too long) */
};
#define UPNP_ST_MAX UPNP_ST_FAILED

/* flags */
#define UPNP_F_WAS_MISSING 0x01 /* MAP: the router had lost our mapping (rebooted?) */
#define UPNP_F_PERMANENT 0x02	/* MAP: only a permanent lease (0) was accepted */

struct upnp_result {
	uint8_t op;	    /* enum upnp_op */
	uint8_t status;	    /* enum upnp_status */
	uint8_t igd;	    /* UPNP_GetValidIGD's answer: 1 connected, 2 not connected, ... */
	uint8_t flags;
	int16_t upnp_error; /* the UPnP error code (718, 725, ...) or libminiupnpc's < 0 */
	uint16_t external_port;
	uint32_t lease;		   /* seconds granted, 0 = permanent */
	struct in_addr external;   /* the IGD's external address (0 when unknown) */
	struct in_addr lan;	   /* our address as the IGD saw it */
	char url[UPNP_URL_MAX + 1]; /* the root description URL, "http://..." or "" */
};

/* Writes r as UPNP_RESULT_LEN bytes. -EINVAL when the URL does not fit. */
int upnp_result_encode(const struct upnp_result *r, uint8_t buf[UPNP_RESULT_LEN]);
/* Parses exactly UPNP_RESULT_LEN bytes: -EBADMSG with why for anything else (length,
 * magic, version, op, status, URL that is not printable "http://..."). */
int upnp_result_decode(const uint8_t *buf, size_t len, struct upnp_result *r,
		       struct errbuf *e);

const char *upnp_status_str(unsigned status);

#endif
