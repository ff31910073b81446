/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file store's reading of a record file (a shared folder: anyone's bytes): never
 * a crash, and what it accepts is hex inside the buffer with no whitespace at either
 * end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf e = { "" };
	size_t off = 0, vlen = 0;
	const char *buf = (const char *)data;

	if (file_value_parse(buf, size, &off, &vlen, &e) != 0) {
		if (!e.msg[0])
			abort();
		return 0;
	}
	if (off > size || vlen > size - off || vlen > FILE_VALUE_MAX)
		abort();
	for (size_t i = off; i < off + vlen; i++)
		if (!strchr("0123456789abcdefABCDEF", buf[i]) || !buf[i])
			abort();
	if (vlen && (strchr(" \t\r\n", buf[off]) || strchr(" \t\r\n", buf[off + vlen - 1])))
		abort();
	return 0;
}
