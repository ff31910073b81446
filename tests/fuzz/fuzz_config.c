/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration parser over arbitrary bytes, with the store layer's checks as
 * check-config runs them: it must report, never crash, and whatever it accepts must
 * print as YAML that parses again (masked secrets need not pass a kind's checks, so
 * the printed text is read back without them), and every plugin entry must equal
 * itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_diags d = { 0 };
	struct config *cfg = NULL, *again = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (store_config_parse("fuzz", (const char *)data, size, &cfg, &d) == 0) {
		for (size_t i = 0; i < cfg->n_plugins; i++)
			if (!store_config_equal(&cfg->plugins[i], &cfg->plugins[i]))
				abort();
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
