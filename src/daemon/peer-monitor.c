/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Path monitoring: what WireGuard's counters for one peer say about the path, as
 * events the state machine in peer.c reacts to. */
#include "daemon/peer.h"

/* WireGuard constants (whitepaper section 6.1) */
#define REJECT_AFTER_TIME_S 180
#define HANDSHAKE_INIT_BYTES 148 /* a handshake initiation, as counted in tx_bytes */
#define KEEPALIVE_BYTES 32	  /* a keepalive: header and tag, no payload */
/* after the session expired, what we send must go unanswered this long: the rekey
 * handshake WireGuard starts then normally answers well within it */
#define SESSION_MARGIN_MS 5000

/* The reading becomes the baseline: nothing is owed, nothing is unanswered. */
static void baseline(struct peer_monitor *m, int64_t now, const struct wg_peer *wp)
{
	m->dev_endpoint.sa.sa_family = AF_UNSPEC;
	m->rx_moved_at = now;
	m->unanswered_since = 0;
	m->unanswered_bytes = 0;
	m->tx_at_rx = wp->tx_bytes;
	m->rx = wp->rx_bytes;
	m->tx = wp->tx_bytes;
	m->last_handshake = wp->last_handshake_sec;
	m->sampled = true;
}

unsigned peer_monitor_sample(struct peer_monitor *m, const struct peer_params *p, int64_t now,
			     int64_t now_unix, const struct wg_peer *wp, bool watch_reset,
			     bool expect_endpoint)
{
	unsigned ev = 0;
	int64_t hs = wp->last_handshake_sec;
	bool live_margin;

	/* The device was reset under us (interface deleted and created again between two
	 * readings): counters went back, or the endpoint we set is gone. (Not the
	 * handshake time going back: that also happens when the wall clock is stepped
	 * back, on routers without a real-time clock.) */
	if (watch_reset && m->sampled &&
	    (wp->rx_bytes < m->rx || wp->tx_bytes < m->tx ||
	     (expect_endpoint && wp->endpoint.sa.sa_family == AF_UNSPEC))) {
		baseline(m, now, wp);
		return PATH_EV_RESET;
	}
	m->dev_endpoint = wp->endpoint;
	if (!m->sampled || wp->rx_bytes != m->rx) {
		if (!m->sampled || wp->rx_bytes > m->rx) {
			if (m->sampled)
				ev |= PATH_EV_ALIVE;
			m->rx_moved_at = now;
		}
		m->tx_at_rx = wp->tx_bytes;
		m->unanswered_since = 0;
		m->unanswered_bytes = 0;
	} else if (wp->tx_bytes > m->tx && wp->tx_bytes - m->tx != KEEPALIVE_BYTES) {
		/* Something that wants an answer went out since the peer was last heard
		 * from: the clock for "no answer" starts at the first of it, not at the last
		 * rx (an idle tunnel is fine). A lone keepalive wants none, so one-sided
		 * persistent keepalives never make a path look dead. */
		if (!m->unanswered_since)
			m->unanswered_since = now;
		m->unanswered_bytes += wp->tx_bytes - m->tx;
	}
	if (hs && (m->sampled ? hs > m->last_handshake : now_unix - hs < REJECT_AFTER_TIME_S))
		ev |= PATH_EV_HANDSHAKE;
	if (hs && now_unix - hs < REJECT_AFTER_TIME_S)
		ev |= PATH_EV_SESSION;
	live_margin = hs && now_unix - hs < REJECT_AFTER_TIME_S + SESSION_MARGIN_MS / 1000;
	m->rx = wp->rx_bytes;
	m->tx = wp->tx_bytes;
	m->last_handshake = hs;
	m->sampled = true;
	/* Unanswered: at least a handshake initiation's worth went out since the peer was
	 * last heard from (WireGuard retrying, or data with no reply), and no answer for
	 * longer than a live WireGuard ever takes. Or the session expired (with a margin)
	 * while we keep sending. */
	if (m->unanswered_since &&
	    ((m->unanswered_bytes >= HANDSHAKE_INIT_BYTES && now - m->unanswered_since >= p->quiet_ms) ||
	     (!live_margin && now - m->unanswered_since >= SESSION_MARGIN_MS)))
		ev |= PATH_EV_QUIET;
	return ev;
}

const char *peer_path_kind_name(enum peer_path_kind k)
{
	return k == PEER_PATH_DIRECT ? "direct" : "?";
}

const char *peer_path_state_name(enum peer_path_state s)
{
	static const char *names[] = { "none", "trying", "up", "quiet" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
