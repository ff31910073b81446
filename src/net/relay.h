/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The data path for peers reached through a TURN relay. Per relayed peer a local UDP
 * socket on 127.0.0.1 (or ::1), an ephemeral port, connected to WireGuard's listen
 * port: its address is what WireGuard is given as that peer's endpoint. Packets
 * WireGuard sends there go to the TURN server as ChannelData (4-byte header written in
 * front of the packet where it was received: no copy, and no padding over UDP, RFC
 * 8656 12.5); packets from the server are found by channel number (net/turn-client)
 * and go out of that peer's local socket to WireGuard, which sees them come from the
 * peer's endpoint. Both directions move in batches of up to 64 (recvmmsg, sendmmsg;
 * a run of packets for one peer is one sendmmsg) through buffers allocated once:
 * nothing is allocated per packet.
 *
 * The relay owns its TURN client (one allocation): allocated()/lost() are the
 * client's. A peer whose NAT sends from another port than expected (a symmetric NAT:
 * the permission is per IP) is followed: its channel moves to where it sends from
 * (peer_moved). Traffic sent into the relay with nothing coming back for dead_ms has
 * the allocation checked (a restarted server is found at once).
 *
 * Callbacks come only from the loop, never from inside a relay_* call. */
#ifndef SM_RELAY_H
#define SM_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "net/turn-client.h"

struct relay;
struct relay_peer;

struct relay_params {
	struct turn_client_params turn; /* its log is the relay's too */
	uint16_t wg_port;		/* WireGuard's listen port */
	int local_family;		/* AF_INET (127.0.0.1, the default) or AF_INET6 (::1) */
	int64_t dead_ms;		/* sent with nothing back this long: check (5000) */
	int local_buf;			/* local sockets' buffers (1 MiB) */
};

struct relay_cbs {
	void (*allocated)(void *arg, const union sm_addr *relayed, const union sm_addr *mapped);
	void (*lost)(void *arg, int err, const char *why);
	void (*peer_ready)(void *arg, struct relay_peer *rp, void *peer_arg);
	void (*peer_failed)(void *arg, struct relay_peer *rp, void *peer_arg, const char *why);
	/* The peer sends from another address than it was added with; the relay follows. */
	void (*peer_moved)(void *arg, struct relay_peer *rp, void *peer_arg,
			   const union sm_addr *remote);
};

void relay_params_default(struct relay_params *p);

int relay_new(struct loop *l, const struct relay_params *p, const struct relay_cbs *cb,
	      void *arg, struct relay **out, struct errbuf *e);
/* Closes every local socket and releases the allocation. NULL is fine. */
void relay_free(struct relay *r);

/* A peer at remote (its public endpoint as far as known; same family as the relayed
 * address). 0 with the local endpoint for WireGuard in relay_peer_local(*out). */
int relay_peer_add(struct relay *r, const union sm_addr *remote, void *peer_arg,
		   struct relay_peer **out, struct errbuf *e);
void relay_peer_remove(struct relay *r, struct relay_peer *rp);
/* The peer's record says it is elsewhere now. */
int relay_peer_set_remote(struct relay *r, struct relay_peer *rp, const union sm_addr *remote);
/* WireGuard's endpoint for this peer: 127.0.0.1:port (or [::1]:port). */
const union sm_addr *relay_peer_local(const struct relay_peer *rp);
const union sm_addr *relay_peer_remote(const struct relay_peer *rp);
bool relay_peer_ready(const struct relay_peer *rp);

struct relay_peer_stats {
	uint64_t to_relay, from_relay;	  /* packets */
	uint64_t to_relay_bytes, from_relay_bytes;
	uint64_t dropped;		  /* no channel or allocation yet, full buffers */
	uint16_t channel;
};
void relay_peer_stats(const struct relay_peer *rp, struct relay_peer_stats *st);

/* The allocation, for status, turn_client_retry and turn_client_check. */
struct turn_client *relay_turn(struct relay *r);

#endif
