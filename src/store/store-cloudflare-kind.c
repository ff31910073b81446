/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cloudflare store as a kind: its options (zone, token, subdomain, ttl, with the
 * older spellings zone_name and api_token), setting up the multi handle and the
 * headers, starting and cancelling operations. The requests are in
 * store-cloudflare.c, whose header comment describes the protocol. */
#include "store/store-cloudflare.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the store kind ---- */

static bool name_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '_' || c == '.';
}

/* A DNS name as it goes unescaped into a query string. */
static bool valid_dns_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > CF_NAME_MAX || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

static bool valid_api_base(const char *s)
{
	if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int check_zone(const char *v, struct errbuf *e)
{
	return valid_dns_name(v) ? 0 : err_set(e, -EINVAL, "'%s' is not a DNS name such as example.com", v);
}

static int check_subdomain(const char *v, struct errbuf *e)
{
	return valid_dns_name(v) ? 0 : err_set(e, -EINVAL, "'%s' is not DNS labels such as wg or a.b", v);
}

/* It goes into a header line: no control characters, no spaces. The message must not
 * quote it. */
static int check_token(const char *v, struct errbuf *e)
{
	if (!*v)
		return err_set(e, -EINVAL, "the token is empty");
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return err_set(e, -EINVAL, "the token contains a blank or control character");
	return 0;
}

static int check_ttl(const char *v, struct errbuf *e)
{
	long ttl = strtol(v, NULL, 10);

	return ttl == 1 || (ttl >= 30 && ttl <= 86400)
		       ? 0
		       : err_set(e, -EINVAL, "'%s' must be 1 (automatic) or 30-86400 seconds", v);
}

/* Every record name <40 hex>.<subdomain>.<zone> must be a DNS name. */
static int cf_check(const struct store_ops *ops, const struct config_plugin *cfg,
		    struct config_pos *pos, struct errbuf *e)
{
	const char *zone = store_opt_str(ops, cfg, "zone");
	const char *sub = store_opt_str(ops, cfg, "subdomain");
	const struct config_option *o = config_plugin_option(cfg, "zone");
	size_t n = CF_KEY_LEN + 1 + (zone ? strlen(zone) : 0) + (sub && *sub ? strlen(sub) + 1 : 0);

	if (n <= CF_NAME_MAX)
		return 0;
	if ((o = config_plugin_option(cfg, sub && *sub ? "subdomain" : "zone")) ||
	    (o = config_plugin_option(cfg, "zone_name")))
		*pos = o->pos;
	return err_set(e, -EINVAL,
		       "record names <key>.%s<zone> would be %zu characters, more than the %d of a DNS name",
		       sub && *sub ? "<subdomain>." : "", n, CF_NAME_MAX);
}

static void cf_destroy(struct store *s)
{
	struct cf_store *cf = s->priv;

	if (!cf)
		return;
	/* The loop must forget curl's sockets before curl closes them. */
	for (size_t i = 0; i < cf->n_fds; i++)
		loop_fd_remove(cf->loop, cf->fds[i]);
	cf->n_fds = 0;
	cf->closing = true;
	loop_timer_cancel(cf->loop, &cf->curl_timer);
	if (cf->multi)
		curl_multi_cleanup(cf->multi);
	loop_timer_cancel(cf->loop, &cf->curl_timer);
	if (cf->headers) {
		/* The first header holds the token; curl_slist_free_all does not wipe. */
		for (struct curl_slist *h = cf->headers; h; h = h->next)
			secure_zero(h->data, strlen(h->data));
		curl_slist_free_all(cf->headers);
	}
	if (cf->token) {
		secure_zero(cf->token, strlen(cf->token));
		free(cf->token);
	}
	free(cf->api);
	free(cf->zone);
	free(cf->subdomain);
	free(cf->zone_id);
	free(cf->fds);
	free(cf);
	s->priv = NULL;
	curl_global_cleanup();
}

static int add_header(struct cf_store *cf, const char *h)
{
	struct curl_slist *n = curl_slist_append(cf->headers, h);

	if (!n)
		return -ENOMEM;
	cf->headers = n;
	return 0;
}

static int cf_init(struct store *s, const struct config_plugin *cfg, struct errbuf *e)
{
	const char *api = getenv(CF_API_ENV);
	const char *zone = store_opt_str(s->ops, cfg, "zone");
	const char *subdomain = store_opt_str(s->ops, cfg, "subdomain");
	const char *token = store_opt_str(s->ops, cfg, "token");
	struct cf_store *cf;
	char *auth = NULL;
	int r;

	/* the schema checked them; an entry that skipped the check still cannot pass */
	if (!zone || !valid_dns_name(zone))
		return err_set(e, -EINVAL, "'zone' must be a DNS name such as example.com");
	if (subdomain && *subdomain && !valid_dns_name(subdomain))
		return err_set(e, -EINVAL, "'subdomain' must be DNS labels such as wg or a.b");
	if (!token || check_token(token, e))
		return err_set(e, -EINVAL, "needs a 'token' (a Cloudflare API token)");
	if (api && *api && !valid_api_base(api))
		return err_set(e, -EINVAL, "%s must be an http:// or https:// URL", CF_API_ENV);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return err_set(e, -ENOMEM, "libcurl could not be initialised");
	cf = calloc(1, sizeof(*cf));
	if (!cf) {
		curl_global_cleanup();
		return err_set(e, -ENOMEM, "out of memory");
	}
	s->priv = cf;
	cf->loop = s->loop;
	cf->log = s->log;
	cf->ttl = (int)store_opt_int(s->ops, cfg, "ttl");
	loop_timer_init(&cf->curl_timer, cf_on_curl_timer, cf);
	cf->api = strdup(api && *api ? api : CF_API_DEFAULT);
	cf->zone = strdup(zone);
	cf->subdomain = strdup(subdomain ? subdomain : "");
	cf->token = strdup(token);
	if (!cf->api || !cf->zone || !cf->subdomain || !cf->token ||
	    asprintf(&auth, "Authorization: Bearer %s", cf->token) < 0) {
		auth = NULL;
		r = err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	r = add_header(cf, auth);
	secure_zero(auth, strlen(auth));
	free(auth);
	if (!r)
		r = add_header(cf, "Content-Type: application/json");
	if (!r)
		r = add_header(cf, "Accept: application/json");
	/* No "Expect: 100-continue" round trip before a larger body. */
	if (!r)
		r = add_header(cf, "Expect:");
	if (r) {
		err_set(e, r, "out of memory");
		goto fail;
	}
	cf->multi = curl_multi_init();
	if (!cf->multi ||
	    curl_multi_setopt(cf->multi, CURLMOPT_SOCKETFUNCTION, cf_socket_cb) ||
	    curl_multi_setopt(cf->multi, CURLMOPT_SOCKETDATA, cf) ||
	    curl_multi_setopt(cf->multi, CURLMOPT_TIMERFUNCTION, cf_timer_cb) ||
	    curl_multi_setopt(cf->multi, CURLMOPT_TIMERDATA, cf) ||
	    curl_multi_setopt(cf->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING) ||
	    curl_multi_setopt(cf->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			      (long)CF_MAX_HOST_CONNECTIONS)) {
		r = err_set(e, -ENOMEM, "libcurl multi handle could not be set up");
		goto fail;
	}
	if (strcmp(cf->api, CF_API_DEFAULT))
		log_info(cf->log, "plugin %s: Cloudflare API at %s (from %s)", s->name, cf->api,
			 CF_API_ENV);
	return 0;
fail:
	cf_destroy(s);
	return r;
}

static int cf_start(struct store *s, struct store_op *op)
{
	struct cf_store *cf = s->priv;
	struct cf_op *co;
	int n, r;

	if (*cf->subdomain)
		n = snprintf(NULL, 0, "%s.%s.%s", op->key, cf->subdomain, cf->zone);
	else
		n = snprintf(NULL, 0, "%s.%s", op->key, cf->zone);
	if (n > CF_NAME_MAX)
		return -EINVAL;
	co = calloc(1, sizeof(*co));
	if (!co)
		return -ENOMEM;
	co->op = op;
	co->cf = cf;
	if (*cf->subdomain)
		snprintf(co->name, sizeof(co->name), "%s.%s.%s", op->key, cf->subdomain, cf->zone);
	else
		snprintf(co->name, sizeof(co->name), "%s.%s", op->key, cf->zone);
	loop_timer_init(&co->retry, cf_on_retry, co);
	loop_timer_init(&co->timeout, cf_on_timeout, co);
	loop_update_now(cf->loop);
	co->deadline = loop_now(cf->loop) + s->timeout_ms;
	op->priv = co;
	r = loop_timer_arm(cf->loop, &co->timeout, s->timeout_ms);
	if (!r)
		r = cf_start_phase(co);
	if (r) {
		op->priv = NULL;
		cf_op_free(co);
	}
	return r;
}

static void cf_cancel(struct store *s, struct store_op *op)
{
	(void)s;
	if (op->priv)
		cf_op_free(op->priv);
	op->priv = NULL;
}

static const struct store_option_spec cf_options[] = {
	{ .name = "zone", .alias = "zone_name", .type = STORE_OPT_STRING, .required = true,
	  .check = check_zone, .hint = "(the Cloudflare zone, e.g. example.com)",
	  .doc = "the Cloudflare zone, e.g. `example.com`" },
	{ .name = "token", .alias = "api_token", .type = STORE_OPT_STRING, .required = true,
	  .secret = true, .check = check_token, .hint = "(an API token with DNS edit permission)",
	  .doc = "an API token with DNS edit permission for the zone" },
	{ .name = "subdomain", .type = STORE_OPT_STRING, .check = check_subdomain,
	  .doc = "records are named `<key>.<subdomain>.<zone>`, or `<key>.<zone>` without it" },
	{ .name = "ttl", .type = STORE_OPT_INT, .min = 1, .max = 86400, .check = check_ttl,
	  .doc = "stunmesh only: the TXT records' TTL, `1` (automatic) or 30-86400 seconds; unset: Cloudflare's default" },
	{ 0 },
};

const struct store_ops store_cloudflare_ops = {
	.kind = "cloudflare",
	.builtin = true,
	.options = cf_options,
	.check = cf_check,
	/* a TXT record stays until it is overwritten; one TXT string holds 255 bytes */
	.caps = { .dedup_default = true, .value_max = 255 },
	.max_concurrent = CF_MAX_HOST_CONNECTIONS,
	.init = cf_init,
	.start = cf_start,
	.cancel = cf_cancel,
	.destroy = cf_destroy,
};
