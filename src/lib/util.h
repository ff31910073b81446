/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by every module: error messages that travel with -errno codes,
 * and bounded string building. Nothing here does I/O. */
#ifndef SM_UTIL_H
#define SM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A function that fails returns -errno and, when given an errbuf, says why in words a
 * user can act on. The buffer is fixed so error paths never allocate. */
struct errbuf {
	char msg[256];
};

/* Formats the message into e (if e is not NULL) and returns code, so a failure reads
 * `return err_set(e, -EINVAL, "port %u out of range", port);`. */
int err_set(struct errbuf *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes an existing message: "reading wg0: " + e->msg. Returns code. */
int err_prefix(struct errbuf *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Growable string; all functions return 0 or -ENOMEM and keep s->buf NUL-terminated. */
struct strbuf {
	char *buf;
	size_t len, cap;
};

int sb_append(struct strbuf *s, const char *str, size_t n);
int sb_puts(struct strbuf *s, const char *str);
int sb_printf(struct strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sb_vprintf(struct strbuf *s, const char *fmt, va_list ap);
/* Appends str as the inside of a JSON string literal (no quotes added). */
int sb_json_escape(struct strbuf *s, const char *str);
void sb_free(struct strbuf *s);

/* Lowercase hex; hex_encode writes 2*len chars plus NUL into out (size >= 2*len+1). */
void hex_encode(char *out, const uint8_t *in, size_t len);
/* Decodes exactly 2*outlen hex chars (either case). 0 or -EINVAL. */
int hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen);

/* Overwrites, in text, every occurrence of each secret (of 4 characters or more) with
 * '*': plugin output is outside text that may echo what it was given (a token passed as
 * an argument, a shell plugin run with set -x). */
void scrub_secrets(char *text, char *const *secrets, size_t n);

/* Overwrites memory in a way the compiler may not elide (for key material). */
void secure_zero(void *p, size_t n);

#endif
