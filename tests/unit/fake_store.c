/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mem_op {
	struct loop_timer timer;
	struct store_op *op;
};

struct mem {
	struct fake_stores *fs;
	struct fake_plugin *plugin;
};

void fake_stores_init(struct fake_stores *fs, struct loop *l)
{
	memset(fs, 0, sizeof(*fs));
	fs->loop = l;
	fs->delay_ms = 5;
}

void fake_stores_free(struct fake_stores *fs)
{
	for (size_t i = 0; i < fs->n_entries; i++)
		free(fs->entries[i].value);
	fs->n_entries = 0;
}

struct fake_plugin *fake_stores_plugin(struct fake_stores *fs, const char *name)
{
	for (size_t i = 0; i < fs->n_plugins; i++)
		if (!strcmp(fs->plugins[i].name, name))
			return &fs->plugins[i];
	if (fs->n_plugins == FAKE_STORE_PLUGINS)
		abort();
	snprintf(fs->plugins[fs->n_plugins].name, sizeof(fs->plugins[0].name), "%s", name);
	return &fs->plugins[fs->n_plugins++];
}

const char *fake_stores_get(const struct fake_stores *fs, const char *key)
{
	for (size_t i = 0; i < fs->n_entries; i++)
		if (!strcmp(fs->entries[i].key, key))
			return fs->entries[i].value;
	return NULL;
}

unsigned fake_stores_reads(const struct fake_stores *fs, const char *key)
{
	for (size_t i = 0; i < fs->n_reads; i++)
		if (!strcmp(fs->reads[i].key, key))
			return fs->reads[i].n;
	return 0;
}

static void count_read(struct fake_stores *fs, const char *key)
{
	size_t i;

	for (i = 0; i < fs->n_reads && strcmp(fs->reads[i].key, key); i++)
		;
	if (i == fs->n_reads) {
		if (fs->n_reads == FAKE_STORE_ENTRIES)
			return;
		snprintf(fs->reads[i].key, sizeof(fs->reads[i].key), "%s", key);
		fs->n_reads++;
	}
	fs->reads[i].n++;
}

static int put(struct fake_stores *fs, const char *key, const char *value)
{
	size_t i;
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	for (i = 0; i < fs->n_entries && strcmp(fs->entries[i].key, key); i++)
		;
	if (i == fs->n_entries) {
		if (fs->n_entries == FAKE_STORE_ENTRIES) {
			free(v);
			return -ENOSPC;
		}
		snprintf(fs->entries[i].key, sizeof(fs->entries[i].key), "%s", key);
		fs->n_entries++;
	}
	free(fs->entries[i].value);
	fs->entries[i].value = v;
	return 0;
}

static void mem_fire(struct loop *l, void *arg)
{
	struct mem_op *mo = arg;
	struct store_op *op = mo->op;
	struct mem *m = op->store->priv;
	const char *v;

	(void)l;
	op->priv = NULL;
	free(mo);
	if (m->plugin->fail[0] && (op->is_set || !m->plugin->fail_sets_only)) {
		store_op_done(op, STORE_ERROR, NULL, m->plugin->fail);
	} else if (op->is_set) {
		if (put(m->fs, op->key, op->value))
			store_op_done(op, STORE_ERROR, NULL, "the memory store is full");
		else
			store_op_done(op, STORE_OK, NULL, NULL);
	} else {
		count_read(m->fs, op->key);
		v = fake_stores_get(m->fs, op->key);
		store_op_done(op, v ? STORE_OK : STORE_NOT_FOUND, v, NULL);
	}
}

static int mem_start(struct store *s, struct store_op *op)
{
	struct mem *m = s->priv;
	struct mem_op *mo = calloc(1, sizeof(*mo));

	if (!mo)
		return -ENOMEM;
	if (op->is_set)
		m->plugin->sets++;
	else
		m->plugin->gets++;
	mo->op = op;
	loop_timer_init(&mo->timer, mem_fire, mo);
	loop_timer_arm(s->loop, &mo->timer, m->fs->delay_ms);
	op->priv = mo;
	return 0;
}

static void mem_cancel(struct store *s, struct store_op *op)
{
	struct mem_op *mo = op->priv;

	if (mo) {
		loop_timer_cancel(s->loop, &mo->timer);
		free(mo);
	}
	op->priv = NULL;
}

static void mem_destroy(struct store *s)
{
	struct mem *m = s->priv;

	m->plugin->freed++;
	free(m);
}

static const struct store_ops mem_ops = {
	.kind = "memory",
	.caps = { .dedup_default = true },
	.max_concurrent = SIZE_MAX,
	.start = mem_start,
	.cancel = mem_cancel,
	.destroy = mem_destroy,
};

int fake_store_new(void *ctx, const struct config_plugin *cfg, const struct store_env *env,
		   struct store **out, struct errbuf *e)
{
	struct fake_stores *fs = ctx;
	struct store *s = calloc(1, sizeof(*s));
	struct mem *m = calloc(1, sizeof(*m));

	if (!s || !m || !(s->name = strdup(cfg->name))) {
		free(s);
		free(m);
		return err_set(e, -ENOMEM, "out of memory");
	}
	/* a directory that cannot exist stands for a store that cannot be set up */
	if (cfg->dir && !strncmp(cfg->dir, "/nonexistent", 12)) {
		free(s->name);
		free(s);
		free(m);
		return err_set(e, -ENOENT, "directory %s: No such file or directory", cfg->dir);
	}
	m->fs = fs;
	m->plugin = fake_stores_plugin(fs, cfg->name);
	m->plugin->created++;
	/* what store_new sets up, for a kind that is not in the table of kinds */
	s->ops = &mem_ops;
	s->caps = mem_ops.caps;
	s->caps.cheap_reads = m->plugin->cheap_reads;
	s->loop = env->loop;
	s->log = env->log;
	s->timeout_ms = 10000;
	s->dedup = cfg->dedup_set ? cfg->dedup : true;
	s->max_running = SIZE_MAX;
	s->queue_tail = &s->queue;
	loop_timer_init(&s->notify_timer, NULL, s); /* never armed: no watch support */
	s->priv = m;
	*out = s;
	return 0;
}
