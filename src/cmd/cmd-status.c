/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `stunmesh status` and `stunmesh refresh`: clients of the running daemon's control
 * socket. */
#include "cmd/cmdline.h"
#include "daemon/control.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The socket path: --socket, else the configuration's control_socket (the file is
 * looked up as the daemon does), else the default. */
static int socket_path(struct app *app, const struct config_source *src, const char *given,
		       char **out)
{
	struct config *cfg = NULL;
	int r;

	if (given) {
		*out = strdup(given);
		return *out ? EXIT_OK : EXIT_FAIL;
	}
	r = cmdline_load_config(app, src, false, &cfg);
	if (r)
		return r;
	*out = strdup(cfg->control_socket);
	config_free(cfg);
	return *out ? EXIT_OK : EXIT_FAIL;
}

static int client(struct app *app, int argc, char **argv, bool refresh)
{
	enum { OPT_SOCKET = 0x3000, OPT_JSON };
	static const struct option opts[] = {
		CMDLINE_CONFIG_OPTIONS,
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_source src = { 0 };
	struct errbuf e = { "" };
	const char *sock = NULL;
	char *path = NULL, req[300];
	bool json = false;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long_only(argc, argv, "c:h", opts, NULL)) != -1) {
		if (cmdline_config_option(opt, optarg, &src))
			continue;
		switch (opt) {
		case OPT_SOCKET: sock = optarg; break;
		case OPT_JSON: json = true; break;
		case 'h':
			printf(refresh ? "usage: %s refresh [PEER] [-c FILE] [--socket PATH]\n"
					 "Asks the running daemon to re-discover its public endpoints and re-read\n"
					 "the records of all peers (or of PEER) now.\n"
				       : "usage: %s status [--json] [-c FILE] [--socket PATH]\n"
					 "Shows what the running daemon sees: per interface the public endpoints,\n"
					 "per peer its state, endpoint, last handshake, transfer and store results.\n",
			       app->prog);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (refresh) {
		if (argc - optind > 1) {
			fprintf(stderr, "%s refresh: at most one peer name\n", app->prog);
			return EXIT_USAGE;
		}
		snprintf(req, sizeof(req), "refresh%s%.256s", optind < argc ? " " : "",
			 optind < argc ? argv[optind] : "");
	} else {
		if (optind < argc) {
			fprintf(stderr, "%s status: unexpected argument '%s'\n", app->prog, argv[optind]);
			return EXIT_USAGE;
		}
		snprintf(req, sizeof(req), "%s", json ? "status json" : "status");
	}
	r = socket_path(app, &src, sock, &path);
	if (r)
		return r;
	r = control_request(path, req, stdout, &e);
	free(path);
	if (r) {
		fprintf(stderr, "%s: %s\n", app->prog, e.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_status(struct app *app, int argc, char **argv)
{
	return client(app, argc, argv, false);
}

int cmd_refresh(struct app *app, int argc, char **argv)
{
	return client(app, argc, argv, true);
}
