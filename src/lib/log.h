/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Leveled logging to a stream (stderr in the daemon), in the two formats stunmesh-go
 * offers: "console" for people and "json" (one object per line) for collectors.
 * The logger is passed explicitly; there is no global one. Never pass secrets. */
#ifndef SM_LOG_H
#define SM_LOG_H

#include <stdio.h>

enum log_level {
	LOG_TRACE = 0,
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
	LOG_OFF, /* "disabled" */
};

enum log_format {
	LOG_CONSOLE = 0,
	LOG_JSON,
};

struct logger {
	enum log_level level;
	enum log_format format;
	FILE *out;
	int color; /* console only: set when out is a terminal */
};

void log_init(struct logger *lg, FILE *out);
/* Accepts zerolog's names, case-insensitively: trace, debug, info, warn, error, fatal,
 * panic (both map to error), disabled; "" means info. 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);
const char *log_level_name(enum log_level l);
const char *log_format_name(enum log_format f);

void log_msg(const struct logger *lg, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_trace(lg, ...) log_msg((lg), LOG_TRACE, __VA_ARGS__)
#define log_debug(lg, ...) log_msg((lg), LOG_DEBUG, __VA_ARGS__)
#define log_info(lg, ...) log_msg((lg), LOG_INFO, __VA_ARGS__)
#define log_warn(lg, ...) log_msg((lg), LOG_WARN, __VA_ARGS__)
#define log_error(lg, ...) log_msg((lg), LOG_ERROR, __VA_ARGS__)

#endif
