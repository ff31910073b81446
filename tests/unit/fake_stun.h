/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fake STUN server for the engine's tests, on the fake network of fake_wg.h: a
 * Binding request from a WireGuard port is answered, after rtt_ms on the loop, with the
 * public address that port's NAT maps to (another port per server for a symmetric
 * NAT). Servers can be switched off. The engine reaches it through fake_stun_ops
 * (context: the struct fake_stun). */
#ifndef SM_FAKE_STUN_H
#define SM_FAKE_STUN_H

#include <stdbool.h>

#include "daemon/engine-deps.h"
#include "fake_wg.h"

#define FAKE_STUN_SERVERS 4

struct fake_stun_reply;

struct fake_stun {
	struct fake_net *net;
	struct {
		union sm_addr addr;
		bool down;
		unsigned requests;
	} servers[FAKE_STUN_SERVERS];
	size_t n_servers;
	int64_t rtt_ms;
	unsigned opens, closes;
	struct fake_stun_reply *replies; /* in flight */
};

extern const struct engine_stun_ops fake_stun_ops;

void fake_stun_init(struct fake_stun *s, struct fake_net *net);
/* A server at "ip:port". */
void fake_stun_add(struct fake_stun *s, const char *addr);
void fake_stun_free(struct fake_stun *s);
/* Requests answered by all servers so far. */
unsigned fake_stun_requests(const struct fake_stun *s);

#endif
