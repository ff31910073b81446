/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Port mapping for one WireGuard listen port (IPv4) on the default gateway, on the
 * event loop: NAT-PMP (RFC 6886), PCP MAP (RFC 6887) and UPnP IGD, asked in the order
 * Tailscale's portmapper uses. At start a NAT-PMP public-address request and a PCP
 * ANNOUNCE go out at once from one ordinary UDP socket (carrying the fwmark) and a UPnP
 * discovery starts beside them; after 250 ms the best protocol that answered wins
 * (NAT-PMP, then PCP, then UPnP), later answers decide as they come. The mapping asks
 * for external port = internal port, is renewed at half its lease, re-made when the
 * gateway restarts (NAT-PMP/PCP epoch on every answer and in the gateway's
 * announcements on 224.0.0.1:5350; UPnP: the renewal checks the mapping is still
 * there), and deleted by portmap_stop.
 *
 * UPnP runs libminiupnpc in a short-lived worker process with a deadline, because its
 * calls block for seconds (SSDP waits 1-4 s, HTTP to a hung router longer), and because
 * the router's XML and HTTP are then parsed outside the daemon: the daemon reads only
 * a fixed-length record (proto/upnp-result.h) from the worker's pipe.
 *
 * A mapping counts only when its external address is the public address STUN saw
 * (portmap_set_public): a gateway behind another NAT (carrier-grade NAT, a second home
 * router) maps an address nobody outside can reach, which is reported as an inner NAT.
 *
 * Callbacks come only from the loop, never from inside a portmap_* call; one callback
 * per loop round, and a callback may call portmap_free. */
#ifndef SM_PORTMAP_H
#define SM_PORTMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/util.h"

struct portmap;

enum portmap_proto {
	PORTMAP_PROTO_NONE = 0,
	PORTMAP_NATPMP,
	PORTMAP_PCP,
	PORTMAP_UPNP,
};

/* Why a mapping is not (or no longer) usable. */
enum portmap_why {
	PORTMAP_WHY_NONE_FOUND = 1, /* no protocol answered: the gateway maps nothing */
	PORTMAP_WHY_REFUSED,	    /* the gateway answered but refused (result code in text) */
	PORTMAP_WHY_INNER_NAT,	    /* mapped, but not on the public address STUN saw */
	PORTMAP_WHY_EXPIRED,	    /* renewals went unanswered until the lease ran out */
	PORTMAP_WHY_NO_GATEWAY,	    /* no IPv4 default route through a gateway */
	PORTMAP_WHY_ERROR,	    /* a local error (socket, fork) */
};

struct portmap_mapping {
	enum portmap_proto proto;
	union sm_addr external; /* the public address and port peers send to */
	uint32_t lease_s;	/* granted; 0 = permanent (some UPnP IGDs) */
	uint32_t epoch;		/* the gateway's epoch (NAT-PMP, PCP), 0 for UPnP */
};

struct portmap_cbs {
	/* A usable mapping was made or renewed (or changed: compare m->external). */
	void (*mapped)(void *arg, const struct portmap_mapping *m);
	/* The mapping reported before is gone, or none can be had; why in words. Probing
	 * goes on by itself (every reprobe_ms) unless stopped. */
	void (*lost)(void *arg, enum portmap_why why, const char *text);
};

struct portmap_params {
	uint16_t internal_port; /* the WireGuard listen port */
	uint32_t fwmark;
	uint32_t lifetime_s;	 /* asked of NAT-PMP and PCP (7200) */
	uint32_t upnp_lease_s;	 /* asked of UPnP (3600) */
	bool natpmp, pcp, upnp;	 /* which protocols to try (all by default) */
	const char *description; /* UPnP's mapping description, e.g. "stunmesh wg0" */
	/* The gateway's NAT-PMP/PCP address and port: AF_UNSPEC (the default) takes the
	 * default route's gateway, port 5351, read again at every probe. */
	union sm_addr gateway;
	uint16_t announce_port;	 /* where announcements arrive (5350); 0: not listened */
	const char *upnp_url;	 /* a known IGD root description URL: no SSDP (NULL) */
	int64_t probe_ms;	 /* first wait, and the first retransmission (250) */
	unsigned tries;		 /* NAT-PMP/PCP transmissions per request (4) */
	int64_t reprobe_ms;	 /* after nothing was found or a mapping was lost (300000) */
	int64_t upnp_discover_ms; /* the SSDP wait (1000) */
	int64_t upnp_deadline_ms; /* a worker is killed after this (8000) */
	int64_t stop_wait_ms;	  /* portmap_stop waits this long for the delete (500) */
	const struct logger *log; /* may be NULL */
};

void portmap_params_default(struct portmap_params *p);

/* Starts probing. p is copied (strings too). 0, or -errno with why in e (bad params; a
 * missing gateway is not an error here but a lost(NO_GATEWAY) callback). */
int portmap_new(struct loop *l, const struct portmap_params *p, const struct portmap_cbs *cb,
		void *arg, struct portmap **out, struct errbuf *e);

/* The public IPv4 address STUN saw (the port is ignored); AF_UNSPEC when unknown. A
 * mapping is reported only once this is known and equal to its external address. */
void portmap_set_public(struct portmap *pm, const union sm_addr *public_addr);

/* Look again now (the network changed): drops what is held and probes. */
void portmap_reprobe(struct portmap *pm);

/* Deletes the mapping (NAT-PMP/PCP: one request, lifetime 0; UPnP: a worker) and calls
 * done from the loop once the gateway confirmed or stop_wait_ms passed (UPnP: the
 * worker's deadline, at most 2 s). No other callback comes after this call. */
void portmap_stop(struct portmap *pm, void (*done)(void *arg), void *arg);

/* Frees everything. A NAT-PMP/PCP mapping still held gets one delete datagram, unwaited;
 * a UPnP mapping stays until its lease ends (use portmap_stop). NULL is fine. */
void portmap_free(struct portmap *pm);

enum portmap_state {
	PORTMAP_PROBING = 0, /* looking for a protocol, or mapping */
	PORTMAP_MAPPED,	     /* holding a mapping (usable or not: see usable) */
	PORTMAP_NONE,	     /* nothing can be had now; probing again later */
	PORTMAP_STOPPED,
};

struct portmap_status {
	enum portmap_state state;
	struct portmap_mapping m; /* PORTMAP_MAPPED */
	bool usable;		  /* m.external is the public address STUN saw */
	int64_t expires_in_ms;	  /* PORTMAP_MAPPED with a lease */
	union sm_addr gateway;	  /* AF_UNSPEC when none */
	char why[256];		  /* the latest failure or explanation, "" if none */
};

void portmap_get_status(const struct portmap *pm, struct portmap_status *st);

const char *portmap_proto_name(enum portmap_proto p);
const char *portmap_why_name(enum portmap_why w);

#endif
