/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fake WireGuard world for the engine's tests: devices with peers, each behind a NAT
 * that maps its listen port to one public address, and a network between them that
 * behaves like two port-restricted NATs: a peer's packets arrive only when each side's
 * endpoint for the other is the other's public address. What the engine cares about is
 * modelled after WireGuard (see /work/notes/wg-timers.md): a keepalive or data with no
 * session sends a handshake initiation (at most one per 5 s), a keepalive interval that
 * goes from 0 to N sends one at once, persistent keepalives every N s, counters for
 * what went out and what came in, the last handshake time.
 *
 * The engine reaches it through fake_wg_ops (context: the struct fake_net), whose
 * requests complete from the loop, in order, after op_delay_ms. */
#ifndef SM_FAKE_WG_H
#define SM_FAKE_WG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/engine-deps.h"
#include "fake_clock.h"
#include "lib/loop.h"
#include "wg/wg-model.h"

#define FAKE_MAX_DEVS 4
#define FAKE_MAX_PEERS 8
#define FAKE_KA_HISTORY 64

struct fake_peer {
	uint8_t pub[WG_KEY_LEN];
	union sm_addr endpoint;
	int keepalive;
	int64_t last_handshake; /* unix s */
	uint64_t rx, tx;
	bool traffic; /* the host sends data to this peer every second (and gets replies) */
	int64_t next_keepalive_ms, next_traffic_ms, next_initiation_ms;
	unsigned endpoint_sets;
	int ka_history[FAKE_KA_HISTORY]; /* every keepalive value set, in order */
	unsigned n_ka;
};

struct fake_dev {
	char name[IFNAMSIZ];
	bool exists;
	unsigned ifindex;
	uint16_t port;
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	union sm_addr public_addr; /* what its NAT maps the WireGuard port to */
	bool symmetric;		   /* its NAT maps per destination (a new port per server) */
	struct fake_peer peers[FAKE_MAX_PEERS];
	size_t n_peers;
	int fail_gets, fail_sets; /* -errno: readings / sets fail with it */
	unsigned gets, sets;
	unsigned stun_requests; /* answered by the fake STUN servers (fake_stun.h) */
};

struct fake_wg_op;

struct fake_net {
	struct loop *loop;
	struct fake_clock *clock;
	struct fake_dev devs[FAKE_MAX_DEVS];
	size_t n_devs;
	struct loop_timer tick;
	unsigned next_ifindex;
	unsigned handshakes;
	int64_t op_delay_ms;
	struct fake_wg_op *ops; /* requests in flight, on any handle */
	unsigned open_handles;
};

extern const struct engine_wg_ops fake_wg_ops;

void fake_net_init(struct fake_net *n, struct loop *l, struct fake_clock *c);
void fake_net_free(struct fake_net *n);
/* A device with a fresh key pair; public is "ip:port" of its NAT's mapping. */
struct fake_dev *fake_net_add_dev(struct fake_net *n, const char *name, uint16_t port,
				  const char *public_addr);
/* Makes a and b peers of each other with the users' keepalive values. */
void fake_net_link(struct fake_dev *a, int ka_a, struct fake_dev *b, int ka_b);
/* a's entry for the peer with key pub, NULL when none. */
struct fake_peer *fake_dev_peer(struct fake_dev *a, const uint8_t *pub);
/* The peer entry of a for b. */
struct fake_peer *fake_peer_of(struct fake_dev *a, const struct fake_dev *b);
/* Both directions between a and b pass the NATs. */
bool fake_net_path_open(const struct fake_net *n, const struct fake_dev *a, const struct fake_dev *b);
/* The interface is deleted and created again with the same configuration (key, port,
 * peers with the users' keepalives), as wg-quick would: a new index, no endpoints,
 * counters from zero. */
void fake_net_recreate(struct fake_net *n, struct fake_dev *d, const int *user_ka);
/* Its NAT now maps the port to another public address. */
void fake_net_move(struct fake_dev *d, const char *public_addr);
struct fake_dev *fake_net_dev_by_port(struct fake_net *n, uint16_t port);

#endif
