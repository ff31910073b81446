/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Allocation failure on demand, for the tests that link with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup (see the Makefile): every
 * allocation made by our own code goes through here; after fake_alloc_fail_at(n) the
 * n-th one from now (0 = the next) returns NULL, once. */
#ifndef SM_FAKE_ALLOC_H
#define SM_FAKE_ALLOC_H

#include <stdbool.h>

void fake_alloc_fail_at(long n);
/* Stops injecting; true when the failure was injected since fake_alloc_fail_at. */
bool fake_alloc_stop(void);

#endif
