/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration parser over arbitrary bytes: it must report, never crash, and
 * whatever it accepts must print and parse again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_diags d = { 0 };
	struct config *cfg = NULL, *again = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (config_parse("fuzz", (const char *)data, size, &cfg, &d) == 0) {
		f = open_memstream(&out, &len);
		if (f) {
			config_print(cfg, f);
			fclose(f);
			config_diags_free(&d);
			/* printing must give a file that loads again */
			if (config_parse("printed", out, len, &again, &d) != 0)
				abort();
			config_free(again);
			free(out);
		}
		config_free(cfg);
	}
	config_diags_free(&d);
	return 0;
}
