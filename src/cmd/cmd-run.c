/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon command: `stunmesh [run] [-c FILE] [--config-dir DIR] [--oneshot]`.
 * Options are accepted with one dash or two, as Go's flag package does, so a service
 * file written for stunmesh-go (`-oneshot`, `-config`) works unchanged. */
#include "cmd/cmdline.h"
#include "daemon/engine.h"
#include "lib/loop.h"
#include "lib/rlimit.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

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

struct run {
	struct app *app;
	struct engine *eng;
	bool oneshot;
};

static void on_stop(struct loop *l, int signo, void *arg)
{
	struct run *run = arg;

	(void)l;
	log_info(&run->app->log, "%s: stopping (endpoints that were set stay set)", strsignal(signo));
	engine_stop(run->eng, run->oneshot ? 1 : 0);
}

static void on_hup(struct loop *l, int signo, void *arg)
{
	struct run *run = arg;

	(void)l;
	(void)signo;
	engine_reload(run->eng);
}

static int run_engine(struct app *app, struct config *cfg, const struct config_source *src,
		      bool oneshot, int64_t timeout_ms)
{
	struct engine_opts opts = { .oneshot = oneshot, .oneshot_timeout_ms = timeout_ms };
	struct errbuf e = { "" };
	struct run run = { .app = app, .oneshot = oneshot };
	struct loop *loop = NULL;
	int rc = EXIT_FAIL;

	raise_nofile_limit(NULL, NULL); /* plugin pipes: up to the hard limit, all polled */
	if (loop_new(&loop, &e)) {
		log_error(&app->log, "%s", e.msg);
		config_free(cfg);
		return EXIT_FAIL;
	}
	if (engine_new(loop, &app->log, cfg, &opts, src, NULL, &run.eng, &e)) {
		log_error(&app->log, "%s", e.msg);
		goto out;
	}
	if (loop_signal_add(loop, SIGTERM, on_stop, &run) ||
	    loop_signal_add(loop, SIGINT, on_stop, &run) || loop_signal_add(loop, SIGHUP, on_hup, &run)) {
		log_error(&app->log, "cannot set up signal handling");
		goto out;
	}
	if (engine_start(run.eng, &e)) {
		log_error(&app->log, "%s", e.msg);
		goto out;
	}
	log_info(&app->log, "stunmesh %s running%s", STUNMESH_VERSION, oneshot ? " once" : "");
	if (loop_run(loop) < 0) {
		log_error(&app->log, "event loop failed");
		goto out;
	}
	if (oneshot && engine_exit_code(run.eng))
		engine_report_failures(run.eng);
	rc = engine_exit_code(run.eng) ? EXIT_FAIL : EXIT_OK;
out:
	engine_free(run.eng);
	loop_free(loop);
	return rc;
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
	bool oneshot = false;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long_only(argc, argv, "c:h", opts, NULL)) != -1) {
		if (cmdline_config_option(opt, optarg, &src))
			continue;
		switch (opt) {
		case OPT_ONESHOT:
			oneshot = true;
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
	return run_engine(app, cfg, &src, oneshot, timeout_ms);
}
