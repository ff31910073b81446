/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `stunmesh check-config`: what a user runs after editing the file, before a reload. */
#include "cmd/cmdline.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s check-config [-c FILE] [--config-dir DIR] [-q]\n"
		"       %s check-config --store-options\n"
		"Validates the configuration. Problems are printed as file:line:column; with none,\n"
		"the effective configuration (defaults filled in, secrets masked) is printed.\n"
		"  -c, --config FILE    this file exactly\n"
		"      --config-dir DIR config.yaml or config.yml in DIR\n"
		"  -q, --quiet          print only problems\n"
		"      --store-options  print the options of every store kind built in (Markdown)\n"
		"exit status: 0 valid, 2 usage error, 3 invalid or not found\n",
		prog, prog);
}

int cmd_check_config(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		CMDLINE_CONFIG_OPTIONS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "store-options", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_source src = { 0 };
	struct config *cfg;
	bool quiet = false;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long_only(argc, argv, "c:qh", opts, NULL)) != -1) {
		if (cmdline_config_option(opt, optarg, &src))
			continue;
		switch (opt) {
		case 'q': quiet = true; break;
		case 'S': store_kinds_doc(stdout); return EXIT_OK;
		case 'h': usage(stdout, app->prog); return EXIT_OK;
		default: usage(stderr, app->prog); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s check-config: unexpected argument '%s'\n", app->prog, argv[optind]);
		return EXIT_USAGE;
	}
	r = cmdline_load_config(app, &src, true, &cfg);
	if (r)
		return r;
	if (!quiet)
		config_print(cfg, stdout);
	fprintf(stderr, "%s: configuration OK (%zu interface%s, %zu plugin%s)\n",
		cfg->path, cfg->n_ifaces, cfg->n_ifaces == 1 ? "" : "s", cfg->n_plugins,
		cfg->n_plugins == 1 ? "" : "s");
	config_free(cfg);
	return EXIT_OK;
}
