/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state machine's actions, applied: endpoint and keepalive changes go to the device
 * as sets (one per action, so each is reported on its own), a dead path re-runs STUN
 * and republishes. */
#include "daemon/engine-int.h"

#include <string.h>

static struct engine_wg_update update_for(const struct eng_peer *p)
{
	struct engine_wg_update u = { .keepalive = -1 };

	memcpy(u.pub, p->pub, WG_KEY_LEN);
	return u;
}

static void send_set(struct eng_peer *p, const char *lbl, unsigned what,
		     const struct engine_wg_update *u, size_t n)
{
	struct errbuf e = { "" };
	int r = eng_dev_set(p->ifc->dev, p, lbl, what, u, n);

	if (r) {
		/* the answer would have said the same; one place words it */
		struct eng_wg_req req = { .peer = p, .what = what, .keepalive = p->fsm.ka.user };

		if (u[0].set_endpoint)
			req.endpoint = u[0].endpoint;
		snprintf(req.label, sizeof(req.label), "%s", lbl);
		err_set(&e, r, "%s", strerror(-r));
		eng_set_done(&req, r, e.msg);
	}
}

void eng_peer_act(struct eng_peer *p, unsigned act, enum peer_state before)
{
	struct eng_iface *ifc = p->ifc;
	struct engine *eng = ifc->eng;
	struct engine_wg_update u[2];
	char lbl[ENG_LABEL_LEN];

	eng_peer_label(p, lbl, sizeof(lbl));
	if (p->fsm.state != before)
		log_info(eng->log, "peer %s: %s -> %s", lbl, peer_state_name(before),
			 peer_state_name(p->fsm.state));
	if (!ifc->present || eng->stopping)
		return;
	if (act & PEER_ACT_SET_ENDPOINT) {
		u[0] = update_for(p);
		u[0].set_endpoint = true;
		u[0].endpoint = *peer_endpoint(&p->fsm);
		send_set(p, lbl, PEER_ACT_SET_ENDPOINT, u, 1);
	}
	if (act & PEER_ACT_KEEPALIVE_FAST) {
		/* the handshake is the news now: read the device soon */
		eng_iface_sample_soon(ifc, PUNCH_SAMPLE_MS);
		/* WireGuard sends a keepalive at once only when the interval goes from 0
		 * to non-zero (wireguard-go and the kernel alike); from the user's 25 it
		 * would wait for its running timer. */
		u[0] = update_for(p);
		u[0].keepalive = 0;
		u[1] = update_for(p);
		u[1].keepalive = 1;
		send_set(p, lbl, PEER_ACT_KEEPALIVE_FAST, u, 2);
	}
	if (act & PEER_ACT_KEEPALIVE_RESTORE) {
		u[0] = update_for(p);
		u[0].keepalive = p->fsm.ka.user;
		send_set(p, lbl, PEER_ACT_KEEPALIVE_RESTORE, u, 1);
	}
	if (act & PEER_ACT_REDISCOVER) {
		log_info(eng->log,
			 "peer %s: traffic goes out but nothing comes back; re-discovering and re-publishing",
			 lbl);
		eng_iface_discover(ifc, true);
		eng_peer_publish(p, true);
	}
}

void eng_set_done(struct eng_wg_req *req, int err, const char *errmsg)
{
	struct eng_peer *p = req->peer;
	struct engine *eng = req->dev ? req->dev->eng : p->eng;
	char ep[ADDR_STR_LEN];

	switch (req->what) {
	case PEER_ACT_SET_ENDPOINT:
		addr_format(&req->endpoint, ep, sizeof(ep));
		if (err) {
			log_warn(eng->log, "peer %s: cannot set endpoint %s: %s", req->label, ep, errmsg);
			break;
		}
		log_info(eng->log, "peer %s: endpoint set to %s", req->label, ep);
		if (p) {
			p->endpoint_ever_set = true;
			eng_check_oneshot(eng);
		}
		break;
	case PEER_ACT_KEEPALIVE_FAST:
		if (err)
			log_warn(eng->log, "peer %s: cannot set keepalive: %s", req->label, errmsg);
		else
			log_debug(eng->log, "peer %s: keepalive 1 s until the first handshake", req->label);
		break;
	case PEER_ACT_KEEPALIVE_RESTORE:
		if (err)
			log_warn(eng->log, "peer %s: cannot restore keepalive %u: %s", req->label,
				 req->keepalive, errmsg);
		else
			log_debug(eng->log, "peer %s: keepalive back to %u", req->label, req->keepalive);
		break;
	}
}
