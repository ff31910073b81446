/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TURN client's socket and transactions: requests built from the allocation's
 * state and retransmitted at rto_ms doubling, the receive batch (recvmmsg into buffers
 * allocated once), ChannelData found by channel number, STUN answers matched to their
 * transaction and checked with our key before the states see them. */
#include "net/turn-client-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/udpsock.h"

static void on_readable(struct loop *l, int fd, unsigned events, void *arg);

int tc_ring_alloc(struct turn_client *tc)
{
	tc->ring = malloc((size_t)TC_BATCH * TC_SLOT);
	tc->msgs = calloc(TC_BATCH, sizeof(*tc->msgs));
	tc->iov = calloc(TC_BATCH, sizeof(*tc->iov));
	if (!tc->ring || !tc->msgs || !tc->iov)
		return -ENOMEM;
	for (size_t i = 0; i < TC_BATCH; i++) {
		tc->iov[i].iov_base = tc->ring + i * TC_SLOT;
		tc->iov[i].iov_len = TC_SLOT;
		tc->msgs[i].msg_hdr.msg_iov = &tc->iov[i];
		tc->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

void tc_ring_free(struct turn_client *tc)
{
	free(tc->ring);
	free(tc->msgs);
	free(tc->iov);
}

int tc_socket_open(struct turn_client *tc, struct errbuf *e)
{
	struct udpsock_params up = {
		.family = tc->p.server.sa.sa_family,
		.connect = &tc->p.server,
		.fwmark = tc->p.fwmark,
		.rcvbuf = tc->p.rcvbuf,
		.sndbuf = tc->p.sndbuf,
	};
	int r;

	if (tc->fd >= 0)
		return 0;
	if ((r = udpsock_open(&up, &tc->fd, e)))
		return r;
	if ((r = loop_fd_add(tc->loop, tc->fd, LOOP_READ, on_readable, tc))) {
		close(tc->fd);
		tc->fd = -1;
		return err_set(e, r, "out of memory");
	}
	return 0;
}

void tc_socket_close(struct turn_client *tc)
{
	if (tc->fd < 0)
		return;
	loop_fd_remove(tc->loop, tc->fd);
	close(tc->fd);
	tc->fd = -1;
}

static void txn_send(struct turn_client *tc, struct tc_txn *x)
{
	if (tc->fd < 0)
		return;
	/* Lost to a full buffer: the retransmission covers it. ECONNREFUSED is an earlier
	 * datagram's ICMP error: the receive side reports it too, on the next poll. */
	if (send(tc->fd, x->buf, x->len, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED)
		tc_log(tc, LOG_DEBUG, "send: %s", strerror(errno));
}

static void txn_timer(struct loop *l, void *arg)
{
	struct tc_txn *x = arg;
	struct turn_client *tc = x->tc;

	(void)l;
	if (!x->active)
		return;
	if (x->sends < tc->p.tries) {
		x->sends++;
		x->rto *= 2;
		txn_send(tc, x);
		loop_timer_arm(tc->loop, &x->t, x->rto);
		return;
	}
	x->active = false;
	tc_on_timeout(tc, x);
}

void tc_txn_init(struct turn_client *tc, struct tc_txn *x, struct turn_peer *peer)
{
	memset(x, 0, sizeof(*x));
	x->tc = tc;
	x->peer = peer;
	loop_timer_init(&x->t, txn_timer, x);
}

static int build(struct turn_client *tc, struct tc_txn *x)
{
	const struct turn_auth *auth = x->authed ? &tc->auth : NULL;
	const struct sockaddr *peers[1];

	switch (x->kind) {
	case TXN_ALLOCATE:
		/* DONT-FRAGMENT on IPv4: the server must not fragment towards the peer. */
		return turn_build_allocate(x->buf, sizeof(x->buf), x->txid, auth, tc->p.lifetime_s,
					   tc->p.server.sa.sa_family == AF_INET, &x->len);
	case TXN_REFRESH:
		return turn_build_refresh(x->buf, sizeof(x->buf), x->txid, auth, x->lifetime, &x->len);
	case TXN_PERMISSION:
		peers[0] = &x->peer->addr.sa;
		return turn_build_create_permission(x->buf, sizeof(x->buf), x->txid, auth, peers, 1,
						    &x->len);
	case TXN_BIND:
		return turn_build_channel_bind(x->buf, sizeof(x->buf), x->txid, auth,
					       x->peer->channel, &x->peer->addr.sa, &x->len);
	}
	return -EINVAL;
}

void tc_txn_start(struct turn_client *tc, struct tc_txn *x, enum tc_txn_kind kind, bool authed)
{
	int r;

	x->kind = kind;
	x->authed = authed;
	x->stale_retried = false; /* a stale-nonce retry sets it again after this */
	stun_new_txid(x->txid);
	if ((r = build(tc, x))) {
		/* Only a username or nonce too long for a request gets here. */
		x->active = false;
		tc_log(tc, LOG_WARN, "building a request: %s", strerror(-r));
		return;
	}
	x->active = true;
	x->sends = 1;
	x->rto = tc->p.rto_ms;
	txn_send(tc, x);
	loop_timer_arm(tc->loop, &x->t, x->rto);
}

/* stale_retried stays: the answer that stopped x may be the 438 to its retry. */
void tc_txn_stop(struct turn_client *tc, struct tc_txn *x)
{
	x->active = false;
	loop_timer_cancel(tc->loop, &x->t);
}

void tc_release_send(struct turn_client *tc)
{
	struct tc_txn x;

	if (tc->fd < 0 || tc->state != TC_READY)
		return;
	tc_txn_init(tc, &x, NULL);
	x.lifetime = 0;
	x.kind = TXN_REFRESH;
	x.authed = true;
	stun_new_txid(x.txid);
	if (build(tc, &x) == 0)
		txn_send(tc, &x);
}

static struct tc_txn *find_txn(struct turn_client *tc, const uint8_t *txid)
{
	if (tc->txn.active && !memcmp(tc->txn.txid, txid, STUN_TXID_LEN))
		return &tc->txn;
	for (struct turn_peer *p = tc->peers; p; p = p->next) {
		if (p->perm.active && !memcmp(p->perm.txid, txid, STUN_TXID_LEN))
			return &p->perm;
		if (p->bind.active && !memcmp(p->bind.txid, txid, STUN_TXID_LEN))
			return &p->bind;
	}
	return NULL;
}

static struct turn_peer *peer_at(struct turn_client *tc, const union sm_addr *a)
{
	for (struct turn_peer *p = tc->peers; p; p = p->next)
		if (addr_equal(&p->addr, a))
			return p;
	return NULL;
}

static bool permitted_ip(struct turn_client *tc, const union sm_addr *a)
{
	for (struct turn_peer *p = tc->peers; p; p = p->next)
		if (addr_same_host(&p->addr, a))
			return true;
	return false;
}

/* A STUN message from the server; false when it was data for a peer. */
static bool stun_in(struct turn_client *tc, uint8_t *buf, size_t len)
{
	struct turn_message m;
	struct errbuf e = { "" };
	struct tc_txn *x;
	struct turn_peer *p;

	if (turn_parse(buf, len, NULL, NULL, 0, &m, &e)) {
		tc_log(tc, LOG_DEBUG, "dropped a datagram from the server: %s", e.msg);
		tc->rx_dropped++;
		return true;
	}
	if (m.cls == STUN_CLASS_INDICATION && m.method == TURN_DATA && m.has_peer && m.data) {
		if ((p = peer_at(tc, &m.peer)) && tc->cb.data) {
			tc->rx++;
			tc->cb.data(tc->arg, p, p->arg, (uint8_t *)(uintptr_t)m.data, m.data_len);
			return false;
		}
		if (permitted_ip(tc, &m.peer) && tc->cb.unknown_peer)
			tc->cb.unknown_peer(tc->arg, &m.peer, m.data, m.data_len);
		else
			tc->rx_dropped++;
		return true;
	}
	if (m.cls != STUN_CLASS_SUCCESS && m.cls != STUN_CLASS_ERROR)
		return true;
	if (!(x = find_txn(tc, m.txid)))
		return true; /* a late answer to a retransmission, or not ours */
	/* Again with our key: a success must prove it knows it (RFC 8489 9.2.5). */
	if (x->authed && turn_parse(buf, len, x->txid, tc->auth.key, TURN_KEY_LEN, &m, &e)) {
		tc_log(tc, LOG_DEBUG, "dropped an answer: %s", e.msg);
		return true;
	}
	tc_txn_stop(tc, x);
	tc_on_response(tc, x, &m);
	return true;
}

static void on_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct turn_client *tc = arg;
	bool data = false;
	int n;

	(void)l;
	(void)events;
	/* One batch per wakeup: the poll is level-triggered, so a busy relay is drained
	 * in rounds and the loop's other fds get their turn between them. */
	n = recvmmsg(fd, tc->msgs, TC_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == ECONNREFUSED)
			tc_server_closed(tc);
		return;
	}
	for (int i = 0; i < n && tc->fd == fd; i++) {
		uint8_t *buf = tc->ring + (size_t)i * TC_SLOT;
		size_t len = tc->msgs[i].msg_len;
		const uint8_t *d;
		size_t dl;
		uint16_t ch;
		struct turn_peer *p;

		if (tc->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			tc->rx_dropped++;
			continue;
		}
		if (turn_is_channel_data(buf, len)) {
			if (turn_channel_parse(buf, len, &ch, &d, &dl) == 0 &&
			    (p = tc->chan[ch - TURN_CHANNEL_MIN]) && p->bound && p->channel == ch &&
			    tc->cb.data) {
				tc->rx++;
				data = true;
				tc->cb.data(tc->arg, p, p->arg, (uint8_t *)(uintptr_t)d, dl);
			} else {
				tc->rx_dropped++;
			}
			continue;
		}
		if (!stun_in(tc, buf, len))
			data = true;
	}
	if (data && tc->cb.data_end)
		tc->cb.data_end(tc->arg);
}
