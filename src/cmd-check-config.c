/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"

int cmd_check_config(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_error(&app->log, "not built yet");
	return EXIT_FAIL;
}
