/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Process limits the daemon adjusts at start. */
#ifndef SM_RLIMIT_H
#define SM_RLIMIT_H

#include <sys/resource.h>

/* The most the soft limit is raised to, even when the hard limit is higher or
 * unlimited: Linux's default fs.nr_open, far beyond what stunmesh opens. */
#define NOFILE_CEILING ((rlim_t)1 << 20)

/* Raises the soft RLIMIT_NOFILE to the hard limit (at most NOFILE_CEILING), as a
 * program that watches its fds with poll() should: every plugin operation holds three
 * pipes, so a 1024 soft limit caps the daemon at about 340 at once, while the hard
 * limit (often 4096 or 524288) is what the administrator allowed. Nothing uses
 * select(), so fd numbers above FD_SETSIZE do no harm. Never lowers it. 0 with the soft
 * limit before and after in *before and *after (either may be NULL), or -errno. */
int raise_nofile_limit(rlim_t *before, rlim_t *after);

#endif
