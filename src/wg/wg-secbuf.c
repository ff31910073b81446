/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A byte buffer for text that may hold keys (a UAPI get reply carries the private key,
 * a replace request the preshared key): it never leaves a copy behind in freed memory,
 * so it grows by copy-and-wipe instead of realloc and is wiped when freed. */
#include "wg/wg-backend.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int secbuf_reserve(struct secbuf *b, size_t extra)
{
	size_t ncap;
	uint8_t *np;

	if (b->cap - b->len >= extra)
		return 0;
	if (extra > SIZE_MAX / 4 - b->len)
		return -ENOMEM;
	ncap = b->cap ? b->cap * 2 : 4096;
	while (ncap - b->len < extra)
		ncap *= 2;
	np = malloc(ncap);
	if (!np)
		return -ENOMEM;
	if (b->p) {
		memcpy(np, b->p, b->len);
		secure_zero(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

int secbuf_append(struct secbuf *b, const void *data, size_t n)
{
	int r = secbuf_reserve(b, n + 1);

	if (r)
		return r;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0'; /* text stays a C string, for tests and logs of requests */
	return 0;
}

int secbuf_printf(struct secbuf *b, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	/* Every line we format is short (a key in hex, an address, a number). */
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		secure_zero(line, sizeof(line));
		return -EINVAL;
	}
	n = secbuf_append(b, line, (size_t)n);
	secure_zero(line, sizeof(line));
	return n;
}

void secbuf_reset(struct secbuf *b)
{
	if (b->p)
		secure_zero(b->p, b->cap);
	b->len = 0;
}

void secbuf_free(struct secbuf *b)
{
	if (b->p) {
		secure_zero(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}
