/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const struct {
	const char *name;
	enum log_level level;
} level_names[] = {
	{ "trace", LOG_TRACE }, { "debug", LOG_DEBUG }, { "info", LOG_INFO },
	{ "warn", LOG_WARN },	{ "error", LOG_ERROR }, { "fatal", LOG_ERROR },
	{ "panic", LOG_ERROR }, { "disabled", LOG_OFF },
};

void log_init(struct logger *lg, FILE *out)
{
	lg->level = LOG_INFO;
	lg->format = LOG_CONSOLE;
	lg->out = out;
	lg->color = out && isatty(fileno(out));
}

int log_level_parse(const char *s, enum log_level *out)
{
	if (!*s) {
		*out = LOG_INFO;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (!strcasecmp(s, level_names[i].name)) {
			*out = level_names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

int log_format_parse(const char *s, enum log_format *out)
{
	if (!*s || !strcasecmp(s, "console"))
		*out = LOG_CONSOLE;
	else if (!strcasecmp(s, "json"))
		*out = LOG_JSON;
	else
		return -EINVAL;
	return 0;
}

const char *log_level_name(enum log_level l)
{
	static const char *names[] = { "trace", "debug", "info", "warn", "error", "disabled" };

	return (unsigned)l < ARRAY_SIZE(names) ? names[l] : "?";
}

const char *log_format_name(enum log_format f)
{
	return f == LOG_JSON ? "json" : "console";
}

void log_msg(const struct logger *lg, enum log_level level, const char *fmt, ...)
{
	static const char *tags[] = { "TRC", "DBG", "INF", "WRN", "ERR" };
	static const char *colors[] = { "\033[35m", "\033[33m", "\033[32m", "\033[31m", "\033[1;31m" };
	struct strbuf sb = { 0 };
	char ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (!lg || !lg->out || level < lg->level || level >= LOG_OFF)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	va_start(ap, fmt);
	if (lg->format == LOG_JSON) {
		struct strbuf msg = { 0 };

		if (!sb_vprintf(&msg, fmt, ap) &&
		    !sb_printf(&sb, "{\"level\":\"%s\",\"time\":\"%s.%03ldZ\",\"message\":\"",
			       log_level_name(level), ts, now.tv_nsec / 1000000) &&
		    !sb_json_escape(&sb, msg.buf) && !sb_puts(&sb, "\"}\n"))
			fputs(sb.buf, lg->out);
		sb_free(&msg);
	} else {
		if (!sb_printf(&sb, "%s.%03ldZ %s%s%s ", ts, now.tv_nsec / 1000000,
			       lg->color ? colors[level] : "", tags[level],
			       lg->color ? "\033[0m" : "") &&
		    !sb_vprintf(&sb, fmt, ap) && !sb_puts(&sb, "\n"))
			fputs(sb.buf, lg->out);
	}
	va_end(ap);
	fflush(lg->out);
	sb_free(&sb);
}
