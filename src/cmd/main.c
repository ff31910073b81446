/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Entry point: picks the subcommand from a table. With no subcommand, or with options
 * first (`stunmesh -c FILE`, `stunmesh -oneshot` as stunmesh-go is started), it runs
 * the daemon, so existing service files keep working. */
#include "cmd/commands.h"

#include <stdio.h>
#include <string.h>

static const struct command {
	const char *name;
	int (*fn)(struct app *app, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run the daemon (the default when no command is given)" },
	{ "check-config", cmd_check_config, "validate the configuration and print it, secrets masked" },
	{ "status", cmd_status, "show what the running daemon sees (--json for scripts)" },
	{ "refresh", cmd_refresh, "ask the running daemon to re-discover and re-fetch now" },
	{ "show", cmd_show, "show the WireGuard interfaces as stunmesh sees them (read-only)" },
	{ "stun", cmd_stun, "show the public endpoint NAT gives a WireGuard port, per STUN server" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "list the commands" },
};

int cmd_help(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: %s [-c FILE] [--config-dir DIR] [--oneshot]\n"
	       "       %s COMMAND [OPTIONS]   (COMMAND -h for its options)\n\n"
	       "stunmesh finds the public address NAT gave each WireGuard interface, publishes it\n"
	       "encrypted for each peer in a key-value store, and sets each peer's endpoint from\n"
	       "what the peer published.\n\ncommands:\n",
	       app->prog, app->prog);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-14s %s\n", commands[i].name, commands[i].summary);
	printf("\nexit status: 0 success, 1 runtime failure, 2 usage error, 3 configuration error\n"
	       "see stunmesh(8) and docs/configuration.md\n");
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct app app;

	log_init(&app.log, stderr);
	app.prog = argc > 0 ? argv[0] : "stunmesh";
	if (argc > 1) {
		const char *a = argv[1];

		/* stunmesh-go's flags, which Go accepts with one or two dashes. */
		if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "-help"))
			return cmd_help(&app, argc - 1, argv + 1);
		if (!strcmp(a, "-version") || !strcmp(a, "--version"))
			return cmd_version(&app, argc - 1, argv + 1);
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(a, commands[i].name))
				return commands[i].fn(&app, argc - 1, argv + 1);
		if (a[0] != '-') {
			fprintf(stderr, "%s: unknown command '%s' (try '%s help')\n", app.prog, a,
				app.prog);
			return EXIT_USAGE;
		}
	}
	return cmd_run(&app, argc, argv);
}
