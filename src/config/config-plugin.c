/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Entries under plugins:, read without knowing the store kinds: the keys every kind
 * shares (type, name, dedup, timeout, max_concurrent) are read and checked here, and
 * every option is kept as written, with its position, for the store layer, which
 * checks them against the entry's kind (config_checks). */
#include "config/config-parse.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CONCURRENT_LIMIT 1024

static const char *const common_keys[] = { "type", "name", "dedup", "timeout", "max_concurrent" };

bool config_plugin_common_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(common_keys); i++)
		if (!strcmp(key, common_keys[i]))
			return true;
	return false;
}

const struct config_option *config_plugin_option(const struct config_plugin *pl, const char *key)
{
	for (size_t i = 0; i < pl->n_options; i++)
		if (pl->options[i].key && !strcmp(pl->options[i].key, key))
			return &pl->options[i];
	return NULL;
}

static void plugin_option(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v,
			  void *arg)
{
	struct config_plugin *pl = arg;
	struct config_option *opts, *o;
	char label[160];

	(void)k;
	opts = realloc(pl->options, (pl->n_options + 1) * sizeof(*opts));
	if (!opts) {
		ps->oom = true;
		return;
	}
	pl->options = opts;
	o = &opts[pl->n_options];
	memset(o, 0, sizeof(*o));
	o->pos = cp_pos(v);
	if (!(o->key = cp_strdup(ps, key)))
		return;
	pl->n_options++;
	snprintf(label, sizeof(label), "plugins.%s.%s", pl->name, key);
	if (v->type == YAML_SEQUENCE_NODE) {
		o->unusable = !cp_get_strlist(ps, v, label, &o->items, &o->n_items);
	} else if (v->type == YAML_SCALAR_NODE) {
		o->value = cp_get_str(ps, v, label);
		o->unusable = !o->value ||
			      cp_split_list(ps, o->value, &o->items, &o->n_items) != 0;
	} else {
		cp_error(ps, v, "%s: expected a value or a list, found %s", label, cp_node_kind(v));
		o->unusable = true;
	}
}

/* A shared key's text, or NULL when it is absent or unusable (reported already). */
static const struct config_option *usable(const struct config_plugin *pl, const char *key)
{
	const struct config_option *o = config_plugin_option(pl, key);

	return o && !o->unusable ? o : NULL;
}

static void common_keys_read(struct pstate *ps, struct config_plugin *pl)
{
	const struct config_option *o;

	if ((o = config_plugin_option(pl, "type")) && !o->unusable && o->value)
		pl->type_name = cp_strdup(ps, o->value);
	else if (!o)
		cp_diag(ps, DIAG_ERROR, pl->pos, "plugins.%s: option 'type' is required (exec, shell or builtin)",
			pl->name);
	else if (!o->unusable)
		cp_diag(ps, DIAG_ERROR, o->pos, "plugins.%s.type: expected a value, found a list",
			pl->name);
	if (!pl->type_name && !ps->oom)
		pl->type_name = cp_strdup(ps, "");
	if ((o = usable(pl, "name"))) {
		if (o->value)
			pl->builtin = cp_strdup(ps, o->value);
		else
			cp_diag(ps, DIAG_ERROR, o->pos, "plugins.%s.name: expected a value, found a list",
				pl->name);
	}
	if ((o = usable(pl, "dedup"))) {
		if (o->value && config_parse_bool(o->value, &pl->dedup) == 0)
			pl->dedup_set = true;
		else
			cp_diag(ps, DIAG_ERROR, o->pos, "plugins.%s.dedup: '%s' is not a boolean",
				pl->name, o->value ? o->value : "(a list)");
	}
	if ((o = usable(pl, "timeout"))) {
		int64_t ms;

		if (!o->value || parse_duration(o->value, &ms))
			cp_diag(ps, DIAG_ERROR, o->pos,
				"plugins.%s.timeout: '%s' is not a duration (examples: 500ms, 10s, 1m)",
				pl->name, o->value ? o->value : "(a list)");
		else if (ms < 100)
			cp_diag(ps, DIAG_ERROR, o->pos,
				"plugins.%s.timeout: '%s' is too short (at least 100ms)", pl->name,
				o->value);
		else
			pl->timeout_ms = ms;
	}
	if ((o = usable(pl, "max_concurrent"))) {
		char *end = NULL;
		long n = o->value ? strtol(o->value, &end, 10) : 0;

		if (!o->value || !*o->value || *end || n < 1 || n > MAX_CONCURRENT_LIMIT)
			cp_diag(ps, DIAG_ERROR, o->pos,
				"plugins.%s.max_concurrent: '%s' is not a number from 1 to %d",
				pl->name, o->value ? o->value : "(a list)", MAX_CONCURRENT_LIMIT);
		else
			pl->max_concurrent = (int)n;
	}
}

void cp_parse_plugin(struct pstate *ps, const char *name, yaml_node_t *k, yaml_node_t *v,
		     void *arg)
{
	struct config *cfg = ps->cfg;
	struct config_plugin *pl;

	(void)arg;
	if (cfg->n_plugins >= MAX_PLUGINS) {
		cp_error(ps, k, "plugins: too many plugins (at most %d)", MAX_PLUGINS);
		return;
	}
	pl = &cfg->plugins[cfg->n_plugins];
	memset(pl, 0, sizeof(*pl));
	pl->pos = cp_pos(k);
	pl->timeout_ms = CONFIG_DEFAULT_PLUGIN_TIMEOUT_MS;
	if (!(pl->name = cp_strdup(ps, name)))
		return;
	cfg->n_plugins++;
	if (v->type != YAML_MAPPING_NODE) {
		cp_error(ps, v, "plugins.%s: expected a mapping with a 'type', found %s", name,
			 cp_node_kind(v));
		return;
	}
	cp_each_pair(ps, v, name, plugin_option, pl);
	if (ps->oom)
		return;
	common_keys_read(ps, pl);
	if (ps->oom)
		return;
	cp_compat_fill(ps, pl);
	if (ps->checks && ps->checks->plugin && ps->d) {
		ps->checks->plugin(pl, ps->d, ps->checks->ctx);
		pl->checked = true;
	}
}

static void wipe_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i])
			secure_zero(v[i], strlen(v[i]));
	cp_free_strv(v, n);
}

void cp_plugin_free(struct config_plugin *pl)
{
	free(pl->name);
	free(pl->type_name);
	free(pl->builtin);
	/* Any option may hold a secret (a token, a password in a URL, an argument after
	 * -token): all are wiped, not only those known to be secret. */
	for (size_t i = 0; i < pl->n_options; i++) {
		struct config_option *o = &pl->options[i];

		if (o->value)
			secure_zero(o->value, strlen(o->value));
		free(o->key);
		free(o->value);
		wipe_strv(o->items, o->n_items);
	}
	free(pl->options);
	cp_compat_free(pl);
}

bool config_is_secret_key(const char *key)
{
	return strstr(key, "token") || strstr(key, "secret") || strstr(key, "password") ||
	       !strcmp(key, "api_key") || !strcmp(key, "key");
}

/* The flag name of an argument ("--api-token=x" -> "api_token"), "" when it is none. */
static void flag_name(const char *a, char *name, size_t len)
{
	const char *eq = strchr(a, '=');
	size_t n;

	name[0] = '\0';
	if (a[0] != '-')
		return;
	n = strspn(a, "-");
	snprintf(name, len, "%.*s", (int)((eq ? (size_t)(eq - a) : strlen(a)) - n), a + n);
	for (char *c = name; *c; c++)
		if (*c == '-')
			*c = '_';
}

size_t config_plugin_secrets(const struct config_plugin *pl, const char **out, size_t max)
{
	size_t n = 0;
	char name[64];

	for (size_t i = 0; i < pl->n_options && n < max; i++) {
		const struct config_option *o = &pl->options[i];
		bool next = false;

		if (o->secret || config_is_secret_key(o->key)) {
			if (o->value && *o->value)
				out[n++] = o->value;
			for (size_t j = 0; j < o->n_items && n < max && !o->value; j++)
				if (*o->items[j])
					out[n++] = o->items[j];
			continue;
		}
		if (o->value && o->n_items <= 1)
			continue;
		/* lists: "-token X" and "--token=X" (the contrib Cloudflare plugin's flags) */
		for (size_t j = 0; j < o->n_items && n < max; j++) {
			const char *a = o->items[j], *eq = strchr(a, '=');

			if (next) {
				if (*a)
					out[n++] = a;
				next = false;
				continue;
			}
			flag_name(a, name, sizeof(name));
			if (!*name || !config_is_secret_key(name))
				continue;
			if (eq && eq[1])
				out[n++] = eq + 1;
			else if (!eq)
				next = true;
		}
	}
	return n;
}
