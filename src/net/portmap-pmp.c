/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NAT-PMP and PCP for the port-mapping states: one UDP socket connected to the
 * gateway's 5351 for both (answers told apart by their version byte), a second one on
 * 5350 for the gateway's restart announcements, requests retransmitted at probe_ms
 * doubling, and every answer's epoch checked against the previous one. */
#include "net/portmap-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/udpsock.h"
#include "proto/natpmp.h"

#define MCAST_ALL_HOSTS "224.0.0.1"

static void on_readable(struct loop *l, int fd, unsigned events, void *arg);
static void port_closed(struct portmap *pm);

void pm_reqs_clear(struct portmap *pm)
{
	pm->reqs[0].kind = pm->reqs[1].kind = REQ_NONE;
}

bool pm_reqs_active(const struct portmap *pm)
{
	return pm->reqs[0].kind != REQ_NONE || pm->reqs[1].kind != REQ_NONE;
}

static struct pm_req *find_req(struct portmap *pm, enum pm_req_kind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(pm->reqs); i++)
		if (pm->reqs[i].kind == kind)
			return &pm->reqs[i];
	return NULL;
}

void pm_sockets_close(struct portmap *pm)
{
	if (pm->fd >= 0) {
		loop_fd_remove(pm->loop, pm->fd);
		close(pm->fd);
		pm->fd = -1;
	}
	if (pm->afd >= 0) {
		loop_fd_remove(pm->loop, pm->afd);
		close(pm->afd);
		pm->afd = -1;
	}
}

static void open_announce(struct portmap *pm)
{
	union sm_addr any = { .in = { .sin_family = AF_INET } };
	struct udpsock_params up = { .family = AF_INET, .bind = &any, .reuseaddr = true };
	struct in_addr group;
	struct errbuf e = { "" };

	if (!pm->p.announce_port || pm->afd >= 0)
		return;
	any.in.sin_port = htons(pm->p.announce_port);
	inet_pton(AF_INET, MCAST_ALL_HOSTS, &group);
	if (udpsock_open(&up, &pm->afd, &e) == 0 &&
	    (pm->ifindex == 0 || udpsock_join_v4(pm->afd, &group, pm->ifindex, &e) == 0) &&
	    loop_fd_add(pm->loop, pm->afd, LOOP_READ, on_readable, pm) == 0)
		return;
	/* Not fatal: renewals notice a restart too, only later. */
	pm_log(pm, LOG_DEBUG, "not listening for gateway announcements on port %u: %s",
	       pm->p.announce_port, e.msg[0] ? e.msg : "loop");
	if (pm->afd >= 0)
		close(pm->afd);
	pm->afd = -1;
}

int pm_sockets_open(struct portmap *pm, struct errbuf *e)
{
	union sm_addr gw = pm->p.gateway;
	struct udpsock_params up = { .family = AF_INET, .fwmark = pm->p.fwmark };
	socklen_t sl = sizeof(pm->local);
	int r;

	if (!addr_is_set(&gw)) {
		if ((r = pm_default_gateway(&gw, pm->ifname, &pm->ifindex, e)))
			return r;
	} else if (gw.sa.sa_family != AF_INET) {
		return err_set(e, -EAFNOSUPPORT, "the gateway must be an IPv4 address");
	}
	if (pm->fd >= 0 && addr_equal(&gw, &pm->gw)) {
		open_announce(pm);
		return 0;
	}
	pm_sockets_close(pm);
	pm->gw = gw;
	up.connect = &pm->gw;
	if ((r = udpsock_open(&up, &pm->fd, e)))
		return r;
	if (getsockname(pm->fd, &pm->local.sa, &sl) < 0 ||
	    (r = loop_fd_add(pm->loop, pm->fd, LOOP_READ, on_readable, pm))) {
		r = err_set(e, -errno, "port mapping socket: %s", strerror(errno));
		close(pm->fd);
		pm->fd = -1;
		return r;
	}
	open_announce(pm);
	return 0;
}

static void send_all(struct portmap *pm)
{
	for (size_t i = 0; i < ARRAY_SIZE(pm->reqs); i++) {
		struct pm_req *q = &pm->reqs[i];

		/* A full buffer or an ICMP error is a lost datagram: the retransmission
		 * (or the ECONNREFUSED that recv reports) covers it. */
		if (q->kind != REQ_NONE && send(pm->fd, q->buf, q->len, 0) < 0) {
			pm_log(pm, LOG_DEBUG, "send to the gateway: %s", strerror(errno));
			/* An earlier datagram's ICMP error, reported here: handled from the
			 * retransmission timer, outside the caller's state change. */
			if (errno == ECONNREFUSED) {
				pm->port_closed = true;
				loop_timer_arm(pm->loop, &pm->t_retx, 0);
			}
		}
	}
}

static void start_sending(struct portmap *pm)
{
	pm->sends = 1;
	pm->rto = pm->p.probe_ms;
	send_all(pm);
	loop_timer_arm(pm->loop, &pm->t_retx, pm->rto);
}

static void build_pcp_map(struct portmap *pm, struct pm_req *q, uint32_t lifetime)
{
	struct pcp_map_request r = { .protocol = IPPROTO_UDP, .lifetime = lifetime };

	memcpy(r.nonce, pm->nonce, sizeof(r.nonce));
	r.internal_port = pm->p.internal_port;
	r.suggested_port = pm->mapped ? addr_port(&pm->m.external) : pm->p.internal_port;
	if (pm->mapped)
		pcp_addr_from_sockaddr(&r.suggested_addr, &pm->m.external.sa);
	else
		pcp_addr_any_v4(&r.suggested_addr);
	pcp_addr_from_sockaddr(&r.client_addr, &pm->local.sa);
	q->kind = REQ_PCP_MAP;
	pcp_build_map(q->buf, sizeof(q->buf), &r, &q->len);
}

void pm_probe_send(struct portmap *pm)
{
	struct in6_addr client;
	size_t n = 0;

	pm_reqs_clear(pm);
	if (pm->p.natpmp) {
		pm->reqs[n].kind = REQ_NATPMP_PUBLIC;
		natpmp_build_public_address(pm->reqs[n].buf, sizeof(pm->reqs[n].buf), &pm->reqs[n].len);
		n++;
	}
	if (pm->p.pcp) {
		pcp_addr_from_sockaddr(&client, &pm->local.sa);
		pm->reqs[n].kind = REQ_PCP_ANNOUNCE;
		pcp_build_announce(pm->reqs[n].buf, sizeof(pm->reqs[n].buf), &client, &pm->reqs[n].len);
	}
	start_sending(pm);
}

void pm_map_send(struct portmap *pm, uint32_t lifetime)
{
	struct pm_req *q = &pm->reqs[0];

	pm_reqs_clear(pm);
	if (pm->proto == PORTMAP_NATPMP) {
		/* The map answer has no address: ask for it beside every (re)map, which also
		 * notices a new public address at each renewal. */
		q->kind = REQ_NATPMP_MAP;
		natpmp_build_map(q->buf, sizeof(q->buf), NATPMP_OP_MAP_UDP, pm->p.internal_port,
				 pm->mapped ? addr_port(&pm->m.external) : pm->p.internal_port,
				 lifetime, &q->len);
		pm->natpmp_public_ok = false;
		pm->natpmp_lifetime = 0;
		pm->reqs[1].kind = REQ_NATPMP_PUBLIC;
		natpmp_build_public_address(pm->reqs[1].buf, sizeof(pm->reqs[1].buf),
					    &pm->reqs[1].len);
	} else {
		build_pcp_map(pm, q, lifetime);
	}
	start_sending(pm);
}

void pm_delete_send(struct portmap *pm)
{
	struct pm_req *q = &pm->reqs[0];

	pm_reqs_clear(pm);
	if (pm->proto == PORTMAP_NATPMP) {
		q->kind = REQ_NATPMP_MAP;
		natpmp_build_map(q->buf, sizeof(q->buf), NATPMP_OP_MAP_UDP, pm->p.internal_port, 0,
				 0, &q->len);
	} else {
		build_pcp_map(pm, q, 0);
	}
	/* One try: a delete must not hold up a shutdown; the lease ends it otherwise. */
	send_all(pm);
}

static const char *proto_of(enum pm_req_kind k)
{
	return k == REQ_NATPMP_PUBLIC || k == REQ_NATPMP_MAP ? "NAT-PMP" : "PCP";
}

void pm_retransmit(struct loop *l, void *arg)
{
	struct portmap *pm = arg;
	char why[64];

	(void)l;
	if (!pm_reqs_active(pm))
		return;
	if (pm->port_closed) {
		pm->port_closed = false;
		port_closed(pm);
		return;
	}
	if (pm->sends < pm->p.tries) {
		pm->sends++;
		pm->rto *= 2;
		send_all(pm);
		loop_timer_arm(pm->loop, &pm->t_retx, pm->rto);
		return;
	}
	snprintf(why, sizeof(why), "no answer to %u requests", pm->sends);
	if (pm->state == PM_PROBING) {
		if (find_req(pm, REQ_NATPMP_PUBLIC))
			snprintf(pm->natpmp.why, sizeof(pm->natpmp.why), "%s", why);
		if (find_req(pm, REQ_PCP_ANNOUNCE))
			snprintf(pm->pcp.why, sizeof(pm->pcp.why), "%s", why);
		pm->natpmp.unsupported |= !pm->natpmp.answered;
		pm->pcp.unsupported |= !pm->pcp.answered;
		pm_reqs_clear(pm);
		pm_probe_progress(pm);
		return;
	}
	pm_log(pm, LOG_DEBUG, "%s: %s", proto_of(pm->reqs[0].kind), why);
	pm_map_failed(pm, false, why);
}

/* Records an answer's epoch; true when it says the gateway lost its state. An
 * announcement of the protocol we never asked is judged by the other one's epoch: a
 * gateway speaking both counts them from the same start (miniupnpd does). */
static bool epoch_seen(struct portmap *pm, struct pm_proto_state *ps, bool pcp, uint32_t epoch,
		       bool announce, char *what, size_t cap)
{
	const struct pm_proto_state *ref = ps;
	uint64_t now = pm_now_s(pm);
	bool lost = false;

	if (!ps->have_epoch && announce)
		ref = pcp ? &pm->natpmp : &pm->pcp;
	if (ref->have_epoch)
		lost = pcp ? pcp_epoch_lost(ref->epoch, ref->epoch_at_s, epoch, now)
			   : natpmp_epoch_lost(ref->epoch, ref->epoch_at_s, epoch, now);
	if (lost)
		snprintf(what, cap, "%s epoch %u after %u %llu s ago", pcp ? "PCP" : "NAT-PMP",
			 epoch, ref->epoch, (unsigned long long)(now - ref->epoch_at_s));
	ps->have_epoch = true;
	ps->epoch = epoch;
	ps->epoch_at_s = now;
	return lost;
}

/* NAT-PMP's mapping is complete when both the map and the public-address answers came. */
static void natpmp_maybe_granted(struct portmap *pm)
{
	union sm_addr ext = { .in = { .sin_family = AF_INET } };

	if (find_req(pm, REQ_NATPMP_PUBLIC) || find_req(pm, REQ_NATPMP_MAP) ||
	    !pm->natpmp_public_ok || !pm->natpmp_lifetime)
		return;
	loop_timer_cancel(pm->loop, &pm->t_retx);
	ext.in.sin_addr = pm->natpmp_public;
	ext.in.sin_port = htons(pm->natpmp_ext_port);
	pm_granted(pm, PORTMAP_NATPMP, &ext, pm->natpmp_lifetime, pm->natpmp.epoch);
}

/* The other protocol's gateway says it does not speak this one (UNSUPP_VERSION in its
 * own format, RFC 6887 section 9). */
static void unsupported(struct portmap *pm, enum portmap_proto proto, const char *why)
{
	struct pm_proto_state *ps = proto == PORTMAP_NATPMP ? &pm->natpmp : &pm->pcp;
	enum pm_req_kind a = proto == PORTMAP_NATPMP ? REQ_NATPMP_PUBLIC : REQ_PCP_ANNOUNCE;
	enum pm_req_kind b = proto == PORTMAP_NATPMP ? REQ_NATPMP_MAP : REQ_PCP_MAP;
	struct pm_req *q;
	bool ours = false;

	while ((q = find_req(pm, a)) || (q = find_req(pm, b))) {
		q->kind = REQ_NONE;
		ours = true;
	}
	if (!ours)
		return;
	ps->unsupported = true;
	snprintf(ps->why, sizeof(ps->why), "%s", why);
	if (pm->state == PM_PROBING)
		pm_probe_progress(pm);
	else if (pm->proto == proto)
		pm_map_failed(pm, true, why);
}

static void on_natpmp(struct portmap *pm, const struct natpmp_response *r)
{
	bool announce = r->op == NATPMP_OP_PUBLIC_ADDRESS && !find_req(pm, REQ_NATPMP_PUBLIC);
	char what[128], why[128];
	bool restarted = epoch_seen(pm, &pm->natpmp, false, r->epoch, announce, what, sizeof(what));
	struct pm_req *q;

	if (r->result == NATPMP_UNSUPP_VERSION) {
		unsupported(pm, PORTMAP_PCP, "the gateway speaks NAT-PMP only");
		return;
	}
	snprintf(why, sizeof(why), "result %u (%s)", r->result, natpmp_result_str(r->result));
	if (r->op == NATPMP_OP_PUBLIC_ADDRESS) {
		if (!(q = find_req(pm, REQ_NATPMP_PUBLIC))) {
			/* unsolicited: the gateway's announcement (RFC 6886 3.2.1). A restart
			 * loses every protocol's mappings, whichever we hold. */
			if (restarted)
				pm_gateway_restarted(pm, what);
			else if (r->result == NATPMP_SUCCESS && pm->mapped && pm->proto == PORTMAP_NATPMP &&
				 r->public_addr.s_addr != pm->natpmp_public.s_addr)
				pm_gateway_restarted(pm, "its public address changed");
			return;
		}
		q->kind = REQ_NONE;
		pm->natpmp.answered = true;
		if (r->result != NATPMP_SUCCESS) {
			snprintf(pm->natpmp.why, sizeof(pm->natpmp.why), "%s", why);
			pm->natpmp.unsupported = true;
			if (pm->state == PM_PROBING)
				pm_probe_progress(pm);
			else
				pm_map_failed(pm, true, why);
			return;
		}
		pm->natpmp_public = r->public_addr;
		pm->natpmp_public_ok = true;
		if (pm->state == PM_PROBING)
			pm_probe_progress(pm);
		else
			natpmp_maybe_granted(pm);
		return;
	}
	if (r->op != NATPMP_OP_MAP_UDP || !(q = find_req(pm, REQ_NATPMP_MAP)))
		return;
	if (r->result == NATPMP_SUCCESS && r->internal_port != pm->p.internal_port)
		return; /* another client's (or another port's) answer */
	q->kind = REQ_NONE;
	if (pm->state == PM_STOPPING) {
		pm_stop_done(pm);
		return;
	}
	if (r->result != NATPMP_SUCCESS || r->lifetime == 0) {
		pm_map_failed(pm, true, r->result ? why : "granted a lifetime of 0");
		return;
	}
	if (restarted)
		pm_log(pm, LOG_INFO, "the gateway restarted (%s); mapped again", what);
	pm->natpmp_ext_port = r->external_port;
	pm->natpmp_lifetime = r->lifetime;
	natpmp_maybe_granted(pm);
}

static void on_pcp(struct portmap *pm, const struct pcp_response *r)
{
	bool announce = r->opcode == PCP_OP_ANNOUNCE && !find_req(pm, REQ_PCP_ANNOUNCE);
	char what[128], why[128];
	bool restarted = epoch_seen(pm, &pm->pcp, true, r->epoch, announce, what, sizeof(what));
	union sm_addr ext;
	struct pm_req *q;

	if (r->result == PCP_UNSUPP_VERSION) {
		unsupported(pm, PORTMAP_NATPMP, "the gateway speaks PCP only");
		return;
	}
	snprintf(why, sizeof(why), "result %u (%s)", r->result, pcp_result_str(r->result));
	if (r->opcode == PCP_OP_ANNOUNCE) {
		if (!(q = find_req(pm, REQ_PCP_ANNOUNCE))) {
			/* unsolicited: the gateway's restart announcement (RFC 6887 14.1.3),
			 * which matters whichever protocol holds our mapping */
			if (restarted)
				pm_gateway_restarted(pm, what);
			return;
		}
		q->kind = REQ_NONE;
		pm->pcp.answered = true;
		/* Any answer but UNSUPP_VERSION shows PCP is spoken; a server without
		 * ANNOUNCE may still map (UNSUPP_OPCODE). */
		if (r->result != PCP_SUCCESS && r->result != PCP_UNSUPP_OPCODE) {
			pm->pcp.unsupported = true;
			snprintf(pm->pcp.why, sizeof(pm->pcp.why), "%s", why);
		}
		pm_probe_progress(pm);
		return;
	}
	if (r->opcode != PCP_OP_MAP || !(q = find_req(pm, REQ_PCP_MAP)) ||
	    memcmp(r->nonce, pm->nonce, PCP_NONCE_LEN))
		return;
	q->kind = REQ_NONE;
	loop_timer_cancel(pm->loop, &pm->t_retx);
	if (pm->state == PM_STOPPING) {
		pm_stop_done(pm);
		return;
	}
	pcp_addr_to_sockaddr(&r->external_addr, r->external_port, &ext);
	if (r->result != PCP_SUCCESS || r->lifetime == 0 || ext.sa.sa_family != AF_INET ||
	    !r->external_port) {
		pm_map_failed(pm, true, r->result ? why : "a MAP answer without an IPv4 mapping");
		return;
	}
	if (restarted)
		pm_log(pm, LOG_INFO, "the gateway restarted (%s); mapped again", what);
	pm_granted(pm, PORTMAP_PCP, &ext, r->lifetime, r->epoch);
}

static void handle(struct portmap *pm, const uint8_t *buf, size_t len)
{
	struct natpmp_response nr;
	struct pcp_response pr;
	struct errbuf e = { "" };

	if (len && buf[0] == NATPMP_VERSION) {
		if (natpmp_parse_response(buf, len, &nr, &e) == 0)
			on_natpmp(pm, &nr);
		else
			pm_log(pm, LOG_DEBUG, "dropped: %s", e.msg);
	} else if (len && buf[0] == PCP_VERSION) {
		if (pcp_parse_response(buf, len, &pr, &e) == 0)
			on_pcp(pm, &pr);
		else
			pm_log(pm, LOG_DEBUG, "dropped: %s", e.msg);
	} else {
		pm_log(pm, LOG_DEBUG, "dropped a datagram of %zu bytes from the gateway", len);
	}
}

/* ICMP port unreachable on the connected socket: nothing listens on 5351. */
static void port_closed(struct portmap *pm)
{
	static const char why[] = "port 5351 closed (ICMP port unreachable)";

	if (pm->state == PM_PROBING) {
		for (int i = 0; i < 2; i++) {
			struct pm_proto_state *ps = i ? &pm->pcp : &pm->natpmp;

			if (!ps->answered) {
				ps->unsupported = true;
				snprintf(ps->why, sizeof(ps->why), "%s", why);
			}
		}
		pm_reqs_clear(pm);
		loop_timer_cancel(pm->loop, &pm->t_retx);
		pm_probe_progress(pm);
	} else if (pm_reqs_active(pm) && pm->state != PM_STOPPING) {
		pm_map_failed(pm, false, why);
	}
}

static void on_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct portmap *pm = arg;
	uint8_t buf[PCP_MAX_LEN + 4];

	(void)l;
	(void)events;
	/* A bounded number per wakeup: a flood from the LAN must not hold the loop. */
	for (int i = 0; i < 16 && (fd == pm->fd || fd == pm->afd); i++) {
		union sm_addr from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, &from.sa, &fl);

		if (n < 0) {
			if (errno == ECONNREFUSED && fd == pm->fd) {
				port_closed(pm);
				continue;
			}
			return;
		}
		/* Announcements count only from our gateway (any port: RFC 6887 says 5351). */
		if (fd == pm->afd && (from.sa.sa_family != AF_INET || !addr_same_host(&from, &pm->gw)))
			continue;
		handle(pm, buf, (size_t)n);
		if (pm->state == PM_STOPPED)
			return;
	}
}
