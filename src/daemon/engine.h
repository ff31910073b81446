/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon: one event loop driving, per configured interface, STUN discovery from the
 * WireGuard port, publishing our endpoint for each peer, and, per peer, the state
 * machine of peer.h fed by the peer's records and by WireGuard's counters. Every
 * interface, peer and store progresses on its own: a failing store or a missing
 * interface holds up nothing else. The state is private to src/daemon (engine-int.h). */
#ifndef SM_ENGINE_H
#define SM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "daemon/engine-deps.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/util.h"

struct engine;

/* Builds the engine for cfg (taken over, also on failure) on loop, with deps (NULL:
 * the real ones; copied). Interfaces that do not exist yet are retried; only resource
 * errors fail. */
int engine_new(struct loop *loop, struct logger *log, struct config *cfg,
	       const struct engine_opts *opts, const struct config_source *src,
	       const struct engine_deps *deps, struct engine **out, struct errbuf *e);
/* Starts everything (discovery, fetches, sampling, the control socket). */
int engine_start(struct engine *eng, struct errbuf *e);
/* Re-reads the configuration and applies the difference: unchanged peers and stores
 * are kept as they are. 0 when applied; otherwise (errors in the file, out of memory)
 * -errno, and the running configuration stays exactly as it was. */
int engine_reload(struct engine *eng);
/* The same with a configuration already loaded: taken over when applied (0); on
 * failure it stays the caller's, and the running one is untouched. */
int engine_apply(struct engine *eng, struct config *cfg);
/* Re-discovers and re-fetches now: all peers, or the peers named `peer` (NULL = all).
 * Returns the number of peers affected. */
size_t engine_refresh(struct engine *eng, const char *peer);
/* Stops the daemon with exit_code: keepalives we hold are given back, and once the
 * devices have taken them (or after a short deadline) the loop stops. */
void engine_stop(struct engine *eng, int exit_code);
int engine_exit_code(const struct engine *eng);
/* Closes everything; a keepalive still held is given back on the way. */
void engine_free(struct engine *eng);

/* Status as JSON (malloc'd string) or text. */
char *engine_status_json(struct engine *eng);
void engine_status_text(struct engine *eng, FILE *f);

/* For --oneshot: true when every peer on a present device has had an endpoint set and
 * every publish has succeeded. */
bool engine_oneshot_done(const struct engine *eng);
/* Prints which peers did not make it and why (for --oneshot). */
void engine_report_failures(const struct engine *eng);

#endif
