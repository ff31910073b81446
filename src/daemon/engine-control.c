/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the control socket's requests mean: status (text or JSON) and refresh. */
#include "daemon/engine.h"
#include "daemon/engine-int.h"

#include <stdlib.h>
#include <string.h>

static char *text_answer(const char *msg, size_t *len)
{
	char *s = strdup(msg);

	if (s)
		*len = strlen(s);
	return s;
}

static char *status_text(struct engine *eng, size_t *len)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);

	if (!f)
		return NULL;
	engine_status_text(eng, f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	*len = tlen;
	return text;
}

static char *status_json(struct engine *eng, size_t *len)
{
	char *js = engine_status_json(eng), *out;
	size_t n;

	if (!js)
		return NULL;
	n = strlen(js);
	out = realloc(js, n + 2);
	if (!out) {
		free(js);
		return NULL;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	*len = n + 1;
	return out;
}

static char *refresh(struct engine *eng, const char *peer, size_t *len)
{
	size_t n = engine_refresh(eng, peer && *peer ? peer : NULL);
	char msg[128];

	snprintf(msg, sizeof(msg), n ? "refreshing %zu peer%s\n" : "error: no such peer\n", n,
		 n == 1 ? "" : "s");
	log_info(eng->log, "refresh requested for %s (%zu peer%s)", peer && *peer ? peer : "all peers",
		 n, n == 1 ? "" : "s");
	return text_answer(msg, len);
}

static char *answer(void *arg, const char *req, size_t *len)
{
	struct engine *eng = arg;

	if (!strcmp(req, "status json"))
		return status_json(eng, len);
	if (!strcmp(req, "status"))
		return status_text(eng, len);
	if (!strncmp(req, "refresh", 7) && (req[7] == '\0' || req[7] == ' '))
		return refresh(eng, req[7] ? req + 8 : NULL, len);
	return text_answer("error: unknown request (status, status json, refresh [PEER])\n", len);
}

int eng_control_open(struct engine *eng, const char *path, struct errbuf *e)
{
	return control_open(eng->loop, eng->log, path, NULL, answer, eng, &eng->control, e);
}
