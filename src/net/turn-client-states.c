/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TURN allocation's states (see turn-client.h): challenge, allocate, refresh,
 * peers' permissions and channels, failures with backoff, and the callbacks, which are
 * delivered one per loop round from a timer so that no state change is half done when
 * the owner runs (and may free us). */
#include "net/turn-client-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void start_alloc(struct turn_client *tc);
static void peer_start(struct turn_client *tc, struct turn_peer *p);

void turn_client_params_default(struct turn_client_params *p)
{
	*p = (struct turn_client_params){
		.credential_ttl_s = 86400,
		.lifetime_s = TURN_DEFAULT_LIFETIME,
		.refresh_max_ms = 300000,
		.rcvbuf = 4 << 20,
		.sndbuf = 1 << 20,
		.rto_ms = 500,
		.tries = 5,
		.retry_ms = 10000,
		.retry_max_ms = 600000,
		.auth_retry_ms = 600000,
		.auth_retry_max_ms = 3600000,
	};
}

void tc_log(struct turn_client *tc, enum log_level lv, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!tc->log || lv < tc->log->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(tc->log, lv, "TURN server %s: %s", tc->server_name, msg);
}

static int64_t unix_now(const struct turn_client *tc)
{
	return tc->p.unix_now ? tc->p.unix_now(tc->p.clock_ctx) : (int64_t)time(NULL);
}

static const char *dur(int64_t ms, char *buf, size_t cap)
{
	int64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(buf, cap, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, cap, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, cap, "%llds", (long long)s);
	return buf;
}

void tc_arm_notify(struct turn_client *tc)
{
	loop_timer_arm(tc->loop, &tc->t_notify, 0);
}

/* One callback per run, the last thing it does (the owner may free us in it). */
static void notify(struct loop *l, void *arg)
{
	struct turn_client *tc = arg;
	union sm_addr relayed = tc->relayed, mapped = tc->mapped;

	(void)l;
	if (tc->ev_lost) {
		char why[sizeof(tc->lost_why)];
		int err = tc->lost_err;

		memcpy(why, tc->lost_why, sizeof(why));
		tc->ev_lost = false;
		tc_arm_notify(tc);
		if (tc->cb.lost)
			tc->cb.lost(tc->arg, err, why);
		return;
	}
	if (tc->ev_allocated) {
		tc->ev_allocated = false;
		tc_arm_notify(tc);
		if (tc->state == TC_READY && tc->cb.allocated)
			tc->cb.allocated(tc->arg, &relayed, &mapped);
		return;
	}
	for (struct turn_peer *p = tc->peers; p; p = p->next) {
		if (p->ev_ready) {
			p->ev_ready = false;
			tc_arm_notify(tc);
			if (p->bound && tc->cb.peer_ready)
				tc->cb.peer_ready(tc->arg, p, p->arg, p->channel);
			return;
		}
		if (p->ev_failed) {
			char why[sizeof(p->why)];

			memcpy(why, p->why, sizeof(why));
			p->ev_failed = false;
			tc_arm_notify(tc);
			if (tc->cb.peer_failed)
				tc->cb.peer_failed(tc->arg, p, p->arg, why);
			return;
		}
	}
}

/* Every peer's channel and permission die with the allocation. */
static void peers_reset(struct turn_client *tc)
{
	memset(tc->chan, 0, sizeof(tc->chan));
	for (struct turn_peer *p = tc->peers; p; p = p->next) {
		tc_txn_stop(tc, &p->perm);
		tc_txn_stop(tc, &p->bind);
		loop_timer_cancel(tc->loop, &p->t_perm);
		loop_timer_cancel(tc->loop, &p->t_bind);
		p->bound = p->permitted = p->failed = false;
		p->ev_ready = false;
		p->channel = 0;
	}
}

static void stop_allocation(struct turn_client *tc)
{
	tc_txn_stop(tc, &tc->txn);
	loop_timer_cancel(tc->loop, &tc->t_refresh);
	loop_timer_cancel(tc->loop, &tc->t_creds);
	peers_reset(tc);
	addr_clear(&tc->relayed);
	addr_clear(&tc->mapped);
}

void tc_fail(struct turn_client *tc, int err, bool auth, const char *fmt, ...)
{
	int64_t *b = auth ? &tc->auth_backoff : &tc->backoff;
	int64_t max = auth ? tc->p.auth_retry_max_ms : tc->p.retry_max_ms;
	int64_t now = loop_now(tc->loop), delay;
	char when[32];
	va_list ap;

	/* At once after a 437 (the server restarted), but at most once a minute: a server
	 * that answers 437 to everything gets the backoff, not a loop. */
	if (tc->realloc_now && tc->immediate_at && now - tc->immediate_at < TC_IMMEDIATE_MIN_MS)
		tc->realloc_now = false;
	if (tc->realloc_now)
		tc->immediate_at = now;
	delay = tc->realloc_now ? 0 : *b;

	stop_allocation(tc);
	/* A fresh socket (a new local port) for the next attempt: the server may still
	 * hold state for the old 5-tuple. */
	tc_socket_close(tc);
	tc->state = TC_WAITING;
	if (!tc->realloc_now)
		*b = *b * 2 > max ? max : *b * 2;
	tc->realloc_now = false;
	tc->retry_at = loop_now(tc->loop) + delay;
	loop_timer_arm(tc->loop, &tc->t_retry, delay);
	va_start(ap, fmt);
	vsnprintf(tc->why, sizeof(tc->why), fmt, ap);
	va_end(ap);
	tc->last_err = err;
	snprintf(tc->lost_why, sizeof(tc->lost_why), "TURN server %s: %.150s; next try in %s",
		 tc->server_name, tc->why, dur(delay, when, sizeof(when)));
	tc->lost_err = err;
	tc->ev_lost = true;
	tc->ev_allocated = false;
	tc_log(tc, auth ? LOG_ERROR : LOG_WARN, "%s; next try in %s", tc->why, when);
	tc_arm_notify(tc);
}

/* REST API credentials for a new allocation: valid for credential_ttl_s from now. */
static int rest_credentials(struct turn_client *tc)
{
	tc->rest_expiry = (uint64_t)unix_now(tc) + tc->p.credential_ttl_s;
	return turn_rest_credentials((const uint8_t *)tc->secret, strlen(tc->secret),
				     tc->rest_expiry, tc->username, tc->rest_user,
				     sizeof(tc->rest_user), tc->rest_pass, sizeof(tc->rest_pass));
}

static void start_alloc(struct turn_client *tc)
{
	struct errbuf e = { "" };
	int r;

	stop_allocation(tc);
	loop_timer_cancel(tc->loop, &tc->t_retry);
	if ((r = tc_socket_open(tc, &e))) {
		tc_fail(tc, r, false, "%s", e.msg);
		return;
	}
	if (tc->rest && (r = rest_credentials(tc))) {
		tc_fail(tc, r, true, "the REST API username is too long");
		return;
	}
	tc->have_key = false;
	tc->state = TC_CHALLENGE;
	tc_txn_start(tc, &tc->txn, TXN_ALLOCATE, false);
}

static void retry_due(struct loop *l, void *arg)
{
	(void)l;
	start_alloc(arg);
}

static void refresh_due(struct loop *l, void *arg)
{
	struct turn_client *tc = arg;

	(void)l;
	if (tc->state != TC_READY || tc->txn.active)
		return;
	tc->txn.lifetime = tc->p.lifetime_s;
	tc_txn_start(tc, &tc->txn, TXN_REFRESH, true);
}

/* REST credentials near their end: a new allocation with new ones (coturn checks the
 * username's expiry on every request of the allocation). */
static void creds_due(struct loop *l, void *arg)
{
	struct turn_client *tc = arg;

	(void)l;
	tc_log(tc, LOG_INFO, "REST API credentials expire soon: a new allocation");
	tc_release_send(tc);
	tc_socket_close(tc);
	start_alloc(tc);
}

/* REALM and NONCE of a 401/438, and the key for them. */
static int take_challenge(struct turn_client *tc, const struct turn_message *m)
{
	const char *user = tc->rest ? tc->rest_user : tc->username;
	const char *pass = tc->rest ? tc->rest_pass : tc->password;

	if (!m->nonce || !m->nonce_len || (!m->realm && !tc->realm[0]))
		return -EBADMSG;
	if (m->realm) {
		memcpy(tc->realm, m->realm, m->realm_len);
		tc->realm[m->realm_len] = '\0';
	}
	memcpy(tc->nonce, m->nonce, m->nonce_len);
	tc->auth.username = user;
	tc->auth.realm = tc->realm;
	tc->auth.nonce = tc->nonce;
	tc->auth.nonce_len = m->nonce_len;
	turn_long_term_key(user, tc->realm, pass, tc->auth.key);
	tc->have_key = true;
	return 0;
}

static const char *err_text(const struct turn_message *m, char *buf, size_t cap)
{
	const char *name = turn_error_name(m->error_code);

	snprintf(buf, cap, "%u %s", m->error_code, m->reason[0] ? m->reason : name ? name : "");
	return buf;
}

static void allocated(struct turn_client *tc, const struct turn_message *m)
{
	char a[ADDR_STR_LEN];
	uint32_t life = m->has_lifetime && m->lifetime ? m->lifetime : TURN_DEFAULT_LIFETIME;
	int64_t refresh = (int64_t)life * 500;

	if (!m->has_relayed) {
		tc_fail(tc, -EBADMSG, false, "an Allocate success without XOR-RELAYED-ADDRESS");
		return;
	}
	tc->relayed = m->relayed;
	if (m->has_mapped)
		tc->mapped = m->mapped;
	tc->state = TC_READY;
	tc->allocations++;
	/* The credentials are good; the error backoff is reset only by the first refresh,
	 * so an allocation that fails at once does not start it over. */
	tc->auth_backoff = tc->p.auth_retry_ms;
	tc->why[0] = '\0';
	tc->last_err = 0;
	tc->expires_at = loop_now(tc->loop) + (int64_t)life * 1000;
	loop_timer_arm(tc->loop, &tc->t_refresh,
		       refresh < tc->p.refresh_max_ms ? refresh : tc->p.refresh_max_ms);
	if (tc->rest)
		loop_timer_arm(tc->loop, &tc->t_creds, (int64_t)tc->p.credential_ttl_s * 900);
	tc_log(tc, LOG_INFO, "relayed address %s, lifetime %u s%s",
	       addr_format(&tc->relayed, a, sizeof(a)), life,
	       tc->allocations > 1 ? " (a new allocation)" : "");
	tc->ev_allocated = true;
	tc_arm_notify(tc);
	for (struct turn_peer *p = tc->peers; p; p = p->next)
		peer_start(tc, p);
}

/* 438: the nonce went stale; the same request once more with the new one. */
static bool stale_retry(struct turn_client *tc, struct tc_txn *x, const struct turn_message *m)
{
	if (m->error_code != TURN_ERR_STALE_NONCE || x->stale_retried || take_challenge(tc, m))
		return false;
	tc_txn_start(tc, x, x->kind, true);
	x->stale_retried = true;
	return true;
}

static void on_allocate(struct turn_client *tc, struct tc_txn *x, const struct turn_message *m)
{
	char t[160];

	if (m->cls == STUN_CLASS_SUCCESS) {
		allocated(tc, m);
		return;
	}
	if (m->error_code == TURN_ERR_UNAUTHORIZED && !x->authed) {
		if (take_challenge(tc, m)) {
			tc_fail(tc, -EBADMSG, false, "a 401 without REALM and NONCE");
			return;
		}
		tc->state = TC_ALLOCATING;
		tc_txn_start(tc, x, TXN_ALLOCATE, true);
		return;
	}
	if (stale_retry(tc, x, m))
		return;
	if (m->error_code == TURN_ERR_UNAUTHORIZED || m->error_code == TURN_ERR_WRONG_CREDENTIALS) {
		tc_fail(tc, -EACCES, true, "%s to an authenticated Allocate: wrong %s",
			err_text(m, t, sizeof(t)),
			tc->rest ? "REST API secret (or an expired username)" : "username or password");
		return;
	}
	if (m->error_code == TURN_ERR_ALLOCATION_MISMATCH && tc->allocations == 0)
		tc->realloc_now = true; /* it holds one for our old port: a new port at once */
	tc_fail(tc, -EREMOTEIO, false, "Allocate refused: %s", err_text(m, t, sizeof(t)));
}

static void on_refresh(struct turn_client *tc, struct tc_txn *x, const struct turn_message *m)
{
	char t[160];
	uint32_t life;
	int64_t refresh;

	if (m->cls == STUN_CLASS_SUCCESS) {
		life = m->has_lifetime ? m->lifetime : tc->p.lifetime_s;
		if (life == 0) {
			tc_fail(tc, -ENOENT, false, "the server ended the allocation");
			return;
		}
		tc->expires_at = loop_now(tc->loop) + (int64_t)life * 1000;
		tc->backoff = tc->p.retry_ms; /* it has lasted: the next failure starts afresh */
		refresh = (int64_t)life * 500;
		loop_timer_arm(tc->loop, &tc->t_refresh,
			       refresh < tc->p.refresh_max_ms ? refresh : tc->p.refresh_max_ms);
		tc_log(tc, LOG_DEBUG, "refreshed, lifetime %u s", life);
		return;
	}
	if (stale_retry(tc, x, m))
		return;
	if (m->error_code == TURN_ERR_ALLOCATION_MISMATCH) {
		/* The server has no allocation for us: it restarted. Allocate again now. */
		tc->realloc_now = true;
		tc_fail(tc, -ENOENT, false, "the allocation is gone (437: the server restarted?)");
		return;
	}
	tc_fail(tc, m->error_code == TURN_ERR_UNAUTHORIZED ? -EACCES : -EREMOTEIO,
		m->error_code == TURN_ERR_UNAUTHORIZED, "Refresh refused: %s",
		err_text(m, t, sizeof(t)));
}

static void on_peer(struct turn_client *tc, struct tc_txn *x, const struct turn_message *m)
{
	struct turn_peer *p = x->peer;
	char t[160], a[ADDR_STR_LEN];

	if (m->cls == STUN_CLASS_SUCCESS) {
		if (x->kind == TXN_PERMISSION) {
			p->permitted = true;
			loop_timer_arm(tc->loop, &p->t_perm, TC_PERMISSION_REFRESH_MS);
			return;
		}
		loop_timer_arm(tc->loop, &p->t_bind, TC_CHANNEL_REFRESH_MS);
		if (!p->bound) {
			p->bound = true;
			p->ev_ready = true;
			tc_log(tc, LOG_DEBUG, "channel 0x%04x bound to %s", p->channel,
			       addr_format(&p->addr, a, sizeof(a)));
			tc_arm_notify(tc);
		}
		return;
	}
	if (stale_retry(tc, x, m))
		return;
	if (m->error_code == TURN_ERR_ALLOCATION_MISMATCH) {
		tc->realloc_now = true;
		tc_fail(tc, -ENOENT, false, "the allocation is gone (437: the server restarted?)");
		return;
	}
	p->failed = true;
	p->ev_failed = true;
	snprintf(p->why, sizeof(p->why), "%s for %s refused: %.80s",
		 x->kind == TXN_PERMISSION ? "CreatePermission" : "ChannelBind",
		 addr_format(&p->addr, a, sizeof(a)), err_text(m, t, sizeof(t)));
	tc_log(tc, LOG_WARN, "%s", p->why);
	tc_arm_notify(tc);
}

void tc_on_response(struct turn_client *tc, struct tc_txn *x, const struct turn_message *m)
{
	switch (x->kind) {
	case TXN_ALLOCATE:
		on_allocate(tc, x, m);
		break;
	case TXN_REFRESH:
		on_refresh(tc, x, m);
		break;
	default:
		on_peer(tc, x, m);
	}
}

void tc_on_timeout(struct turn_client *tc, struct tc_txn *x)
{
	if (x->kind == TXN_ALLOCATE || x->kind == TXN_REFRESH) {
		tc_fail(tc, -ETIMEDOUT, false, "no answer to %u %s requests", x->sends,
			x->kind == TXN_ALLOCATE ? "Allocate" : "Refresh");
		return;
	}
	/* A peer's request unanswered: is the server still there? */
	tc_log(tc, LOG_DEBUG, "no answer to a %s", x->kind == TXN_BIND ? "ChannelBind" : "CreatePermission");
	turn_client_check(tc);
	if (x->kind == TXN_PERMISSION)
		loop_timer_arm(tc->loop, &x->peer->t_perm, 1000);
	else
		loop_timer_arm(tc->loop, &x->peer->t_bind, 1000);
}

void tc_server_closed(struct turn_client *tc)
{
	if (tc->state == TC_WAITING)
		return;
	tc_fail(tc, -ECONNREFUSED, false, "port closed (ICMP port unreachable)");
}

/* --- peers --- */

static uint16_t new_channel(struct turn_client *tc)
{
	for (unsigned i = 0; i < TC_CHANNELS; i++) {
		uint16_t ch = (uint16_t)(TURN_CHANNEL_MIN + (tc->next_channel + i) % TC_CHANNELS);

		if (!tc->chan[ch - TURN_CHANNEL_MIN]) {
			/* not reused soon: a server keeps an old binding up to 10 minutes */
			tc->next_channel = (uint16_t)((ch - TURN_CHANNEL_MIN + 1) % TC_CHANNELS);
			return ch;
		}
	}
	return 0;
}

static void perm_due(struct loop *l, void *arg)
{
	struct turn_peer *p = arg;

	(void)l;
	if (p->tc->state == TC_READY && !p->perm.active)
		tc_txn_start(p->tc, &p->perm, TXN_PERMISSION, true);
}

static void bind_due(struct loop *l, void *arg)
{
	struct turn_peer *p = arg;

	(void)l;
	if (p->tc->state == TC_READY && !p->bind.active)
		tc_txn_start(p->tc, &p->bind, TXN_BIND, true);
}

static void peer_start(struct turn_client *tc, struct turn_peer *p)
{
	if (tc->state != TC_READY)
		return;
	if (!p->channel) {
		p->channel = new_channel(tc);
		if (!p->channel) {
			p->failed = p->ev_failed = true;
			snprintf(p->why, sizeof(p->why), "no free channel (4096 in use)");
			tc_arm_notify(tc);
			return;
		}
		tc->chan[p->channel - TURN_CHANNEL_MIN] = p;
	}
	tc_txn_start(tc, &p->perm, TXN_PERMISSION, true);
	tc_txn_start(tc, &p->bind, TXN_BIND, true);
}

int turn_client_peer_add(struct turn_client *tc, const union sm_addr *addr, void *peer_arg,
			 struct turn_peer **out, struct errbuf *e)
{
	struct turn_peer *p;

	if (!addr_is_set(addr) || !addr_port(addr))
		return err_set(e, -EINVAL, "a TURN peer needs an address and a port");
	if (tc->n_peers >= TC_CHANNELS)
		return err_set(e, -ENOSPC, "4096 peers on one TURN allocation");
	p = calloc(1, sizeof(*p));
	if (!p)
		return err_set(e, -ENOMEM, "out of memory");
	p->tc = tc;
	p->arg = peer_arg;
	p->addr = *addr;
	tc_txn_init(tc, &p->perm, p);
	tc_txn_init(tc, &p->bind, p);
	loop_timer_init(&p->t_perm, perm_due, p);
	loop_timer_init(&p->t_bind, bind_due, p);
	p->next = tc->peers;
	tc->peers = p;
	tc->n_peers++;
	peer_start(tc, p);
	*out = p;
	return 0;
}

static void peer_stop(struct turn_client *tc, struct turn_peer *p)
{
	tc_txn_stop(tc, &p->perm);
	tc_txn_stop(tc, &p->bind);
	loop_timer_cancel(tc->loop, &p->t_perm);
	loop_timer_cancel(tc->loop, &p->t_bind);
	if (p->channel && tc->chan[p->channel - TURN_CHANNEL_MIN] == p)
		tc->chan[p->channel - TURN_CHANNEL_MIN] = NULL;
	p->channel = 0;
	p->bound = p->permitted = p->failed = false;
	p->ev_ready = p->ev_failed = false;
}

void turn_client_peer_remove(struct turn_client *tc, struct turn_peer *p)
{
	struct turn_peer **pp;

	if (!p)
		return;
	peer_stop(tc, p);
	for (pp = &tc->peers; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			tc->n_peers--;
			break;
		}
	}
	free(p);
}

int turn_client_peer_move(struct turn_client *tc, struct turn_peer *p, const union sm_addr *addr)
{
	char a[ADDR_STR_LEN], b[ADDR_STR_LEN];

	if (!addr_is_set(addr) || !addr_port(addr))
		return -EINVAL;
	if (addr_equal(addr, &p->addr))
		return 0;
	tc_log(tc, LOG_INFO, "peer %s is now at %s: a new channel",
	       addr_format(&p->addr, a, sizeof(a)), addr_format(addr, b, sizeof(b)));
	peer_stop(tc, p);
	p->addr = *addr;
	peer_start(tc, p);
	return 0;
}

const union sm_addr *turn_peer_addr(const struct turn_peer *p)
{
	return &p->addr;
}

uint16_t turn_peer_channel(const struct turn_peer *p)
{
	return p->bound ? p->channel : 0;
}

/* --- the rest of the API --- */

static char *dup_str(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void free_secret(char *s)
{
	if (s) {
		secure_zero(s, strlen(s));
		free(s);
	}
}

int turn_client_new(struct loop *l, const struct turn_client_params *p,
		    const struct turn_client_cbs *cb, void *arg, struct turn_client **out,
		    struct errbuf *e)
{
	struct turn_client *tc;
	char a[ADDR_STR_LEN];

	if (!addr_is_set(&p->server) || !addr_port(&p->server))
		return err_set(e, -EINVAL, "TURN: no server address");
	if (!p->password == !p->secret)
		return err_set(e, -EINVAL, "TURN: exactly one of password and secret");
	if (p->password && (!p->username || !*p->username))
		return err_set(e, -EINVAL, "TURN: a password needs a username");
	if (p->tries < 1 || p->rto_ms < 1 || p->retry_ms < 1 || p->auth_retry_ms < 1 ||
	    p->refresh_max_ms < 1000 || (p->secret && p->credential_ttl_s < 60))
		return err_set(e, -EINVAL, "TURN: bad timing parameters");
	tc = calloc(1, sizeof(*tc));
	if (!tc)
		return err_set(e, -ENOMEM, "out of memory");
	tc->loop = l;
	tc->p = *p;
	tc->log = p->log;
	tc->fd = -1;
	snprintf(tc->server_name, sizeof(tc->server_name), "%s",
		 p->server_name ? p->server_name : addr_format(&p->server, a, sizeof(a)));
	tc->username = dup_str(p->username ? p->username : "");
	tc->password = dup_str(p->password);
	tc->secret = dup_str(p->secret);
	tc->p.username = tc->p.password = tc->p.secret = tc->p.server_name = NULL;
	tc->rest = p->secret != NULL;
	if (cb)
		tc->cb = *cb;
	tc->arg = arg;
	tc->backoff = p->retry_ms;
	tc->auth_backoff = p->auth_retry_ms;
	addr_clear(&tc->relayed);
	addr_clear(&tc->mapped);
	tc_txn_init(tc, &tc->txn, NULL);
	loop_timer_init(&tc->t_refresh, refresh_due, tc);
	loop_timer_init(&tc->t_retry, retry_due, tc);
	loop_timer_init(&tc->t_notify, notify, tc);
	loop_timer_init(&tc->t_creds, creds_due, tc);
	if (!tc->username || (p->password && !tc->password) || (p->secret && !tc->secret) ||
	    tc_ring_alloc(tc)) {
		turn_client_free(tc);
		return err_set(e, -ENOMEM, "out of memory");
	}
	start_alloc(tc);
	*out = tc;
	return 0;
}

void turn_client_free(struct turn_client *tc)
{
	if (!tc)
		return;
	tc_release_send(tc);
	stop_allocation(tc);
	while (tc->peers)
		turn_client_peer_remove(tc, tc->peers);
	loop_timer_cancel(tc->loop, &tc->t_retry);
	loop_timer_cancel(tc->loop, &tc->t_notify);
	tc_socket_close(tc);
	tc_ring_free(tc);
	free(tc->username);
	free_secret(tc->password);
	free_secret(tc->secret);
	secure_zero(tc, sizeof(*tc));
	free(tc);
}

void turn_client_check(struct turn_client *tc)
{
	if (tc->state == TC_READY && !tc->txn.active)
		loop_timer_arm(tc->loop, &tc->t_refresh, 0);
}

void turn_client_retry(struct turn_client *tc)
{
	if (tc->state == TC_WAITING)
		loop_timer_arm(tc->loop, &tc->t_retry, 0);
}

int turn_client_fd(const struct turn_client *tc)
{
	return tc->state == TC_READY ? tc->fd : -1;
}

int turn_client_send(struct turn_client *tc, struct turn_peer *p, const uint8_t *data,
		     size_t len)
{
	uint8_t txid[STUN_TXID_LEN];
	size_t n;

	if (tc->state != TC_READY || tc->fd < 0)
		return -ENOTCONN;
	if (len > TC_SLOT)
		return -EMSGSIZE;
	if (p->bound) {
		turn_channel_header(tc->sbuf, p->channel, len);
		memcpy(tc->sbuf + TURN_CHANNEL_HEADER_LEN, data, len);
		n = TURN_CHANNEL_HEADER_LEN + len;
	} else {
		stun_new_txid(txid);
		if (turn_build_send(tc->sbuf, sizeof(tc->sbuf), txid, &p->addr.sa, data, len,
				    tc->p.server.sa.sa_family == AF_INET, &n))
			return -EMSGSIZE;
	}
	if (send(tc->fd, tc->sbuf, n, 0) < 0) {
		int r = -errno;

		turn_client_send_error(tc, r);
		return r;
	}
	return 0;
}

void turn_client_send_error(struct turn_client *tc, int err)
{
	/* From a send: not inside a receive batch, but maybe inside the owner's own
	 * call, so the failure is handled (and told) from the loop. */
	if (err == -ECONNREFUSED && tc->state == TC_READY) {
		tc->realloc_now = false;
		loop_timer_arm(tc->loop, &tc->t_refresh, 0); /* the Refresh confirms it */
	}
}

void turn_client_status(const struct turn_client *tc, struct turn_client_status *st)
{
	int64_t now = loop_now(tc->loop);

	memset(st, 0, sizeof(*st));
	st->state = tc->state == TC_READY ? TURN_CLIENT_READY
		    : tc->state == TC_WAITING ? TURN_CLIENT_WAITING : TURN_CLIENT_ALLOCATING;
	st->relayed = tc->relayed;
	st->mapped = tc->mapped;
	if (tc->state == TC_READY)
		st->lifetime_left_ms = tc->expires_at - now;
	if (tc->state == TC_WAITING)
		st->retry_in_ms = tc->retry_at > now ? tc->retry_at - now : 0;
	for (const struct turn_peer *p = tc->peers; p; p = p->next) {
		st->peers++;
		st->peers_ready += p->bound;
	}
	st->allocations = tc->allocations;
	st->rest = tc->rest;
	if (tc->rest && tc->rest_expiry)
		st->credentials_expire_in_s = (int64_t)tc->rest_expiry - unix_now(tc);
	st->last_err = tc->last_err;
	snprintf(st->why, sizeof(st->why), "%s", tc->why);
	st->rx_datagrams = tc->rx;
	st->rx_dropped = tc->rx_dropped;
}

const char *turn_client_server(const struct turn_client *tc)
{
	return tc->server_name;
}
