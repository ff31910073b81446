/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading a JSON object's fields the way Go's encoding/json fills a struct, so that
 * what stunmesh-go accepts (records, plugin answers) we accept, and what it rejects we
 * reject: keys match case-insensitively, in input order, so the last one wins; a null
 * leaves the field as it was; a value of the wrong type anywhere fails the decode even
 * when a later one is right; unknown keys are ignored. (Go's folding also maps the
 * Kelvin sign and long s to k and s; no stunmesh field name has either letter.) */
#ifndef SM_JSONFIELD_H
#define SM_JSONFIELD_H

#include <cJSON.h>

/* type is cJSON_String, cJSON_Number or cJSON_True (meaning either boolean).
 * *out = the winning item, or NULL when absent or only null. 0 or -EINVAL. */
int json_field(const cJSON *obj, const char *name, int type, const cJSON **out);

#endif
