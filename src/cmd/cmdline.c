/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/cmdline.h"
#include "lib/util.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmdline_config_option(int opt, const char *arg, struct config_source *src)
{
	if (opt == 'c')
		src->file = arg;
	else if (opt == OPT_CONFIG_DIR)
		src->dir = arg;
	else
		return 0;
	return 1;
}

int cmdline_load_config(struct app *app, const struct config_source *src, bool require_file,
			struct config **out)
{
	struct config_diags diags = { 0 };
	struct errbuf e = { "" };
	struct config *cfg = NULL;
	char *path = NULL;
	int r;

	r = config_find(src, &path, &e);
	if (r) {
		fprintf(stderr, "%s: %s\n", app->prog, r == -ENOMEM ? strerror(ENOMEM) : e.msg);
		return EXIT_CONFIG;
	}
	if (!path && require_file) {
		fprintf(stderr,
			"%s: no configuration file found (looked for config.yaml and config.yml in "
			"$STUNMESH_CONFIG_DIR, /etc/stunmesh, ~/.stunmesh and the current directory; "
			"use -c FILE)\n",
			app->prog);
		return EXIT_CONFIG;
	}
	/* with the store layer's checks: plugin options are checked against their kind */
	r = store_config_load(path, &cfg, &diags);
	config_diags_print(&diags, stderr);
	if (r == -EINVAL) {
		fprintf(stderr, "%s: %zu error%s in %s\n", app->prog, diags.n_errors,
			diags.n_errors == 1 ? "" : "s", path);
	} else if (r) {
		fprintf(stderr, "%s: cannot load %s: %s\n", app->prog, path ? path : "defaults",
			strerror(-r));
	}
	config_diags_free(&diags);
	free(path);
	if (r)
		return EXIT_CONFIG;
	app->log.level = cfg->log_level;
	app->log.format = cfg->log_format;
	*out = cfg;
	return EXIT_OK;
}
