/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's test bench: a fake world (clock, WireGuard devices and the NATs between
 * them, STUN servers, a memory store) and sites, each an engine with its configuration
 * file running on that world. Time only moves when the test moves it (world_run), and
 * then every timer fires at its due time, so minutes of a daemon's life take
 * milliseconds and every run is the same. */
#ifndef SM_FAKE_SITE_H
#define SM_FAKE_SITE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "config/config.h"
#include "daemon/engine.h"
#include "fake_clock.h"
#include "fake_store.h"
#include "fake_stun.h"
#include "fake_wg.h"

#define STUN_A "198.51.100.10:3478"
#define STUN_B "198.51.100.11:3478"

struct fake_world {
	struct fake_clock clock;
	struct loop *loop;
	struct logger log;
	struct fake_net net;
	struct fake_stun stun;
	struct fake_stores stores;
	struct engine_deps deps;
	char dir[64];
	long rounds; /* loop rounds run by world_run, in all */
};

struct fake_site {
	struct fake_world *w;
	struct fake_dev *dev;
	char path[128];
	struct config_source src;
	struct engine *eng;
};

void world_init(struct fake_world *w);
void world_free(struct fake_world *w);
/* Moves time on by ms, firing every timer when it is due. */
void world_run(struct fake_world *w, int64_t ms);
/* Runs until cond(arg) holds, at most max_ms; true when it held. */
bool world_run_until(struct fake_world *w, int64_t max_ms, bool (*cond)(void *), void *arg);

/* site->path gets the YAML as it is. */
void site_write(struct fake_site *s, const char *yaml);
/* A configuration for dev with one peer per device in peers (named after their
 * interfaces), peer i on plugin stores[i] (stores NULL: all on "mem"), plus extra YAML
 * for more plugins. */
void site_write_std(struct fake_site *s, struct fake_dev *const *peers,
		    const char *const *stores, size_t n, const char *extra_plugins);
void site_init(struct fake_site *s, struct fake_world *w, struct fake_dev *dev, const char *name);
/* Loads the file, builds and starts the engine. */
int site_start(struct fake_site *s, const struct engine_opts *opts);
void site_stop(struct fake_site *s);

/* From the status JSON: the peer named name (the caller deletes *root). */
cJSON *site_peer(struct fake_site *s, const char *name, cJSON **root);
/* Its "state", "fetch" or "publish" string, copied into buf. */
const char *site_peer_str(struct fake_site *s, const char *name, const char *field, char *buf,
			  size_t len);
bool site_connected(struct fake_site *s, const char *peer);
/* How many peers the status lists for the first interface. */
int site_n_peers(struct fake_site *s);

#endif
