/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon command: `stunmesh [run] [-c FILE] [--config-dir DIR] [--oneshot]`.
 * Options are accepted with one dash or two, as Go's flag package does, so a service
 * file written for stunmesh-go (`-oneshot`, `-config`) works unchanged. */
#include "cmdline.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [run] [-c FILE] [--config-dir DIR] [--oneshot [--timeout DURATION]]\n"
		"Runs the daemon: discovers each interface's public endpoint, publishes it for\n"
		"every peer, and sets each peer's endpoint from what the peer published.\n"
		"  -c, --config FILE    this configuration file exactly\n"
		"      --config-dir DIR config.yaml or config.yml in DIR\n"
		"      --oneshot        publish and establish once, then exit\n"
		"      --timeout D      with --oneshot: give up after D (default 30s)\n"
		"exit status: 0 success, 1 runtime failure, 2 usage error, 3 configuration error\n",
		prog);
}

int cmd_run(struct app *app, int argc, char **argv)
{
	enum { OPT_ONESHOT = 0x2000, OPT_TIMEOUT };
	static const struct option opts[] = {
		CMDLINE_CONFIG_OPTIONS,
		{ "oneshot", no_argument, NULL, OPT_ONESHOT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_source src = { 0 };
	struct config *cfg;
	int64_t timeout_ms = 30000;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long_only(argc, argv, "c:h", opts, NULL)) != -1) {
		if (cmdline_config_option(opt, optarg, &src))
			continue;
		switch (opt) {
		case OPT_ONESHOT:
			break;
		case OPT_TIMEOUT:
			if (parse_duration(optarg, &timeout_ms) || timeout_ms <= 0) {
				fprintf(stderr, "%s: --timeout: '%s' is not a duration (e.g. 30s)\n",
					app->prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout, app->prog);
			return EXIT_OK;
		default:
			usage(stderr, app->prog);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (commands come first: '%s %s ...')\n",
			app->prog, argv[optind], app->prog, argv[optind]);
		return EXIT_USAGE;
	}
	r = cmdline_load_config(app, &src, false, &cfg);
	if (r)
		return r;
	if (!cfg->path)
		log_warn(&app->log, "no configuration file found; using defaults (no interfaces)");
	if (cfg->stun_defaulted)
		log_warn(&app->log, "no stun.addresses configured; using %s", CONFIG_DEFAULT_STUN);
	/* The engine (issue: the daemon) is not part of this build yet. Say so plainly
	 * rather than pretend to run. */
	log_error(&app->log, "the daemon engine is not implemented in this version yet; "
			     "available now: check-config");
	config_free(cfg);
	return EXIT_FAIL;
}
