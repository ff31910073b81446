/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The relay's data path; see relay.h. WireGuard -> relay: recvmmsg of up to 64 packets
 * from one peer's local socket into slots that keep 4 bytes free in front, the
 * ChannelData header written there, one sendmmsg to the TURN socket. Relay ->
 * WireGuard: net/turn-client hands each datagram of its batch (found by channel) to
 * on_data, which only notes where it is; at the batch's end each run of packets for one
 * peer leaves in one sendmmsg from that peer's local socket. */
#include "net/relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/udpsock.h"
#include "proto/turn.h"

#define BATCH 64
#define SLOT 2048
#define HEAD TURN_CHANNEL_HEADER_LEN

struct relay_peer {
	struct relay *r;
	void *arg;
	int fd;
	union sm_addr local, remote;
	struct turn_peer *tp;
	struct relay_peer_stats st;
	int64_t last_rx;
	bool ev_moved;
	struct relay_peer *next;
};

struct pending {
	struct relay_peer *rp;
	uint8_t *data;
	size_t len;
};

struct relay {
	struct loop *loop;
	struct relay_params p;
	struct relay_cbs cb;
	void *arg;
	const struct logger *log;
	struct turn_client *tc;
	union sm_addr wg;
	struct relay_peer *peers;
	int64_t last_check;
	struct loop_timer t_notify;
	/* WireGuard -> relay */
	uint8_t *ring;
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	/* relay -> WireGuard */
	struct pending pend[BATCH];
	unsigned npend;
	struct mmsghdr tl[BATCH];
	struct iovec tl_iov[BATCH];
};

void relay_params_default(struct relay_params *p)
{
	memset(p, 0, sizeof(*p));
	turn_client_params_default(&p->turn);
	p->local_family = AF_INET;
	p->dead_ms = 5000;
	p->local_buf = 1 << 20;
}

/* Relay -> WireGuard: the batch's packets, one sendmmsg per run of one peer's. */
static void flush(struct relay *r)
{
	int64_t now = loop_now(r->loop);
	unsigned i = 0;

	while (i < r->npend) {
		struct relay_peer *rp = r->pend[i].rp;
		unsigned k = 0;
		size_t bytes = 0;
		int sent;

		if (!rp) { /* removed during the batch */
			i++;
			continue;
		}

		while (i + k < r->npend && r->pend[i + k].rp == rp) {
			r->tl_iov[k].iov_base = r->pend[i + k].data;
			r->tl_iov[k].iov_len = r->pend[i + k].len;
			bytes += r->pend[i + k].len;
			k++;
		}
		sent = sendmmsg(rp->fd, r->tl, k, MSG_DONTWAIT);
		if (sent < 0)
			sent = 0; /* full, or WireGuard not listening: lost, as UDP goes */
		rp->st.from_relay += (unsigned)sent;
		rp->st.from_relay_bytes += bytes;
		rp->st.dropped += k - (unsigned)sent;
		rp->last_rx = now;
		i += k;
	}
	r->npend = 0;
}

static void on_data(void *arg, struct turn_peer *tp, void *peer_arg, uint8_t *data, size_t len)
{
	struct relay *r = arg;

	(void)tp;
	if (r->npend == BATCH)
		flush(r);
	r->pend[r->npend++] = (struct pending){ peer_arg, data, len };
}

static void on_data_end(void *arg)
{
	flush(arg);
}

/* One-packet path while the peer has no channel yet: Send indications. */
static void send_slow(struct relay *r, struct relay_peer *rp, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		size_t len = r->in[i].msg_len;

		if (!rp->tp || (r->in[i].msg_hdr.msg_flags & MSG_TRUNC) ||
		    turn_client_send(r->tc, rp->tp, r->ring + (size_t)i * SLOT + HEAD, len)) {
			rp->st.dropped++;
			continue;
		}
		rp->st.to_relay++;
		rp->st.to_relay_bytes += len;
	}
}

/* WireGuard -> relay, for one peer's local socket. */
static void local_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct relay_peer *rp = arg;
	struct relay *r = rp->r;
	int64_t now = loop_now(l);
	int tfd = turn_client_fd(r->tc), n, sent;
	uint16_t ch = rp->tp ? turn_peer_channel(rp->tp) : 0;
	unsigned k = 0;
	size_t bytes = 0;

	(void)events;
	n = recvmmsg(fd, r->in, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return; /* EAGAIN, or ECONNREFUSED: WireGuard is not listening (yet) */
	if (tfd < 0) {
		rp->st.dropped += (unsigned)n;
		return;
	}
	if (!ch) {
		send_slow(r, rp, (unsigned)n);
	} else {
		for (int i = 0; i < n; i++) {
			uint8_t *slot = r->ring + (size_t)i * SLOT;
			size_t len = r->in[i].msg_len;

			if (r->in[i].msg_hdr.msg_flags & MSG_TRUNC) {
				rp->st.dropped++;
				continue;
			}
			turn_channel_header(slot, ch, len);
			r->out_iov[k].iov_base = slot;
			r->out_iov[k].iov_len = len + HEAD;
			bytes += len;
			k++;
		}
		sent = k ? sendmmsg(tfd, r->out, k, MSG_DONTWAIT) : 0;
		if (sent < 0) {
			turn_client_send_error(r->tc, -errno);
			sent = 0;
		}
		rp->st.to_relay += (unsigned)sent;
		rp->st.to_relay_bytes += bytes;
		rp->st.dropped += k - (unsigned)sent;
	}
	/* We send, nothing comes back: is the allocation still there? */
	if (now - rp->last_rx > r->p.dead_ms && now - r->last_check > r->p.dead_ms) {
		r->last_check = now;
		turn_client_check(r->tc);
	}
}

static void notify(struct loop *l, void *arg)
{
	struct relay *r = arg;

	(void)l;
	for (struct relay_peer *rp = r->peers; rp; rp = rp->next) {
		if (rp->ev_moved) {
			union sm_addr remote = rp->remote;

			rp->ev_moved = false;
			loop_timer_arm(r->loop, &r->t_notify, 0);
			if (r->cb.peer_moved)
				r->cb.peer_moved(r->arg, rp, rp->arg, &remote);
			return;
		}
	}
}

/* A Data indication from a permitted IP but an unknown port: that peer's NAT chose
 * another port for the relay than for STUN. Follow it, and pass the packet on. */
static void on_unknown(void *arg, const union sm_addr *from, const uint8_t *data, size_t len)
{
	struct relay *r = arg;
	struct relay_peer *pick = NULL;
	char a[ADDR_STR_LEN], b[ADDR_STR_LEN];

	for (struct relay_peer *rp = r->peers; rp; rp = rp->next) {
		if (!rp->tp || !addr_same_host(&rp->remote, from))
			continue;
		/* several peers behind one NAT: the one not hearing from its address */
		if (!pick || rp->st.from_relay == 0)
			pick = rp;
	}
	if (!pick || turn_client_peer_move(r->tc, pick->tp, from))
		return;
	if (r->log)
		log_info(r->log, "relay: peer at %s now sends from %s",
			 addr_format(&pick->remote, a, sizeof(a)), addr_format(from, b, sizeof(b)));
	pick->remote = *from;
	pick->ev_moved = true;
	if (send(pick->fd, data, len, MSG_DONTWAIT) == (ssize_t)len) {
		pick->st.from_relay++;
		pick->st.from_relay_bytes += len;
	}
	loop_timer_arm(r->loop, &r->t_notify, 0);
}

/* The TURN client's own callbacks come from its notify timer as its last act, so they
 * are passed on as they are. */
static void on_allocated(void *arg, const union sm_addr *relayed, const union sm_addr *mapped)
{
	struct relay *r = arg;

	if (r->cb.allocated)
		r->cb.allocated(r->arg, relayed, mapped);
}

static void on_lost(void *arg, int err, const char *why)
{
	struct relay *r = arg;

	if (r->cb.lost)
		r->cb.lost(r->arg, err, why);
}

static void on_ready(void *arg, struct turn_peer *tp, void *peer_arg, uint16_t channel)
{
	struct relay *r = arg;
	struct relay_peer *rp = peer_arg;

	(void)tp;
	rp->st.channel = channel;
	if (r->cb.peer_ready)
		r->cb.peer_ready(r->arg, rp, rp->arg);
}

static void on_failed(void *arg, struct turn_peer *tp, void *peer_arg, const char *why)
{
	struct relay *r = arg;
	struct relay_peer *rp = peer_arg;

	(void)tp;
	if (r->cb.peer_failed)
		r->cb.peer_failed(r->arg, rp, rp->arg, why);
}

int relay_new(struct loop *l, const struct relay_params *p, const struct relay_cbs *cb,
	      void *arg, struct relay **out, struct errbuf *e)
{
	static const struct turn_client_cbs tcb = {
		on_allocated, on_lost, on_ready, on_failed, on_data, on_data_end, on_unknown,
	};
	struct relay *r;
	int rc;

	if (!p->wg_port)
		return err_set(e, -EINVAL, "relay: WireGuard's port is 0");
	if (p->local_family != AF_INET && p->local_family != AF_INET6)
		return err_set(e, -EINVAL, "relay: local family must be IPv4 or IPv6");
	r = calloc(1, sizeof(*r));
	if (!r || !(r->ring = malloc((size_t)BATCH * SLOT))) {
		free(r);
		return err_set(e, -ENOMEM, "out of memory");
	}
	r->loop = l;
	r->p = *p;
	r->log = p->turn.log;
	if (cb)
		r->cb = *cb;
	r->arg = arg;
	r->wg.sa.sa_family = (sa_family_t)p->local_family;
	if (p->local_family == AF_INET)
		r->wg.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		r->wg.in6.sin6_addr = in6addr_loopback;
	addr_set_port(&r->wg, p->wg_port);
	for (size_t i = 0; i < BATCH; i++) {
		r->in_iov[i].iov_base = r->ring + i * SLOT + HEAD;
		r->in_iov[i].iov_len = SLOT - HEAD;
		r->in[i].msg_hdr.msg_iov = &r->in_iov[i];
		r->in[i].msg_hdr.msg_iovlen = 1;
		r->out[i].msg_hdr.msg_iov = &r->out_iov[i];
		r->out[i].msg_hdr.msg_iovlen = 1;
		r->tl[i].msg_hdr.msg_iov = &r->tl_iov[i];
		r->tl[i].msg_hdr.msg_iovlen = 1;
	}
	loop_timer_init(&r->t_notify, notify, r);
	if ((rc = turn_client_new(l, &p->turn, &tcb, r, &r->tc, e))) {
		free(r->ring);
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int relay_peer_add(struct relay *r, const union sm_addr *remote, void *peer_arg,
		   struct relay_peer **out, struct errbuf *e)
{
	union sm_addr any = { .sa.sa_family = r->wg.sa.sa_family };
	struct udpsock_params up = {
		.family = r->p.local_family,
		.bind = &any,
		.connect = &r->wg,
		.rcvbuf = r->p.local_buf,
		.sndbuf = r->p.local_buf,
	};
	struct relay_peer *rp = calloc(1, sizeof(*rp));
	socklen_t sl = sizeof(rp->local);
	int rc;

	if (!rp)
		return err_set(e, -ENOMEM, "out of memory");
	any = r->wg;
	addr_set_port(&any, 0);
	rp->r = r;
	rp->arg = peer_arg;
	rp->remote = *remote;
	rp->last_rx = loop_now(r->loop);
	if ((rc = udpsock_open(&up, &rp->fd, e))) {
		free(rp);
		return rc;
	}
	if (getsockname(rp->fd, &rp->local.sa, &sl) < 0 ||
	    (rc = loop_fd_add(r->loop, rp->fd, LOOP_READ, local_readable, rp)) ||
	    (rc = turn_client_peer_add(r->tc, remote, rp, &rp->tp, e))) {
		if (rc == 0)
			rc = err_set(e, -errno, "relay socket: %s", strerror(errno));
		loop_fd_remove(r->loop, rp->fd);
		close(rp->fd);
		free(rp);
		return rc;
	}
	rp->next = r->peers;
	r->peers = rp;
	*out = rp;
	return 0;
}

void relay_peer_remove(struct relay *r, struct relay_peer *rp)
{
	struct relay_peer **pp;

	if (!rp)
		return;
	for (unsigned i = 0; i < r->npend; i++)
		if (r->pend[i].rp == rp)
			r->pend[i].rp = NULL;
	for (pp = &r->peers; *pp; pp = &(*pp)->next) {
		if (*pp == rp) {
			*pp = rp->next;
			break;
		}
	}
	turn_client_peer_remove(r->tc, rp->tp);
	loop_fd_remove(r->loop, rp->fd);
	close(rp->fd);
	free(rp);
}

int relay_peer_set_remote(struct relay *r, struct relay_peer *rp, const union sm_addr *remote)
{
	int rc = turn_client_peer_move(r->tc, rp->tp, remote);

	if (rc == 0)
		rp->remote = *remote;
	return rc;
}

const union sm_addr *relay_peer_local(const struct relay_peer *rp)
{
	return &rp->local;
}

const union sm_addr *relay_peer_remote(const struct relay_peer *rp)
{
	return &rp->remote;
}

bool relay_peer_ready(const struct relay_peer *rp)
{
	return rp->tp && turn_peer_channel(rp->tp) != 0;
}

void relay_peer_stats(const struct relay_peer *rp, struct relay_peer_stats *st)
{
	*st = rp->st;
	st->channel = rp->tp ? turn_peer_channel(rp->tp) : 0;
}

struct turn_client *relay_turn(struct relay *r)
{
	return r->tc;
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	loop_timer_cancel(r->loop, &r->t_notify);
	while (r->peers)
		relay_peer_remove(r, r->peers);
	turn_client_free(r->tc);
	free(r->ring);
	free(r);
}
