/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/commands.h"

#include <stdio.h>

int cmd_version(struct app *app, int argc, char **argv)
{
	(void)app;
	(void)argc;
	(void)argv;
	printf("stunmesh %s\n", STUNMESH_VERSION);
	return EXIT_OK;
}
