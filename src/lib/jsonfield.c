/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/jsonfield.h"

#include <errno.h>
#include <strings.h>

static int type_ok(const cJSON *c, int type)
{
	switch (type) {
	case cJSON_String: return cJSON_IsString(c) && c->valuestring;
	case cJSON_Number: return cJSON_IsNumber(c);
	case cJSON_True: return cJSON_IsBool(c);
	default: return 0;
	}
}

int json_field(const cJSON *obj, const char *name, int type, const cJSON **out)
{
	const cJSON *found = NULL;

	for (const cJSON *c = obj->child; c; c = c->next) {
		if (!c->string || strcasecmp(c->string, name) || cJSON_IsNull(c))
			continue;
		if (!type_ok(c, type))
			return -EINVAL;
		found = c;
	}
	*out = found;
	return 0;
}
