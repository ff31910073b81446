/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A memory store for the engine's tests: every store the engine makes (through
 * fake_store_new, the store factory of its dependency table; context: the struct
 * fake_stores) reads and writes one shared table, so two engines see each other's
 * records. Per plugin name a test can make reads or writes fail with an error, and
 * count how often the store was created and used. Operations finish on the loop after
 * delay_ms. */
#ifndef SM_FAKE_STORE_H
#define SM_FAKE_STORE_H

#include <stdbool.h>

#include "store/store.h"

#define FAKE_STORE_ENTRIES 64
#define FAKE_STORE_PLUGINS 8

struct fake_plugin {
	char name[32];
	char fail[128]; /* non-empty: operations fail with these words */
	bool fail_sets_only; /* then only writes fail */
	bool cheap_reads;    /* the store's caps say reads cost nothing (as a file store) */
	unsigned created, freed, gets, sets;
};

struct fake_stores {
	struct loop *loop;
	int64_t delay_ms;
	struct {
		char key[STORE_KEY_MAX + 1];
		char *value;
	} entries[FAKE_STORE_ENTRIES];
	size_t n_entries;
	struct fake_plugin plugins[FAKE_STORE_PLUGINS];
	size_t n_plugins;
	struct {
		char key[STORE_KEY_MAX + 1];
		unsigned n;
	} reads[FAKE_STORE_ENTRIES];
	size_t n_reads;
};

void fake_stores_init(struct fake_stores *fs, struct loop *l);
void fake_stores_free(struct fake_stores *fs);
int fake_store_new(void *ctx, const struct config_plugin *cfg, const struct store_env *env,
		   struct store **out, struct errbuf *e);
/* The counters and switches for the plugin called name (made on first use). */
struct fake_plugin *fake_stores_plugin(struct fake_stores *fs, const char *name);
/* How often key was read (found or not). */
unsigned fake_stores_reads(const struct fake_stores *fs, const char *key);
/* The value under key, NULL when none. */
const char *fake_stores_get(const struct fake_stores *fs, const char *key);

#endif
