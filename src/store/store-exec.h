/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exec plugin protocol (stunmesh-go's pluginapi): one JSON line on stdin,
 * {"action":"get|set","operation":"get|set","key":"...","value":"..."} (stunmesh-go
 * sends "action", the seed README documents "operation": we send both), and the
 * first JSON value on stdout, {"success":bool,"value":"...","error":"..."}. Split
 * from store-exec.c so the parser can be fuzzed on its own. */
#ifndef SM_STORE_EXEC_H
#define SM_STORE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "store/store.h"

struct exec_response {
	bool success;
	char *value; /* NULL when absent, null or "" */
	char *error; /* NULL when absent, null or "" */
};

/* Appends the request line (with its '\n'). 0 or -ENOMEM. */
int exec_request_build(bool is_set, const char *key, const char *value, struct strbuf *out);
/* Parses stdout as Go's json.Decoder would read the response: leading whitespace, the
 * first value (an object), anything after it ignored; keys case-insensitive, the last
 * one wins, unknown keys ignored, wrong types rejected. */
int exec_response_parse(const uint8_t *buf, size_t len, struct exec_response *out,
			struct errbuf *e);
void exec_response_free(struct exec_response *r);

/* The options of the exec and shell stores (command, args). */
extern const struct store_option_spec store_command_options[];

#endif
