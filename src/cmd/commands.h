/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The subcommands. Each lives in its own cmd-*.c file and is listed once, in the table
 * in main.c. A command gets argv with argv[0] set to its own name and returns an exit
 * status from the list below. */
#ifndef SM_COMMANDS_H
#define SM_COMMANDS_H

#include "lib/log.h"

enum {
	EXIT_OK = 0,	 /* success */
	EXIT_FAIL = 1,	 /* runtime failure: something could not be done */
	EXIT_USAGE = 2,	 /* bad command line */
	EXIT_CONFIG = 3, /* configuration file missing or invalid */
};

struct app {
	struct logger log; /* the process-wide logger, owned by main() */
	const char *prog;  /* argv[0] of the process, for messages */
};

int cmd_run(struct app *app, int argc, char **argv);
int cmd_check_config(struct app *app, int argc, char **argv);
int cmd_status(struct app *app, int argc, char **argv);
int cmd_refresh(struct app *app, int argc, char **argv);
int cmd_stun(struct app *app, int argc, char **argv);
int cmd_version(struct app *app, int argc, char **argv);
int cmd_show(struct app *app, int argc, char **argv);
int cmd_help(struct app *app, int argc, char **argv);

#endif
