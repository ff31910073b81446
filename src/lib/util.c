/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int err_set(struct errbuf *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_prefix(struct errbuf *e, int code, const char *fmt, ...)
{
	char prefix[sizeof(e->msg)];
	size_t plen, olen;
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	olen = strnlen(e->msg, sizeof(e->msg) - 1);
	if (plen + olen >= sizeof(e->msg))
		olen = sizeof(e->msg) - 1 - plen;
	memmove(e->msg + plen, e->msg, olen);
	memcpy(e->msg, prefix, plen);
	e->msg[plen + olen] = '\0';
	return code;
}

static int sb_grow(struct strbuf *s, size_t extra)
{
	size_t need = s->len + extra + 1, cap;
	char *p;

	if (need < s->len)
		return -ENOMEM;
	if (need <= s->cap)
		return 0;
	cap = s->cap ? s->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(s->buf, cap);
	if (!p)
		return -ENOMEM;
	s->buf = p;
	s->cap = cap;
	return 0;
}

int sb_append(struct strbuf *s, const char *str, size_t n)
{
	if (sb_grow(s, n))
		return -ENOMEM;
	memcpy(s->buf + s->len, str, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

int sb_puts(struct strbuf *s, const char *str)
{
	return sb_append(s, str, strlen(str));
}

int sb_vprintf(struct strbuf *s, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	if (sb_grow(s, (size_t)n))
		return -ENOMEM;
	vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
	s->len += (size_t)n;
	return 0;
}

int sb_printf(struct strbuf *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sb_vprintf(s, fmt, ap);
	va_end(ap);
	return r;
}

int sb_json_escape(struct strbuf *s, const char *str)
{
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		char tmp[8];

		switch (*p) {
		case '"': if (sb_puts(s, "\\\"")) return -ENOMEM; break;
		case '\\': if (sb_puts(s, "\\\\")) return -ENOMEM; break;
		case '\n': if (sb_puts(s, "\\n")) return -ENOMEM; break;
		case '\r': if (sb_puts(s, "\\r")) return -ENOMEM; break;
		case '\t': if (sb_puts(s, "\\t")) return -ENOMEM; break;
		default:
			if (*p < 0x20) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
				if (sb_puts(s, tmp))
					return -ENOMEM;
			} else if (sb_append(s, (const char *)p, 1)) {
				return -ENOMEM;
			}
		}
	}
	if (sb_grow(s, 0))
		return -ENOMEM;
	return 0;
}

void sb_free(struct strbuf *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

void hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen)
{
	if (inlen != 2 * outlen)
		return -EINVAL;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void scrub_secrets(char *text, char *const *secrets, size_t n)
{
	for (size_t i = 0; text && i < n; i++) {
		size_t len = secrets[i] ? strlen(secrets[i]) : 0;
		char *hit;

		if (len < 4)
			continue;
		while ((hit = strstr(text, secrets[i])))
			memset(hit, '*', len);
	}
}

void secure_zero(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}
