/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake_site.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0_MS 1000000
#define UNIX0 1760000000

void world_init(struct fake_world *w)
{
	struct errbuf e = { "" };

	memset(w, 0, sizeof(*w));
	w->clock.ms = T0_MS;
	w->clock.unix_base = UNIX0 - T0_MS / 1000;
	assert_true(sodium_init() >= 0);
	assert_int_equal(loop_new(&w->loop, &e), 0);
	loop_set_clock(w->loop, fake_clock_mono, &w->clock);
	log_init(&w->log, stderr);
	w->log.level = getenv("SM_TEST_DEBUG") ? LOG_DEBUG : LOG_OFF;
	fake_net_init(&w->net, w->loop, &w->clock);
	fake_stun_init(&w->stun, &w->net);
	fake_stun_add(&w->stun, STUN_A);
	fake_stun_add(&w->stun, STUN_B);
	fake_stores_init(&w->stores, w->loop);
	w->deps = (struct engine_deps){
		.wg = &fake_wg_ops,
		.wg_ctx = &w->net,
		.stun = &fake_stun_ops,
		.stun_ctx = &w->stun,
		.unix_now = fake_clock_unix,
		.clock_ctx = &w->clock,
		.store_new = fake_store_new,
		.store_ctx = &w->stores,
	};
	snprintf(w->dir, sizeof(w->dir), "/tmp/sm-engine-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
}

void world_free(struct fake_world *w)
{
	char cmd[128];

	fake_stun_free(&w->stun);
	fake_net_free(&w->net);
	fake_stores_free(&w->stores);
	loop_free(w->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", w->dir);
}

void world_run(struct fake_world *w, int64_t ms)
{
	int64_t end = w->clock.ms + ms;
	long same = 0;

	for (;;) {
		int64_t next;

		loop_run_once(w->loop, 0);
		w->rounds++;
		next = loop_next_timer(w->loop);
		if (next <= w->clock.ms) {
			/* something re-arms itself for "now" forever */
			if (++same > 100000)
				fail_msg("the loop spins at t=%lld", (long long)w->clock.ms);
			continue;
		}
		same = 0;
		if (next > end)
			break;
		w->clock.ms = next;
	}
	w->clock.ms = end;
	loop_update_now(w->loop);
}

bool world_run_until(struct fake_world *w, int64_t max_ms, bool (*cond)(void *), void *arg)
{
	for (int64_t t = 0; t < max_ms; t += 50) {
		if (cond(arg))
			return true;
		world_run(w, 50);
	}
	return cond(arg);
}

void site_init(struct fake_site *s, struct fake_world *w, struct fake_dev *dev, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->w = w;
	s->dev = dev;
	snprintf(s->path, sizeof(s->path), "%s/%s.yaml", w->dir, name);
	s->src.file = s->path;
}

void site_write(struct fake_site *s, const char *yaml)
{
	FILE *f = fopen(s->path, "w");

	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
}

void site_write_std(struct fake_site *s, struct fake_dev *const *peers,
		    const char *const *stores, size_t n, const char *extra_plugins)
{
	char buf[4096], b64[WG_KEY_B64_LEN];
	size_t off = 0;

	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
				"control_socket: \"\"\n"
				"refresh_interval: 10m\n"
				"stun:\n  addresses: [\"" STUN_A "\", \"" STUN_B "\"]\n"
				"interfaces:\n  %s:\n    peers:\n",
				s->dev->name);
	for (size_t i = 0; i < n; i++) {
		wg_key_to_base64(b64, peers[i]->pub);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
					"      %s:\n        public_key: \"%s\"\n        plugin: %s\n",
					peers[i]->name, b64, stores ? stores[i] : "mem");
	}
	snprintf(buf + off, sizeof(buf) - off,
		 "plugins:\n  mem: {type: builtin, name: file, dir: /mem}\n%s",
		 extra_plugins ? extra_plugins : "");
	site_write(s, buf);
}

int site_start(struct fake_site *s, const struct engine_opts *opts)
{
	struct config_diags d = { 0 };
	struct config *cfg = NULL;
	struct errbuf e = { "" };
	struct engine_opts o = { 0 };
	int r;

	r = store_config_load(s->path, &cfg, &d);
	for (size_t i = 0; r && i < d.n; i++)
		fprintf(stderr, "%s:%u: %s\n", s->path, d.items[i].pos.line, d.items[i].msg);
	config_diags_free(&d);
	if (r)
		return r;
	if (opts)
		o = *opts;
	o.control_path = o.control_path ? o.control_path : "";
	r = engine_new(s->w->loop, &s->w->log, cfg, &o, &s->src, &s->w->deps, &s->eng, &e);
	if (r)
		return r;
	return engine_start(s->eng, &e);
}

void site_stop(struct fake_site *s)
{
	engine_free(s->eng);
	s->eng = NULL;
}

cJSON *site_peer(struct fake_site *s, const char *name, cJSON **root)
{
	char *js = engine_status_json(s->eng);
	cJSON *ifs, *ifc, *peers, *p;

	assert_non_null(js);
	*root = cJSON_Parse(js);
	free(js);
	assert_non_null(*root);
	ifs = cJSON_GetObjectItem(*root, "interfaces");
	cJSON_ArrayForEach(ifc, ifs)
	{
		peers = cJSON_GetObjectItem(ifc, "peers");
		cJSON_ArrayForEach(p, peers)
		{
			if (!strcmp(cJSON_GetObjectItem(p, "name")->valuestring, name))
				return p;
		}
	}
	return NULL;
}

const char *site_peer_str(struct fake_site *s, const char *name, const char *field, char *buf,
			  size_t len)
{
	cJSON *root, *p = site_peer(s, name, &root), *v;

	snprintf(buf, len, "%s", "(no such peer)");
	if (p && (v = cJSON_GetObjectItem(p, field)) && cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
	cJSON_Delete(root);
	return buf;
}

bool site_connected(struct fake_site *s, const char *peer)
{
	char buf[64];

	return !strcmp(site_peer_str(s, peer, "state", buf, sizeof(buf)), "connected");
}

int site_n_peers(struct fake_site *s)
{
	char *js = engine_status_json(s->eng);
	cJSON *root = cJSON_Parse(js), *ifc;
	int n;

	free(js);
	assert_non_null(root);
	ifc = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "interfaces"), 0);
	n = ifc ? cJSON_GetArraySize(cJSON_GetObjectItem(ifc, "peers")) : 0;
	cJSON_Delete(root);
	return n;
}
