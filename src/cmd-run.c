/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"

#include <stdio.h>

int cmd_run(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_error(&app->log, "the daemon is not built yet");
	return EXIT_FAIL;
}
