/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Cloudflare reply parser and TXT unquoting: whatever the API (or something in
 * its place) answers gives a reply or an error, never a crash; an accepted reply has
 * a URL-safe id, a bounded content and a printable message; unquoting never grows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/cloudflare-reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_reply r;
	struct errbuf e;
	char *out = NULL;

	if (!cf_reply_parse(data, size, &r, &e)) {
		for (const char *p = r.id; *p; p++)
			if (!strchr("0123456789abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_", *p))
				abort();
		for (const char *p = r.err_msg; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
		if (r.content && strlen(r.content) > CF_CONTENT_MAX)
			abort();
		if (r.content) {
			if (cf_txt_unquote(r.content, strlen(r.content), &out))
				abort();
			if (strlen(out) > strlen(r.content))
				abort();
			free(out);
		}
		cf_reply_free(&r);
	}
	if (!cf_txt_unquote((const char *)data, size, &out)) {
		if (strnlen(out, size + 1) > size)
			abort();
		free(out);
	}
	return 0;
}
