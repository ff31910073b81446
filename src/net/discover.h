/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding the public address of a local UDP port, one address family at a time, as a
 * non-blocking state machine an event loop drives:
 *
 *	discover_start(...)            resolves names, sends the first request
 *	poll discover_fd() for input   -> discover_on_readable(now)
 *	wait until discover_next_timeout() -> discover_on_timeout(now)
 *	until discover_done(); then discover_result() or discover_error()
 *
 * Servers are tried in order. Each gets a Binding request retransmitted with the same
 * transaction id (RFC 8489 6.2.1) after 250, 500 and 1000 ms, and 1250 ms more to
 * answer: 3 s in all, then the next server. A reply counts only if it comes from the
 * server's address and port and carries our transaction id. Times are CLOCK_MONOTONIC
 * microseconds, passed in, so tests run on a fake clock. */
#ifndef SM_DISCOVER_H
#define SM_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "net/rawsock.h"
#include "net/resolve.h"
#include "proto/stun.h"
#include "lib/util.h"

enum discover_server_state {
	DS_IDLE = 0,  /* not reached yet */
	DS_WAITING,   /* resolving or waiting for an answer */
	DS_OK,	      /* answered: mapped, rtt_us */
	DS_FAILED,    /* error says why */
	DS_SKIPPED,   /* not tried: an earlier server answered (first-answer mode) */
};

struct discover_server {
	char *spec; /* as configured, "host:port" */
	enum discover_server_state state;
	union sm_addr addr; /* resolved; family 0 until then */
	struct resolve *res;
	uint8_t txid[STUN_TXID_LEN];
	unsigned sends;
	int64_t started_us, first_send_us, last_send_us, deadline_us, next_poll_us;
	/* DS_OK */
	union sm_addr mapped;
	int64_t rtt_us; /* from the latest transmission: a retransmitted probe may look faster */
	bool from_xor;
	unsigned unknown_required;
	/* DS_FAILED */
	char error[256];
};

/* Where requests go; tests replace it, the default sends on the raw socket. */
struct discover_io {
	int (*send)(void *ctx, const struct sockaddr *dst, const uint8_t *buf, size_t len,
		    struct errbuf *e);
	void *ctx;
};

struct discover_params {
	int64_t rto_us;		/* first retransmission timeout; doubles */
	unsigned max_sends;	/* transmissions per server */
	int64_t last_wait_us;	/* wait after the last transmission */
	int64_t resolve_timeout_us;
	int64_t resolve_poll_us; /* how often a running lookup is checked */
	bool query_all;		/* ask every server (diagnostics) instead of stopping at the
				 * first answer */
};

struct discover {
	int family;
	uint16_t port;
	uint32_t fwmark;
	struct discover_params p;
	struct rawsock sock; /* fd -1 when io is replaced */
	struct discover_io io;
	const struct logger *log; /* may be NULL */
	struct discover_server *servers;
	size_t n_servers, cur;
	bool done;
	size_t answered;
	char error[1024];
};

/* 250 ms doubling, 4 sends, 3 s per server; 5 s for a name lookup; first answer wins. */
void discover_params_default(struct discover_params *p);

/* Starts discovery for family (AF_INET or AF_INET6) of local port `port`, probing from
 * that port with fwmark. servers are "host:port" strings (copied). p NULL = defaults.
 * io NULL = a raw socket is opened (needs CAP_NET_RAW); otherwise requests go to io and
 * replies are given with discover_feed(). A bad server spec fails the start. */
int discover_start(struct discover *d, char *const *servers, size_t n, int family,
		   uint16_t port, uint32_t fwmark, const struct discover_params *p,
		   const struct discover_io *io, const struct logger *log, int64_t now_us,
		   struct errbuf *e);
/* Releases everything; d can be started again. */
void discover_free(struct discover *d);

/* The fd to poll for POLLIN, -1 when there is none (io replaced, or done). */
int discover_fd(const struct discover *d);
/* Reads everything queued on the socket and feeds it. */
void discover_on_readable(struct discover *d, int64_t now_us);
/* Hands one received UDP payload from `from` to the state machine. Anything that is not
 * the answer we wait for is dropped (and logged at debug). */
void discover_feed(struct discover *d, const union sm_addr *from,
		   const uint8_t *buf, size_t len, int64_t now_us);
/* Absolute time of the next discover_on_timeout() call; INT64_MAX when done. */
int64_t discover_next_timeout(const struct discover *d);
void discover_on_timeout(struct discover *d, int64_t now_us);

bool discover_done(const struct discover *d);
/* After done: 0 with the first answer's mapped address, or -EHOSTUNREACH with the
 * message naming every server tried in discover_error(). */
int discover_result(const struct discover *d, union sm_addr *mapped);
const char *discover_error(const struct discover *d);

#endif
