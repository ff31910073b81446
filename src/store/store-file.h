/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file store's reading of a record file's contents, split from store-file.c so it
 * can be fuzzed: the folder is shared, so the bytes are anyone's. */
#ifndef SM_STORE_FILE_H
#define SM_STORE_FILE_H

#include <stddef.h>

#include "lib/util.h"

#define FILE_VALUE_MAX (64 * 1024)

/* The value in buf: ASCII whitespace around it is dropped, the rest must be hex
 * digits (either case). 0 with *off and *vlen set (*vlen 0: the file holds no record),
 * or -EINVAL (not hex, a NUL inside, longer than FILE_VALUE_MAX) with why in e. */
int file_value_parse(const char *buf, size_t len, size_t *off, size_t *vlen, struct errbuf *e);

#endif
