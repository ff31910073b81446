/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fetching: the peer's record from its store, opened with our private key, checked for
 * replays, the endpoint for our family picked, and handed to the state machine. */
#include "daemon/engine-int.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* What the peer's record says about its NAT, told once per change. */
static void note_peer_nat(struct eng_peer *p, bool symmetric, const char *lbl)
{
	struct engine *eng = p->eng;

	if (symmetric && !p->peer_symmetric && eng_iface_symmetric(p->ifc))
		log_warn(eng->log,
			 "peer %s: both this NAT and the peer's are symmetric; hole punching cannot "
			 "connect them (forward a port on one side, or use a relay)", lbl);
	else if (symmetric && !p->peer_symmetric)
		log_info(eng->log,
			 "peer %s: the peer's NAT is symmetric; this works only if this side accepts "
			 "unsolicited packets (public address, full-cone NAT or forwarded port)", lbl);
	p->peer_symmetric = symmetric;
}

/* A record came: 0 when it was good and went to the state machine. */
static int fetch_record(struct eng_peer *p, const struct store_result *res, const char *lbl)
{
	struct engine *eng = p->eng;
	struct errbuf e = { "" };
	struct peer_params pp;
	struct record rec;
	union sm_addr ep;
	enum peer_state before = p->fsm.state;
	unsigned flags = 0, act;
	int64_t now_unix = eng_unix_now(eng);
	int r;

	r = record_open(res->value, res->value_len, p->pub, p->ifc->priv, &rec, &e);
	if (!r)
		r = record_fresh_accept(&p->fresh, &rec, now_unix, &flags, &e);
	if (!r)
		r = record_select(&rec, p->protocol, &ep, &e);
	if (r) {
		eng_result_set(&p->fetch, FETCH_FAILED, "record rejected: %s", e.msg);
		return r;
	}
	if (flags & RECORD_FRESH_FUTURE)
		log_warn(eng->log, "peer %s: record is dated %" PRId64 " s in the future; is a clock wrong?",
			 lbl, rec.ts - now_unix);
	if (eng_result_set(&p->fetch, FETCH_OK, "ok"))
		log_debug(eng->log, "peer %s: record read", lbl);
	note_peer_nat(p, rec.nat_symmetric, lbl);
	act = peer_on_record(&p->fsm, eng_peer_params(p, &pp), eng_now_ms(eng), now_unix, &ep,
			     rec.has_ts ? rec.ts : 0);
	eng_peer_act(p, act, before);
	/* already in place (a tunnel that was up before we started) counts as set */
	if (!(act & PEER_ACT_SET_ENDPOINT) &&
	    (p->fsm.state == PEER_CONNECTED ||
	     addr_equal(&p->fsm.mon.dev_endpoint, peer_endpoint(&p->fsm))))
		p->endpoint_ever_set = true;
	return 0;
}

static void fetch_done(const struct store_result *res, void *arg)
{
	struct eng_peer *p = arg;
	struct engine *eng = p->eng;
	struct eng_result old = p->fetch;
	struct peer_params pp;
	char lbl[ENG_LABEL_LEN];
	bool failed;

	eng_peer_label(p, lbl, sizeof(lbl));
	if (res->status == STORE_NOT_FOUND) {
		if (eng_result_set(&p->fetch, FETCH_NO_RECORD, "no record yet"))
			log_info(eng->log, "peer %s: no record published for us yet (key %s in %s)",
				 lbl, p->read_key, p->store_name);
		failed = true;
	} else if (res->status != STORE_OK) {
		eng_result_set(&p->fetch, FETCH_FAILED, "store %s: %s", p->store_name,
			       res->error ? res->error : "failed");
		failed = true;
	} else {
		failed = fetch_record(p, res, lbl) != 0;
	}
	if (failed && p->fetch.kind == FETCH_FAILED) {
		if (old.kind != p->fetch.kind || strcmp(old.msg, p->fetch.msg))
			log_warn(eng->log, "peer %s: %s", lbl, p->fetch.msg);
		else
			log_debug(eng->log, "peer %s: %s", lbl, p->fetch.msg);
	}
	if (failed)
		peer_on_fetch_failed(&p->fsm, eng_peer_params(p, &pp), eng_now_ms(eng));
	eng_peer_arm(p);
	eng_check_oneshot(eng);
}

void eng_peer_fetch(struct eng_peer *p)
{
	struct engine *eng = p->eng;
	struct peer_params pp;
	int r;

	if (!p->store || !p->ifc->present || !p->on_device || eng->stopping)
		return;
	peer_fetch_started(&p->fsm);
	r = store_get(p->store, p->read_key, p->ifc->fwmark, fetch_done, p);
	if (r) {
		eng_result_set(&p->fetch, FETCH_FAILED, "cannot start a read: %s", strerror(-r));
		peer_on_fetch_failed(&p->fsm, eng_peer_params(p, &pp), eng_now_ms(eng));
	}
}
