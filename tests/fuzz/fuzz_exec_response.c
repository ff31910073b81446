/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exec plugin's stdout parser: whatever a plugin prints must give an answer or an
 * error, never a crash; an accepted answer carries strings without NULs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec_response r;
	struct errbuf e;

	if (exec_response_parse(data, size, &r, &e))
		return 0;
	if ((r.value && !*r.value) || (r.error && !*r.error))
		abort(); /* "" is reported as absent */
	exec_response_free(&r);
	return 0;
}
