/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One TURN allocation (RFC 8656, UDP) on one server, on the event loop, and the peers
 * relayed through it.
 *
 *   Allocate without credentials -> 401 with REALM and NONCE -> Allocate with long-term
 *   credentials (username/password) or coturn's REST API ones (from a shared secret:
 *   username "<expiry>:<user>", a new allocation before they expire) -> the relayed
 *   address. Refresh before the lifetime ends; per peer a CreatePermission for its IP
 *   (every 240 s, they last 300) and a ChannelBind (every 540 s, they last 600); 438
 *   (stale nonce) answered once with the new nonce; 437 (allocation mismatch: the server
 *   restarted or forgot us), no answer, or the server's port closed -> a new allocation,
 *   after a backoff of retry_ms doubling to retry_max_ms, and allocated() again with the
 *   new relayed address. Wrong credentials (a 401 to an authenticated request, or 441)
 *   are one clear error and a long backoff (auth_retry_ms doubling to auth_retry_max_ms):
 *   never a retry storm.
 *
 * The socket is connected to the server and carries the fwmark; answers are accepted
 * only from it, every success must carry a MESSAGE-INTEGRITY made with our key. The
 * password, the secret and the key are never in logs or error texts, and are wiped.
 *
 * Data path: datagrams from the server are read in batches of 64 (recvmmsg) into
 * buffers allocated once; ChannelData is found by its channel number in a table
 * (O(1)), Data indications by their peer address, and given to data() pointing into
 * the batch, valid until data_end(). Sending ChannelData is the caller's (net/relay,
 * with sendmmsg on turn_client_fd()); turn_client_send() sends one datagram to a peer
 * (ChannelData when bound, else a Send indication).
 *
 * Callbacks come only from the loop, never from inside a turn_client_* call. */
#ifndef SM_TURN_CLIENT_H
#define SM_TURN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/util.h"

struct turn_client;
struct turn_peer;

struct turn_client_cbs {
	/* A new allocation: its relayed address (to publish) and the server-reflexive
	 * address the server saw. Again after every re-allocation (a changed address). */
	void (*allocated)(void *arg, const union sm_addr *relayed, const union sm_addr *mapped);
	/* The allocation is gone or could not be made: err (-EACCES wrong credentials,
	 * -ETIMEDOUT, -ECONNREFUSED, -EREMOTEIO an error code, ...) and why in words. It
	 * tries again by itself after the backoff (turn_client_status says when). */
	void (*lost)(void *arg, int err, const char *why);
	/* The peer has its permission and channel: ChannelData can flow. Again after a
	 * re-allocation or a move. */
	void (*peer_ready)(void *arg, struct turn_peer *p, void *peer_arg, uint16_t channel);
	/* The server refused the peer (403: an address it does not relay to, ...). */
	void (*peer_failed)(void *arg, struct turn_peer *p, void *peer_arg, const char *why);
	/* A datagram from a peer through the relay. data points into the receive batch
	 * (writable, valid until data_end). data() and data_end() must not free the
	 * client. */
	void (*data)(void *arg, struct turn_peer *p, void *peer_arg, uint8_t *data, size_t len);
	void (*data_end)(void *arg); /* the end of one batch of data() calls (may be NULL) */
	/* A Data indication from an address no peer has, whose IP has a permission: the
	 * peer's NAT gave it another port (a symmetric NAT). turn_client_peer_move() binds
	 * the peer there. May be NULL. */
	void (*unknown_peer)(void *arg, const union sm_addr *from, const uint8_t *data, size_t len);
};

struct turn_client_params {
	union sm_addr server;	 /* resolved: its family is the socket's */
	const char *server_name; /* for messages, e.g. "turn.example.net:3478" (NULL: address) */
	const char *username;	 /* long-term: required; REST API: the user part, optional */
	const char *password;	 /* long-term credentials, or ... */
	const char *secret;	 /* ... coturn's use-auth-secret shared secret (exactly one) */
	uint32_t credential_ttl_s; /* REST API credentials' validity (86400) */
	uint32_t lifetime_s;	   /* asked for (600); the server may grant less */
	int64_t refresh_max_ms;	   /* refresh (and so check) at least this often (300000) */
	uint32_t fwmark;
	int rcvbuf, sndbuf;	   /* socket buffers (4 MiB, 1 MiB) */
	int64_t rto_ms;		   /* first retransmission (500 ms), doubling */
	unsigned tries;		   /* transmissions per request (5) */
	int64_t retry_ms, retry_max_ms;		/* after errors (10 s doubling to 10 min) */
	int64_t auth_retry_ms, auth_retry_max_ms; /* wrong credentials (10 min to 1 h) */
	int64_t (*unix_now)(void *ctx);		/* wall clock for REST expiry; NULL: time() */
	void *clock_ctx;
	const struct logger *log; /* may be NULL */
};

void turn_client_params_default(struct turn_client_params *p);

/* Starts allocating. p is copied (secrets too, wiped at free). 0, or -EINVAL with why
 * in e for bad params (no server, neither or both of password and secret, ...). */
int turn_client_new(struct loop *l, const struct turn_client_params *p,
		    const struct turn_client_cbs *cb, void *arg, struct turn_client **out,
		    struct errbuf *e);
/* Releases the allocation (a Refresh with lifetime 0, one try, not waited for) and
 * frees everything. Peers need not be removed first. NULL is fine. */
void turn_client_free(struct turn_client *tc);

/* The path through the relay looks dead: check the allocation now (a Refresh), which
 * finds a restarted server at once instead of at the next refresh. */
void turn_client_check(struct turn_client *tc);
/* Try again now, without waiting out the backoff (a SIGHUP, a configuration change). */
void turn_client_retry(struct turn_client *tc);

/* A peer to relay to, at addr (same family as the server's relayed addresses): a
 * permission for its IP and a channel bound to addr, kept up while the allocation
 * lives and made again after a re-allocation. peer_arg comes back in the callbacks.
 * -ENOSPC when 4096 channels are in use. */
int turn_client_peer_add(struct turn_client *tc, const union sm_addr *addr, void *peer_arg,
			 struct turn_peer **out, struct errbuf *e);
void turn_client_peer_remove(struct turn_client *tc, struct turn_peer *p);
/* The peer is now at addr (its NAT moved it): a new channel is bound to addr. */
int turn_client_peer_move(struct turn_client *tc, struct turn_peer *p, const union sm_addr *addr);
const union sm_addr *turn_peer_addr(const struct turn_peer *p);
/* The bound channel, 0 while none is bound (data then goes as Send indications). */
uint16_t turn_peer_channel(const struct turn_peer *p);

/* The socket connected to the server (for sendmmsg of ChannelData), -1 when there is
 * no allocation. */
int turn_client_fd(const struct turn_client *tc);
/* One datagram to the peer: ChannelData if bound, else a Send indication. -EAGAIN when
 * the socket buffer is full (dropped, as the network would), -ENOTCONN without an
 * allocation. */
int turn_client_send(struct turn_client *tc, struct turn_peer *p, const uint8_t *data,
		     size_t len);
/* ChannelData went out on the fd and failed with -err (the relay's sendmmsg): an
 * ECONNREFUSED says the server's port is closed. */
void turn_client_send_error(struct turn_client *tc, int err);

enum turn_client_state {
	TURN_CLIENT_ALLOCATING = 0,
	TURN_CLIENT_READY,
	TURN_CLIENT_WAITING, /* failed; trying again at retry_in_ms */
};

struct turn_client_status {
	enum turn_client_state state;
	union sm_addr relayed, mapped;
	int64_t lifetime_left_ms;
	int64_t retry_in_ms;
	unsigned peers, peers_ready;
	unsigned allocations; /* made since start */
	bool rest;	      /* REST API credentials (the username is not shown) */
	int64_t credentials_expire_in_s; /* REST only */
	int last_err;
	char why[256]; /* the latest failure, "" if none */
	uint64_t rx_datagrams, rx_dropped; /* through the relay, and refused (no peer, bad) */
};

void turn_client_status(const struct turn_client *tc, struct turn_client_status *st);
const char *turn_client_server(const struct turn_client *tc); /* the name for messages */

#endif
