/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fake clock for the engine's tests: monotonic milliseconds the test moves by hand,
 * and a wall clock that moves with it. */
#ifndef SM_FAKE_CLOCK_H
#define SM_FAKE_CLOCK_H

#include <stdint.h>

struct fake_clock {
	int64_t ms;	   /* monotonic */
	int64_t unix_base; /* unix seconds at ms == 0 */
};

static inline int64_t fake_clock_mono(void *ctx)
{
	return ((struct fake_clock *)ctx)->ms;
}

static inline int64_t fake_clock_unix(void *ctx)
{
	const struct fake_clock *c = ctx;

	return c->unix_base + c->ms / 1000;
}

#endif
