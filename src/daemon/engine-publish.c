/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Publishing: our current public endpoint(s), sealed for one peer, stored under our
 * write key; skipped when unchanged (dedup), retried with a backoff when the store
 * fails, refreshed every refresh interval. */
#include "daemon/engine-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PUBLISH_RETRY_MIN_MS 2000
#define TS_JSON_MAX 16	 /* ,"ts":NNNNNNNNNN */
#define NAT_JSON_LEN 18	 /* ,"nat":"symmetric" */
/* The value budget for a store that declares none: one DNS TXT string, the most
 * cautious (an exec or shell plugin may keep records in DNS itself). */
#define TXT_STRING_MAX 255

static void publish_ok(struct eng_peer *p, const char *content)
{
	struct engine *eng = p->eng;
	char lbl[ENG_LABEL_LEN];

	if (content)
		store_dedup_remember(p->store, p->write_key, content);
	p->published_unix = eng_unix_now(eng);
	if (p->publish.kind != PUBLISH_OK)
		log_info(eng->log, "peer %s: published %s to %s", eng_peer_label(p, lbl, sizeof(lbl)),
			 content ? content : "", p->store_name);
	eng_result_set(&p->publish, PUBLISH_OK, "ok");
	p->next_publish_ms = eng_now_ms(eng) + eng->cfg->refresh_interval_ms;
	p->publish_backoff_ms = 0;
}

static void publish_failed(struct eng_peer *p, const char *error)
{
	struct engine *eng = p->eng;
	char lbl[ENG_LABEL_LEN];

	if (eng_result_set(&p->publish, PUBLISH_FAILED, "%s", error))
		log_warn(eng->log, "peer %s: publishing to %s failed: %s",
			 eng_peer_label(p, lbl, sizeof(lbl)), p->store_name, error);
	store_dedup_forget(p->store, p->write_key);
	/* a store that is down (or rate-limiting us) is not hammered */
	p->publish_backoff_ms = p->publish_backoff_ms ? p->publish_backoff_ms * 2 : PUBLISH_RETRY_MIN_MS;
	if (p->publish_backoff_ms > eng->cfg->refresh_interval_ms)
		p->publish_backoff_ms = eng->cfg->refresh_interval_ms;
	p->next_publish_ms = eng_now_ms(eng) + p->publish_backoff_ms;
}

static void publish_done(const struct store_result *res, void *arg)
{
	struct eng_peer *p = arg;

	p->publishing = false;
	if (res->status == STORE_OK)
		publish_ok(p, p->published); /* eng_peer_publish parks the content there */
	else
		publish_failed(p, res->error ? res->error : "failed");
	if (p->publish_again) {
		p->publish_again = false;
		eng_peer_publish(p, false);
	}
	eng_peer_arm(p);
	eng_check_oneshot(p->eng);
}

/* What the record says before sealing: the endpoints we know for the families wanted.
 * False when nothing is known yet. */
static bool record_of(const struct eng_iface *ifc, struct record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->ipv4.sa.sa_family = rec->ipv6.sa.sa_family = AF_UNSPEC;
	if (ifc->disc[0].have && ifc->protocol != FAMILY_IPV6)
		rec->ipv4 = ifc->disc[0].mapped;
	if (ifc->disc[1].have && ifc->protocol != FAMILY_IPV4)
		rec->ipv6 = ifc->disc[1].mapped;
	return rec->ipv4.sa.sa_family != AF_UNSPEC || rec->ipv6.sa.sa_family != AF_UNSPEC;
}

/* Our "ts" (and the NAT note) only when the sealed value still fits what the store
 * keeps whole (one DNS TXT string for Cloudflare, which splits longer values, and
 * stunmesh-go reads them as they are). */
static void record_extras(const struct eng_peer *p, struct record *rec, size_t content_len,
			  int64_t now_unix)
{
	size_t base = RECORD_NONCE_LEN + RECORD_TAG_LEN + content_len;
	size_t max = store_caps(p->store)->value_max ? store_caps(p->store)->value_max : TXT_STRING_MAX;

	rec->ts = now_unix;
	rec->has_ts = 2 * (base + TS_JSON_MAX) <= max;
	rec->nat_symmetric = eng_iface_symmetric(p->ifc) &&
			     2 * (base + NAT_JSON_LEN + (rec->has_ts ? TS_JSON_MAX : 0)) <= max;
}

void eng_peer_publish(struct eng_peer *p, bool force)
{
	struct eng_iface *ifc = p->ifc;
	struct engine *eng = ifc->eng;
	struct record rec;
	struct strbuf content = { 0 };
	struct errbuf e = { "" };
	char lbl[ENG_LABEL_LEN], *hex = NULL;
	int r;

	if (!p->store || !ifc->present || !p->on_device || eng->stopping)
		return;
	if (p->publishing) {
		p->publish_again = true;
		return;
	}
	if (!record_of(ifc, &rec))
		return; /* nothing learnt yet; discovery publishes when it has something */
	if (record_json_build(&rec, &content)) {
		sb_free(&content);
		return;
	}
	if (!force && store_dedup_unchanged(p->store, p->write_key, content.buf)) {
		p->next_publish_ms = eng_now_ms(eng) + eng->cfg->refresh_interval_ms;
		sb_free(&content);
		return;
	}
	record_extras(p, &rec, content.len, eng_unix_now(eng));
	r = record_seal(&rec, p->pub, ifc->priv, &hex, &e);
	if (r) {
		log_error(eng->log, "peer %s: cannot seal our record: %s",
			  eng_peer_label(p, lbl, sizeof(lbl)), e.msg);
		sb_free(&content);
		return;
	}
	r = store_set(p->store, p->write_key, hex, ifc->fwmark, publish_done, p);
	free(hex);
	if (r) {
		eng_result_set(&p->publish, PUBLISH_FAILED, "cannot start a write: %s", strerror(-r));
		p->next_publish_ms = eng_now_ms(eng) + PUBLISH_RETRY_MIN_MS;
		sb_free(&content);
		return;
	}
	free(p->published);
	p->published = content.buf; /* what this write carries; see publish_done */
	p->publishing = true;
}
