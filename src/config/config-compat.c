/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Deprecated: the per-kind fields struct config_plugin had before options became
 * generic, filled from the options as written, because src/daemon/engine.c's
 * plugin_equal() still compares them on reload. Nothing else reads them; the store
 * layer has its own schema (store/store.h). This file, those fields and enum
 * plugin_type go once the engine calls store_config_equal(). */
#include "config/config-parse.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

static char *opt_copy(struct pstate *ps, const struct config_plugin *pl, const char *key,
		      const char *alias)
{
	const struct config_option *o = config_plugin_option(pl, key);

	if ((!o || !o->value) && alias)
		o = config_plugin_option(pl, alias);
	return o && o->value ? cp_strdup(ps, o->value) : NULL;
}

void cp_compat_fill(struct pstate *ps, struct config_plugin *pl)
{
	const char *t = pl->type_name ? pl->type_name : "";
	const char *b = pl->builtin ? pl->builtin : "";
	const struct config_option *o;

	if (!strcmp(t, "exec"))
		pl->type = PLUGIN_EXEC;
	else if (!strcmp(t, "shell"))
		pl->type = PLUGIN_SHELL;
	else if (!strcmp(t, "cloudflare") || (!strcmp(t, "builtin") && !strcmp(b, "cloudflare")))
		pl->type = PLUGIN_CLOUDFLARE;
	else if (!strcmp(t, "file") || (!strcmp(t, "builtin") && !strcmp(b, "file")))
		pl->type = PLUGIN_FILE;
	else
		pl->type = PLUGIN_OTHER;
	pl->command = opt_copy(ps, pl, "command", NULL);
	pl->zone = opt_copy(ps, pl, "zone", "zone_name");
	pl->token = opt_copy(ps, pl, "token", "api_token");
	pl->subdomain = opt_copy(ps, pl, "subdomain", NULL);
	pl->dir = opt_copy(ps, pl, "dir", NULL);
	if ((o = config_plugin_option(pl, "ttl")) && o->value)
		pl->ttl = atoi(o->value);
	if ((o = config_plugin_option(pl, "args")) && o->n_items) {
		pl->args = calloc(o->n_items + 1, sizeof(*pl->args));
		if (!pl->args) {
			ps->oom = true;
			return;
		}
		for (; pl->n_args < o->n_items; pl->n_args++)
			if (!(pl->args[pl->n_args] = cp_strdup(ps, o->items[pl->n_args])))
				return;
	}
}

void cp_compat_free(struct config_plugin *pl)
{
	free(pl->command);
	cp_free_strv(pl->args, pl->n_args);
	free(pl->zone);
	if (pl->token)
		secure_zero(pl->token, strlen(pl->token));
	free(pl->token);
	free(pl->subdomain);
	free(pl->dir);
}
