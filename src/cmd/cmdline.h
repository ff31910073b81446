/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the subcommands share: the -c/--config-dir options and loading the
 * configuration with its diagnostics printed the same way everywhere. */
#ifndef SM_CMDLINE_H
#define SM_CMDLINE_H

#include "cmd/commands.h"
#include "config/config.h"

/* getopt_long ids for the shared options; commands put CMDLINE_CONFIG_OPTIONS in their
 * option table and pass unknown ids to cmdline_config_option(). */
enum { OPT_CONFIG_DIR = 0x1000 };
#define CMDLINE_CONFIG_OPTIONS                                      \
	{ "config", required_argument, NULL, 'c' },                 \
	{ "config-dir", required_argument, NULL, OPT_CONFIG_DIR }

/* 1 when opt was one of the shared options (and is recorded in src), else 0. */
int cmdline_config_option(int opt, const char *arg, struct config_source *src);

/* Finds and loads the configuration (store_config_load: plugin entries checked against
 * their store kind), prints every diagnostic to stderr as file:line:column, and applies log.level/log.format to app->log. Returns EXIT_OK with
 * *out set, or EXIT_CONFIG. With require_file, finding no file is an error. */
int cmdline_load_config(struct app *app, const struct config_source *src, bool require_file,
			struct config **out);

#endif
