/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A TURN server played on loopback for the tests and the relay benchmark, on the
 * caller's event loop: one allocation at a time, long-term or REST API (coturn's
 * use-auth-secret) credentials checked the way coturn does, 401/438/437 as a server
 * sends them, permissions, channels, Send/Data indications, ChannelData both ways
 * through a relay socket, and knobs to misbehave. Header-only (static functions):
 * included by test_turn_client.c, test_relay.c and the relay bench. Written from
 * RFC 8656 on proto/turn's builder and parser. */
#ifndef SM_TURN_SIM_H
#define SM_TURN_SIM_H

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/addr.h"
#include "lib/loop.h"
#include "proto/turn.h"

#define SIM_FN __attribute__((unused)) static
#define SIM_BATCH 64
#define SIM_MAX 16

struct turn_sim {
	struct loop *loop;
	int fd, rfd; /* the server's port, the allocation's relay port */
	union sm_addr addr, relayed, client, alloc_client;
	const char *user, *pass, *secret, *realm;
	char nonce[24];
	bool has_alloc;
	uint32_t grant; /* allocation lifetime granted */
	int64_t now_unix; /* REST expiry check; 0 = time() */
	struct { union sm_addr addr; bool on; } perm[SIM_MAX];
	struct { union sm_addr addr; uint16_t ch; } chans[SIM_MAX];
	/* misbehaviour */
	bool silent;	     /* answer nothing */
	bool stale_next;     /* the next authenticated request gets a 438 */
	bool stale_always;   /* every authenticated request gets a 438 (a broken server) */
	bool mismatch_always; /* every request on an allocation gets a 437 (broken) */
	bool ignore_bind;    /* ChannelBind unanswered */
	bool forbid_perm;    /* CreatePermission answered 403 */
	bool forge_first;    /* a success with a wrong MESSAGE-INTEGRITY before each real one */
	bool echo;	     /* ChannelData comes straight back (the bench's "peer") */
	/* counters */
	unsigned n_unauth, n_auth, n_401, n_438, n_437, n_refresh, n_delete, n_perm, n_bind;
	unsigned n_send_ind;
	uint64_t n_chdata_in, n_to_peer, n_from_peer;
	char last_user[640];
	/* batches */
	struct mmsghdr msgs[SIM_BATCH];
	struct iovec iov[SIM_BATCH];
	union sm_addr from[SIM_BATCH];
	uint8_t ring[SIM_BATCH][2048];
	uint8_t out[2048];
};

static uint16_t sim_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* The USERNAME attribute of a request (the parser keeps only what a client needs). */
static bool sim_username(const uint8_t *b, size_t len, char *out, size_t cap)
{
	for (size_t off = STUN_HEADER_LEN; off + 4 <= len;) {
		uint16_t at = sim_get16(b + off), al = sim_get16(b + off + 2);

		if (off + 4 + al > len)
			return false;
		if (at == STUN_ATTR_USERNAME) {
			if (al >= cap)
				return false;
			memcpy(out, b + off + 4, al);
			out[al] = '\0';
			return true;
		}
		off += 4 + (((size_t)al + 3) & ~(size_t)3);
	}
	return false;
}

static void sim_send(struct turn_sim *s, const uint8_t *b, size_t n)
{
	sendto(s->fd, b, n, 0, &s->client.sa, addr_len(&s->client));
}

/* An error answer; REALM and NONCE with 401 and 438. */
static void sim_error(struct turn_sim *s, const struct turn_message *q, unsigned code)
{
	uint8_t ec[4 + 32] = { 0, 0, (uint8_t)(code / 100), (uint8_t)(code % 100) };
	const char *reason = turn_error_name(code) ? turn_error_name(code) : "Error";
	struct turn_msg m;
	size_t n;

	memcpy(ec + 4, reason, strlen(reason));
	turn_msg_init(&m, s->out, sizeof(s->out), q->method, STUN_CLASS_ERROR, q->txid);
	turn_msg_attr(&m, STUN_ATTR_ERROR_CODE, ec, 4 + strlen(reason));
	if (code == 401 || code == 438) {
		turn_msg_attr(&m, STUN_ATTR_REALM, s->realm, strlen(s->realm));
		turn_msg_attr(&m, STUN_ATTR_NONCE, s->nonce, strlen(s->nonce));
	}
	turn_msg_fingerprint(&m);
	if (turn_msg_finish(&m, &n) == 0)
		sim_send(s, s->out, n);
}

static void sim_new_nonce(struct turn_sim *s)
{
	uint8_t r[8];

	randombytes_buf(r, sizeof(r));
	hex_encode(s->nonce, r, sizeof(r));
}

/* The key of the request's user, or false (unknown user, REST username expired). */
static bool sim_key(struct turn_sim *s, const char *user, uint8_t key[TURN_KEY_LEN])
{
	char u[640], pass[64];
	uint64_t exp;

	if (!s->secret) {
		if (strcmp(user, s->user))
			return false;
		turn_long_term_key(user, s->realm, s->pass, key);
		return true;
	}
	exp = strtoull(user, NULL, 10);
	if ((uint64_t)(s->now_unix ? s->now_unix : time(NULL)) > exp)
		return false;
	if (turn_rest_credentials((const uint8_t *)s->secret, strlen(s->secret), exp,
				  strchr(user, ':') ? strchr(user, ':') + 1 : "", u, sizeof(u), pass,
				  sizeof(pass)) || strcmp(u, user))
		return false;
	turn_long_term_key(user, s->realm, pass, key);
	return true;
}

static void sim_success(struct turn_sim *s, const struct turn_message *q, const uint8_t *key,
			bool alloc, uint32_t lifetime, bool has_lifetime)
{
	struct turn_msg m;
	size_t n;

	if (s->forge_first) {
		uint8_t bad[TURN_KEY_LEN] = { 1 };

		turn_msg_init(&m, s->out, sizeof(s->out), q->method, STUN_CLASS_SUCCESS, q->txid);
		turn_msg_attr_xaddr(&m, TURN_ATTR_XOR_RELAYED_ADDRESS, &s->addr.sa);
		turn_msg_attr_u32(&m, TURN_ATTR_LIFETIME, 1);
		turn_msg_integrity(&m, bad, sizeof(bad));
		turn_msg_fingerprint(&m);
		if (turn_msg_finish(&m, &n) == 0)
			sim_send(s, s->out, n);
	}
	turn_msg_init(&m, s->out, sizeof(s->out), q->method, STUN_CLASS_SUCCESS, q->txid);
	if (alloc) {
		turn_msg_attr_xaddr(&m, TURN_ATTR_XOR_RELAYED_ADDRESS, &s->relayed.sa);
		turn_msg_attr_xaddr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, &s->client.sa);
	}
	if (has_lifetime)
		turn_msg_attr_u32(&m, TURN_ATTR_LIFETIME, lifetime);
	turn_msg_integrity(&m, key, TURN_KEY_LEN);
	turn_msg_fingerprint(&m);
	if (turn_msg_finish(&m, &n) == 0)
		sim_send(s, s->out, n);
}

static void sim_relay_readable(struct loop *l, int fd, unsigned events, void *arg);

static int sim_open_relay(struct turn_sim *s)
{
	socklen_t sl = sizeof(s->relayed);
	int buf = 4 << 20;

	s->rfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(s->rfd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(s->rfd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	memset(&s->relayed, 0, sizeof(s->relayed));
	s->relayed.in.sin_family = AF_INET;
	s->relayed.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s->rfd < 0 || bind(s->rfd, &s->relayed.sa, sizeof(s->relayed.in)) ||
	    getsockname(s->rfd, &s->relayed.sa, &sl))
		return -errno;
	return loop_fd_add(s->loop, s->rfd, LOOP_READ, sim_relay_readable, s);
}

static void sim_drop_alloc(struct turn_sim *s)
{
	if (s->rfd >= 0) {
		loop_fd_remove(s->loop, s->rfd);
		close(s->rfd);
		s->rfd = -1;
	}
	s->has_alloc = false;
	memset(s->perm, 0, sizeof(s->perm));
	memset(s->chans, 0, sizeof(s->chans));
}

static bool sim_permitted(const struct turn_sim *s, const union sm_addr *a)
{
	for (size_t i = 0; i < SIM_MAX; i++)
		if (s->perm[i].on && addr_same_host(&s->perm[i].addr, a))
			return true;
	return false;
}

static void sim_permit(struct turn_sim *s, const union sm_addr *a)
{
	for (size_t i = 0; i < SIM_MAX; i++) {
		if (!s->perm[i].on || addr_same_host(&s->perm[i].addr, a)) {
			s->perm[i].on = true;
			s->perm[i].addr = *a;
			return;
		}
	}
}

static int sim_bind(struct turn_sim *s, uint16_t ch, const union sm_addr *a)
{
	for (size_t i = 0; i < SIM_MAX; i++) {
		if (s->chans[i].ch == ch && !addr_equal(&s->chans[i].addr, a))
			return 400; /* bound to another address */
		if (s->chans[i].ch != ch && s->chans[i].ch && addr_equal(&s->chans[i].addr, a))
			return 400; /* that address has another channel */
	}
	for (size_t i = 0; i < SIM_MAX; i++) {
		if (!s->chans[i].ch || s->chans[i].ch == ch) {
			s->chans[i].ch = ch;
			s->chans[i].addr = *a;
			sim_permit(s, a);
			return 0;
		}
	}
	return 508;
}

/* One request (or indication) from the client. */
static void sim_request(struct turn_sim *s, const uint8_t *b, size_t len)
{
	struct turn_message q;
	uint8_t key[TURN_KEY_LEN];
	char user[640];
	int code;

	if (turn_parse(b, len, NULL, NULL, 0, &q, NULL))
		return;
	if (q.cls == STUN_CLASS_INDICATION && q.method == TURN_SEND) {
		s->n_send_ind++;
		if (s->has_alloc && q.has_peer && q.data && sim_permitted(s, &q.peer)) {
			sendto(s->rfd, q.data, q.data_len, 0, &q.peer.sa, addr_len(&q.peer));
			s->n_to_peer++;
		}
		return;
	}
	if (q.cls != STUN_CLASS_REQUEST || s->silent)
		return;
	if (!sim_username(b, len, user, sizeof(user))) {
		s->n_unauth++;
		s->n_401++;
		sim_error(s, &q, 401);
		return;
	}
	s->n_auth++;
	snprintf(s->last_user, sizeof(s->last_user), "%s", user);
	if (!sim_key(s, user, key) || turn_parse(b, len, NULL, key, TURN_KEY_LEN, &q, NULL) ||
	    !q.has_integrity) {
		s->n_401++;
		sim_error(s, &q, 401);
		return;
	}
	if (!q.nonce || q.nonce_len != strlen(s->nonce) || memcmp(q.nonce, s->nonce, q.nonce_len) ||
	    s->stale_next || s->stale_always) {
		s->stale_next = false;
		sim_new_nonce(s);
		s->n_438++;
		sim_error(s, &q, 438);
		return;
	}
	if (q.method == TURN_ALLOCATE) {
		if (s->has_alloc && addr_equal(&s->alloc_client, &s->client)) {
			s->n_437++;
			sim_error(s, &q, 437);
			return;
		}
		/* one allocation at a time: another 5-tuple's replaces it */
		sim_drop_alloc(s);
		if (sim_open_relay(s)) {
			sim_error(s, &q, 508);
			return;
		}
		s->has_alloc = true;
		s->alloc_client = s->client;
		sim_success(s, &q, key, true, s->grant, true);
		return;
	}
	if (!s->has_alloc || s->mismatch_always || !addr_equal(&s->alloc_client, &s->client)) {
		s->n_437++;
		sim_error(s, &q, 437);
		return;
	}
	switch (q.method) {
	case TURN_REFRESH:
		if (q.has_lifetime && q.lifetime == 0) {
			s->n_delete++;
			sim_success(s, &q, key, false, 0, true);
			sim_drop_alloc(s);
			return;
		}
		s->n_refresh++;
		sim_success(s, &q, key, false, s->grant, true);
		return;
	case TURN_CREATE_PERMISSION:
		s->n_perm++;
		if (s->forbid_perm || !q.has_peer) {
			sim_error(s, &q, 403);
			return;
		}
		sim_permit(s, &q.peer);
		sim_success(s, &q, key, false, 0, false);
		return;
	case TURN_CHANNEL_BIND:
		s->n_bind++;
		if (s->ignore_bind)
			return;
		if (!q.has_channel || !q.has_peer) {
			sim_error(s, &q, 400);
			return;
		}
		if ((code = sim_bind(s, q.channel, &q.peer))) {
			sim_error(s, &q, (unsigned)code);
			return;
		}
		sim_success(s, &q, key, false, 0, false);
		return;
	default:
		sim_error(s, &q, 400);
	}
}

static const union sm_addr *sim_chan_addr(const struct turn_sim *s, uint16_t ch)
{
	for (size_t i = 0; i < SIM_MAX; i++)
		if (s->chans[i].ch == ch)
			return &s->chans[i].addr;
	return NULL;
}

static void sim_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct turn_sim *s = arg;
	struct mmsghdr echo[SIM_BATCH];
	unsigned ne = 0;
	int n;

	(void)l;
	(void)events;
	n = recvmmsg(fd, s->msgs, SIM_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		uint8_t *b = s->ring[i];
		size_t len = s->msgs[i].msg_len;
		const union sm_addr *to;
		const uint8_t *d;
		uint16_t ch;
		size_t dl;

		if (!s->has_alloc || !addr_equal(&s->from[i], &s->client))
			s->client = s->from[i];
		if (!turn_is_channel_data(b, len)) {
			sim_request(s, b, len);
			continue;
		}
		s->n_chdata_in++;
		if (!s->has_alloc || turn_channel_parse(b, len, &ch, &d, &dl) || !(to = sim_chan_addr(s, ch)))
			continue;
		if (s->echo) {
			echo[ne].msg_hdr = s->msgs[i].msg_hdr;
			echo[ne].msg_hdr.msg_iov->iov_len = len;
			echo[ne].msg_hdr.msg_name = &s->client;
			echo[ne].msg_hdr.msg_namelen = addr_len(&s->client);
			ne++;
			continue;
		}
		sendto(s->rfd, d, dl, 0, &to->sa, addr_len(to));
		s->n_to_peer++;
	}
	if (ne)
		sendmmsg(s->fd, echo, ne, 0);
	for (int i = 0; i < n; i++) {
		s->iov[i].iov_len = sizeof(s->ring[i]);
		s->msgs[i].msg_hdr.msg_namelen = sizeof(s->from[i]);
	}
}

/* A peer's datagram to the relayed address: ChannelData when bound, else a Data
 * indication, and nothing from an IP without a permission. */
static void sim_relay_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct turn_sim *s = arg;
	uint8_t in[2048], txid[STUN_TXID_LEN];
	union sm_addr from;
	socklen_t sl = sizeof(from);
	struct turn_msg m;
	ssize_t r;
	size_t n;

	(void)l;
	(void)events;
	while ((r = recvfrom(fd, in, sizeof(in) - 8, MSG_DONTWAIT, &from.sa, &sl)) >= 0) {
		uint16_t ch = 0;

		sl = sizeof(from);
		if (!sim_permitted(s, &from))
			continue;
		s->n_from_peer++;
		for (size_t i = 0; i < SIM_MAX; i++)
			if (s->chans[i].ch && addr_equal(&s->chans[i].addr, &from))
				ch = s->chans[i].ch;
		if (ch) {
			turn_channel_header(s->out, ch, (size_t)r);
			memcpy(s->out + 4, in, (size_t)r);
			sim_send(s, s->out, 4 + (size_t)r);
			continue;
		}
		randombytes_buf(txid, sizeof(txid));
		turn_msg_init(&m, s->out, sizeof(s->out), TURN_DATA, STUN_CLASS_INDICATION, txid);
		turn_msg_attr_xaddr(&m, TURN_ATTR_XOR_PEER_ADDRESS, &from.sa);
		turn_msg_attr(&m, TURN_ATTR_DATA, in, (size_t)r);
		turn_msg_fingerprint(&m);
		if (turn_msg_finish(&m, &n) == 0)
			sim_send(s, s->out, n);
	}
}

/* Starts the server on 127.0.0.1 (port 0: any). Long-term user/pass, or secret (REST). */
SIM_FN int turn_sim_open(struct turn_sim *s, struct loop *l, uint16_t port)
{
	socklen_t sl = sizeof(s->addr);
	int buf = 4 << 20;

	memset(s, 0, sizeof(*s));
	s->loop = l;
	s->rfd = -1;
	s->user = "alice";
	s->pass = "sim-password";
	s->realm = "sim.test";
	s->grant = 600;
	sim_new_nonce(s);
	for (size_t i = 0; i < SIM_BATCH; i++) {
		s->iov[i].iov_base = s->ring[i];
		s->iov[i].iov_len = sizeof(s->ring[i]);
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
		s->msgs[i].msg_hdr.msg_name = &s->from[i];
		s->msgs[i].msg_hdr.msg_namelen = sizeof(s->from[i]);
	}
	s->addr.in.sin_family = AF_INET;
	s->addr.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->addr.in.sin_port = htons(port);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	if (bind(s->fd, &s->addr.sa, sizeof(s->addr.in)) || getsockname(s->fd, &s->addr.sa, &sl))
		return -errno;
	return loop_fd_add(l, s->fd, LOOP_READ, sim_readable, s);
}

/* The server restarts: every allocation forgotten (its port stays open). */
SIM_FN void turn_sim_restart(struct turn_sim *s)
{
	sim_drop_alloc(s);
	sim_new_nonce(s);
}

SIM_FN void turn_sim_close(struct turn_sim *s)
{
	sim_drop_alloc(s);
	if (s->fd >= 0) {
		loop_fd_remove(s->loop, s->fd);
		close(s->fd);
		s->fd = -1;
	}
}

#endif
