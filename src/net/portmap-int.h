/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to net/portmap*.c: the state they share. portmap-states.c runs the states and the
 * reporting, portmap-pmp.c speaks NAT-PMP and PCP, portmap-upnp.c runs the UPnP worker,
 * portmap-<platform>.c finds the default gateway. */
#ifndef SM_PORTMAP_INT_H
#define SM_PORTMAP_INT_H

#include <sys/types.h>

#include "net/portmap.h"
#include "proto/pcp.h"
#include "proto/upnp-result.h"

enum pm_state {
	PM_IDLE,     /* nothing running; the reprobe timer is armed */
	PM_PROBING,  /* NAT-PMP public address + PCP ANNOUNCE out, UPnP discovery running */
	PM_MAPPING,  /* a mapping request to pm->proto outstanding */
	PM_MAPPED,   /* holding a mapping; the renewal timer is armed */
	PM_RENEWING, /* a renewal outstanding; the mapping holds until it expires */
	PM_STOPPING, /* the delete is out; waiting for its answer or the deadline */
	PM_STOPPED,
};

enum pm_req_kind {
	REQ_NONE = 0,
	REQ_NATPMP_PUBLIC,
	REQ_NATPMP_MAP,
	REQ_PCP_ANNOUNCE,
	REQ_PCP_MAP,
};

/* One outstanding NAT-PMP/PCP request; retransmitted until answered. */
struct pm_req {
	enum pm_req_kind kind;
	uint8_t buf[PCP_MAP_REQUEST_LEN];
	size_t len;
};

/* What each protocol said during the probe and since. */
struct pm_proto_state {
	bool answered;	  /* a well-formed answer came */
	bool unsupported; /* the gateway says it does not speak it, or refused the probe */
	bool have_epoch;
	uint32_t epoch;
	uint64_t epoch_at_s; /* our clock (s) when that epoch came */
	char why[128];	     /* why not usable */
};

struct portmap {
	struct loop *loop;
	struct portmap_params p;
	char desc[64];
	char upnp_url[UPNP_URL_MAX + 1];
	struct portmap_cbs cb;
	void *arg;
	const struct logger *log;

	union sm_addr gw;	     /* gateway:5351, AF_UNSPEC when none */
	union sm_addr local;	     /* our address towards it */
	char ifname[16];	     /* the interface towards the gateway ("" if not known) */
	unsigned ifindex;
	union sm_addr public_addr;   /* what STUN saw (port 0), AF_UNSPEC when unknown */
	int fd;			     /* connected to the gateway, -1 */
	int afd;		     /* announcements, -1 */

	enum pm_state state;
	enum portmap_proto proto; /* being mapped or held */
	struct pm_proto_state natpmp, pcp;
	bool upnp_found;	 /* the discovery found an IGD (upnp_url is set) */
	bool upnp_done;		 /* the discovery finished (found or not) */
	char upnp_why[128];
	struct in_addr natpmp_public; /* from the public-address answer */
	bool natpmp_public_ok;
	uint16_t natpmp_ext_port; /* from the map answer */
	uint32_t natpmp_lifetime; /* 0 until the map answer came */
	uint8_t nonce[PCP_NONCE_LEN]; /* PCP: per mapping, kept for renewals and the delete */
	int64_t probe_started;
	bool decided;

	struct pm_req reqs[2];
	unsigned sends;
	int64_t rto;
	bool port_closed; /* a send saw ECONNREFUSED */

	bool mapped; /* m holds a mapping the gateway granted */
	struct portmap_mapping m;
	int64_t expires_at; /* monotonic ms; INT64_MAX when permanent */

	/* reporting (portmap.c, notify) */
	bool renewed;	       /* mapped: tell again */
	bool reported_usable;
	union sm_addr reported_ext;
	bool inner_reported;
	enum portmap_why pending_why; /* 0 = none */
	char pending_text[256];
	enum portmap_why last_why; /* the latest lost() told, 0 after a mapped() */
	char last_text[256];
	char why[256]; /* for status */

	/* the UPnP worker */
	pid_t upnp_pid;
	int upnp_fd;
	enum upnp_op upnp_op;
	uint8_t upnp_buf[UPNP_RESULT_LEN + 1];
	size_t upnp_len;
	bool upnp_eof, upnp_exited;
	int upnp_status;

	struct loop_timer t_retx, t_decide, t_renew, t_notify, t_upnp, t_stop;
	void (*stop_done)(void *arg);
	void *stop_arg;
};

/* portmap-states.c */
void pm_log(struct portmap *pm, enum log_level lv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pm_lost(struct portmap *pm, enum portmap_why why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A protocol answered the probe (or the UPnP discovery finished): decide when due. */
void pm_probe_progress(struct portmap *pm);
/* The gateway granted (or renewed) a mapping. */
void pm_granted(struct portmap *pm, enum portmap_proto proto, const union sm_addr *ext,
		uint32_t lease_s, uint32_t epoch);
/* The request for pm->proto failed (refused, unanswered); text says why. */
void pm_map_failed(struct portmap *pm, bool refused, const char *text);
/* The gateway lost our mapping (restart seen in its epoch): map again at once. */
void pm_gateway_restarted(struct portmap *pm, const char *what);
uint64_t pm_now_s(const struct portmap *pm);
/* The delete was answered (or the UPnP worker finished): portmap_stop is done. */
void pm_stop_done(struct portmap *pm);

/* portmap-pmp.c */
int pm_sockets_open(struct portmap *pm, struct errbuf *e);
void pm_sockets_close(struct portmap *pm);
void pm_probe_send(struct portmap *pm); /* NAT-PMP public address + PCP ANNOUNCE */
void pm_map_send(struct portmap *pm, uint32_t lifetime); /* for pm->proto (NAT-PMP/PCP) */
void pm_reqs_clear(struct portmap *pm);
bool pm_reqs_active(const struct portmap *pm);
void pm_retransmit(struct loop *l, void *arg); /* the t_retx timer */
/* One datagram to the deleting gateway, unanswered (portmap_free) or answered (stop). */
void pm_delete_send(struct portmap *pm);

/* portmap-upnp.c */
int pm_upnp_start(struct portmap *pm, enum upnp_op op, struct errbuf *e);
void pm_upnp_cancel(struct portmap *pm);
bool pm_upnp_running(const struct portmap *pm);
void pm_upnp_deadline(struct loop *l, void *arg); /* the t_upnp timer */

/* portmap-<platform>.c */
/* The IPv4 default gateway (port NATPMP_PORT) and the interface towards it. */
int pm_default_gateway(union sm_addr *gw, char ifname[16], unsigned *ifindex,
		       struct errbuf *e);

#endif
