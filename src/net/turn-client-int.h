/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to net/turn-client*.c: turn-client-states.c runs the allocation's states and the
 * callbacks, turn-client-io.c the socket, the receive batches and the transactions. */
#ifndef SM_TURN_CLIENT_INT_H
#define SM_TURN_CLIENT_INT_H

#include <sys/socket.h>

#include "net/turn-client.h"
#include "proto/turn.h"

#define TC_BATCH 64
#define TC_SLOT 2048 /* one datagram; longer ones are dropped (MSG_TRUNC) */
#define TC_REQ_MAX 1024
#define TC_CHANNELS (TURN_CHANNEL_MAX - TURN_CHANNEL_MIN + 1)
#define TC_PERMISSION_REFRESH_MS 240000 /* they last 300 s */
#define TC_CHANNEL_REFRESH_MS 540000	/* they last 600 s */
#define TC_IMMEDIATE_MIN_MS 60000	/* at most one re-allocation without backoff per minute */

enum tc_state {
	TC_CHALLENGE,  /* the unauthenticated Allocate is out (expecting a 401) */
	TC_ALLOCATING, /* the authenticated Allocate is out */
	TC_READY,
	TC_WAITING, /* failed; t_retry armed */
};

enum tc_txn_kind { TXN_ALLOCATE, TXN_REFRESH, TXN_PERMISSION, TXN_BIND };

struct tc_txn {
	struct turn_client *tc;
	struct turn_peer *peer; /* permission and bind */
	enum tc_txn_kind kind;
	bool active, authed, stale_retried;
	uint8_t txid[STUN_TXID_LEN];
	uint8_t buf[TC_REQ_MAX];
	size_t len;
	unsigned sends;
	int64_t rto;
	uint32_t lifetime; /* refresh */
	struct loop_timer t;
};

struct turn_peer {
	struct turn_client *tc;
	void *arg;
	union sm_addr addr;
	uint16_t channel; /* assigned (binding or bound), 0 = none */
	bool bound, permitted, failed;
	bool ev_ready, ev_failed; /* callbacks due */
	char why[160];
	struct tc_txn perm, bind;
	struct loop_timer t_perm, t_bind; /* refreshes */
	struct turn_peer *next;
};

struct turn_client {
	struct loop *loop;
	struct turn_client_params p;
	const struct logger *log;
	char server_name[96];
	char *username, *password, *secret; /* copies; password and secret wiped at free */
	bool rest;
	char rest_user[640];
	char rest_pass[64];
	uint64_t rest_expiry;
	char realm[TURN_TEXT_MAX + 1];
	uint8_t nonce[TURN_TEXT_MAX];
	struct turn_auth auth;
	bool have_key;

	struct turn_client_cbs cb;
	void *arg;

	int fd;
	enum tc_state state;
	union sm_addr relayed, mapped;
	int64_t expires_at;
	struct tc_txn txn; /* Allocate or Refresh */
	struct loop_timer t_refresh, t_retry, t_notify, t_creds;
	int64_t backoff, auth_backoff, retry_at;
	unsigned allocations;
	bool realloc_now; /* the next attempt goes without waiting (after a 437) */
	int64_t immediate_at; /* when that was last done (loop ms), 0 = never */

	struct turn_peer *peers;
	unsigned n_peers;
	struct turn_peer *chan[TC_CHANNELS];
	uint16_t next_channel;

	/* callbacks due (delivered one per loop round by notify) */
	bool ev_allocated, ev_lost;
	int lost_err;
	char lost_why[400];
	int last_err;
	char why[256];

	/* the receive batch, allocated once */
	uint8_t *ring;
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint8_t sbuf[TC_SLOT + 64]; /* turn_client_send */
	uint64_t rx, rx_dropped;
};

/* turn-client-states.c */
void tc_log(struct turn_client *tc, enum log_level lv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tc_arm_notify(struct turn_client *tc);
/* The allocation failed or is gone: backoff (auth: the long one), lost() due. */
void tc_fail(struct turn_client *tc, int err, bool auth, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tc_on_response(struct turn_client *tc, struct tc_txn *x, const struct turn_message *m);
void tc_on_timeout(struct turn_client *tc, struct tc_txn *x);
/* The server's port is closed (ICMP port unreachable). */
void tc_server_closed(struct turn_client *tc);

/* turn-client-io.c */
int tc_socket_open(struct turn_client *tc, struct errbuf *e);
void tc_socket_close(struct turn_client *tc);
int tc_ring_alloc(struct turn_client *tc);
void tc_ring_free(struct turn_client *tc);
/* (Re)builds x's request for its kind with a new transaction id and sends it. */
void tc_txn_start(struct turn_client *tc, struct tc_txn *x, enum tc_txn_kind kind, bool authed);
void tc_txn_stop(struct turn_client *tc, struct tc_txn *x);
void tc_txn_init(struct turn_client *tc, struct tc_txn *x, struct turn_peer *peer);
/* A Refresh with lifetime 0, once, unanswered. */
void tc_release_send(struct turn_client *tc);

#endif
