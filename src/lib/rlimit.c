/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/rlimit.h"

#include <errno.h>

int raise_nofile_limit(rlim_t *before, rlim_t *after)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (before)
		*before = rl.rlim_cur;
	want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > NOFILE_CEILING ? NOFILE_CEILING
									      : rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	if (after)
		*after = rl.rlim_cur;
	return 0;
}
