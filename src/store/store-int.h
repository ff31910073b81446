/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to src/store: what the generic parts (store.c, store-schema.c,
 * store-watch.c, store-dedup.c) call in each other. */
#ifndef SM_STORE_INT_H
#define SM_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>

struct config_plugin;
struct errbuf;
struct store;
struct store_ops;

/* The kind pl selects, its options checked (without changing pl); NULL with the first
 * problem in e and its code in *err. */
const struct store_ops *store_schema_check(const struct config_plugin *pl, struct errbuf *e,
					   int *err);
/* The secret strings of an entry: options the schema calls secret, plus what
 * config_plugin_secrets finds. Up to max pointers into out, valid while pl lives. */
size_t store_schema_secrets(const struct store_ops *ops, const struct config_plugin *pl,
			    const char **out, size_t max);

/* A record key: lowercase hex, 1 to STORE_KEY_MAX characters. */
bool store_valid_key(const char *key);

/* store_new's part. */
void store_watch_init(struct store *s);
/* store_free's parts. */
void store_watch_free(struct store *s);
void store_dedup_free(struct store *s);
/* store_cancel's: drops the watches with arg. */
void store_watch_cancel(struct store *s, void *arg);

#endif
