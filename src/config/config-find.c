/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the configuration file is, in stunmesh-go's order: -c FILE exactly; else
 * --config-dir DIR; else $STUNMESH_CONFIG_DIR, /etc/stunmesh, $HOME/.stunmesh and the
 * working directory, each tried for config.yaml then config.yml. */
#include "config/config.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const names[] = { "config.yaml", "config.yml" };

/* 1 and *path set when dir holds one of the names, 0 when not, -ENOMEM. */
static int try_dir(const char *dir, char **path)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p;

		if (asprintf(&p, "%s/%s", dir, names[i]) < 0)
			return -ENOMEM;
		if (access(p, F_OK) == 0) {
			*path = p;
			return 1;
		}
		free(p);
	}
	return 0;
}

int config_find(const struct config_source *src, char **path, struct errbuf *e)
{
	const char *env = getenv("STUNMESH_CONFIG_DIR"), *home = getenv("HOME");
	char *homedir = NULL;
	const char *dirs[4];
	size_t n = 0;
	int r;

	if (src && src->file) {
		if (access(src->file, R_OK) != 0)
			return err_set(e, -errno, "cannot read configuration file %s: %s", src->file,
				       strerror(errno));
		*path = strdup(src->file);
		return *path ? 0 : -ENOMEM;
	}
	if (src && src->dir) {
		r = try_dir(src->dir, path);
		if (r == 0)
			return err_set(e, -ENOENT, "no config.yaml or config.yml in %s", src->dir);
		return r < 0 ? r : 0;
	}
	if (env && *env)
		dirs[n++] = env;
	dirs[n++] = "/etc/stunmesh";
	if (home && *home) {
		if (asprintf(&homedir, "%s/.stunmesh", home) < 0)
			return -ENOMEM;
		dirs[n++] = homedir;
	}
	dirs[n++] = ".";
	*path = NULL;
	for (size_t i = 0; i < n; i++) {
		r = try_dir(dirs[i], path);
		if (r != 0)
			break;
	}
	free(homedir);
	return r < 0 ? r : 0;
}
