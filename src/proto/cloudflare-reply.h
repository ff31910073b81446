/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure parts of the Cloudflare store, split from store-cloudflare.c (which holds
 * every libcurl call) so they can be fuzzed and tested without a network: the reply
 * parser and the TXT content unquoting.
 *
 * Every Cloudflare v4 reply is an envelope
 *   {"success":bool,"errors":[{"code":n,"message":"..."}],"messages":[...],
 *    "result":null|{...}|[{...},...],"result_info":{...}}
 * and the store needs only the flag, the first error, and the id and content of the
 * first result (the zone lookup, the record lookup, and the record a create or an
 * update returns). */
#ifndef SM_CLOUDFLARE_REPLY_H
#define SM_CLOUDFLARE_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define CF_ID_MAX 64	       /* Cloudflare ids are 32 hex chars; some slack */
#define CF_CONTENT_MAX 4096    /* TXT content we accept in a reply */
#define CF_MESSAGE_MAX 200     /* error message kept for the user */

struct cf_reply {
	bool success;
	long err_code;			 /* errors[0].code, 0 when none */
	char err_msg[CF_MESSAGE_MAX + 1]; /* errors[0].message, printable ASCII, "" if none */
	size_t n_results;		 /* array length; 1 for an object; 0 for null/absent */
	char id[CF_ID_MAX + 1];		 /* first result's id, "" when it has none */
	char *content;			 /* first result's content (malloc'd), NULL when none */
};

/* Parses a reply body. -EINVAL with why in e when it is not such an envelope (no JSON,
 * no boolean "success", a result id that is not [A-Za-z0-9_-]{1,64} and so could not
 * go into a URL, a content longer than CF_CONTENT_MAX), -ENOMEM. The first JSON value
 * counts; anything after it is ignored. */
int cf_reply_parse(const uint8_t *buf, size_t len, struct cf_reply *out, struct errbuf *e);
void cf_reply_free(struct cf_reply *r);

/* TXT content as Cloudflare returns it: verbatim when short, but a value longer than
 * 255 bytes is split into RFC 1035 character-strings and then comes back in zone-file
 * form, "chunk1" "chunk2" (quotes, blanks, \" \\ and \DDD escapes). Writes the joined
 * value (malloc'd, NUL-terminated) to *out. Content that does not start with a quote,
 * or is not well-formed quoted strings, is returned unchanged. 0 or -ENOMEM. */
int cf_txt_unquote(const char *in, size_t len, char **out);

#endif
