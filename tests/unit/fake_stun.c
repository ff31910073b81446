/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake_stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/stun.h"

struct fake_transport {
	struct fake_stun *stun;
	uint16_t port;
	engine_stun_recv_cb recv;
	void *arg;
};

struct fake_stun_reply {
	struct fake_stun_reply *next;
	struct fake_stun *stun;
	struct fake_transport *t;
	struct loop_timer timer;
	union sm_addr from;
	uint8_t buf[32];
	size_t len;
};

void fake_stun_init(struct fake_stun *s, struct fake_net *net)
{
	memset(s, 0, sizeof(*s));
	s->net = net;
	s->rtt_ms = 20;
}

void fake_stun_add(struct fake_stun *s, const char *addr)
{
	if (addr_parse(addr, strlen(addr), AF_INET, 0, &s->servers[s->n_servers].addr, NULL))
		abort();
	s->n_servers++;
}

unsigned fake_stun_requests(const struct fake_stun *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < s->n_servers; i++)
		n += s->servers[i].requests;
	return n;
}

static void reply_unlink(struct fake_stun *s, struct fake_stun_reply *r)
{
	for (struct fake_stun_reply **pp = &s->replies; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

void fake_stun_free(struct fake_stun *s)
{
	while (s->replies) {
		struct fake_stun_reply *r = s->replies;

		s->replies = r->next;
		loop_timer_cancel(s->net->loop, &r->timer);
		free(r);
	}
}

/* A Binding success response with XOR-MAPPED-ADDRESS (IPv4). */
static size_t build_response(uint8_t *b, const uint8_t *txid, const union sm_addr *mapped)
{
	uint16_t xp = addr_port(mapped) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	uint32_t cookie = htonl(STUN_MAGIC_COOKIE);

	memset(b, 0, 32);
	b[0] = 0x01;
	b[1] = 0x01;
	b[3] = 12;
	memcpy(b + 4, &cookie, 4);
	memcpy(b + 8, txid, STUN_TXID_LEN);
	b[21] = 0x20;
	b[23] = 8;
	b[25] = 1;
	b[26] = (uint8_t)(xp >> 8);
	b[27] = (uint8_t)xp;
	memcpy(b + 28, &mapped->in.sin_addr, 4);
	for (int i = 0; i < 4; i++)
		b[28 + i] ^= b[4 + i];
	return 32;
}

static void reply_fire(struct loop *l, void *arg)
{
	struct fake_stun_reply *r = arg;

	(void)l;
	reply_unlink(r->stun, r);
	r->t->recv(r->t->arg, &r->from, r->buf, r->len); /* may close the transport */
	free(r);
}

static int ft_open(void *ctx, struct loop *l, const struct logger *log, int family, uint16_t port,
		   uint32_t fwmark, engine_stun_recv_cb recv, void *arg, void **out, struct errbuf *e)
{
	struct fake_transport *t;

	(void)l;
	(void)log;
	(void)fwmark;
	if (family != AF_INET)
		return err_set(e, -EAFNOSUPPORT, "the fake network has IPv4 only");
	if (!port)
		return err_set(e, -EINVAL, "listen port 0");
	t = calloc(1, sizeof(*t));
	if (!t)
		return err_set(e, -ENOMEM, "out of memory");
	t->stun = ctx;
	t->port = port;
	t->recv = recv;
	t->arg = arg;
	t->stun->opens++;
	*out = t;
	return 0;
}

static int ft_send(void *h, const struct sockaddr *dst, const uint8_t *buf, size_t len,
		   struct errbuf *e)
{
	struct fake_transport *t = h;
	struct fake_stun *s = t->stun;
	struct fake_dev *d = fake_net_dev_by_port(s->net, t->port);
	struct fake_stun_reply *r;
	union sm_addr to, mapped;
	size_t i;

	if (addr_from_sockaddr(&to, dst, dst->sa_family == AF_INET ? sizeof(struct sockaddr_in)
								     : sizeof(struct sockaddr_in6)))
		return err_set(e, -EAFNOSUPPORT, "bad destination");
	for (i = 0; i < s->n_servers && !addr_equal(&s->servers[i].addr, &to); i++)
		;
	if (i == s->n_servers || s->servers[i].down || !d || len < STUN_HEADER_LEN)
		return 0; /* lost */
	s->servers[i].requests++;
	d->stun_requests++;
	r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(e, -ENOMEM, "out of memory");
	mapped = d->public_addr;
	if (d->symmetric)
		addr_set_port(&mapped, (uint16_t)(addr_port(&mapped) + i));
	r->stun = s;
	r->t = t;
	r->from = to;
	r->len = build_response(r->buf, buf + 8, &mapped);
	loop_timer_init(&r->timer, reply_fire, r);
	loop_timer_arm(s->net->loop, &r->timer, s->rtt_ms);
	r->next = s->replies;
	s->replies = r;
	return 0;
}

static void ft_close(void *h)
{
	struct fake_transport *t = h;
	struct fake_stun *s = t->stun;
	struct fake_stun_reply **pp = &s->replies;

	while (*pp) {
		struct fake_stun_reply *r = *pp;

		if (r->t == t) {
			*pp = r->next;
			loop_timer_cancel(s->net->loop, &r->timer);
			free(r);
		} else {
			pp = &r->next;
		}
	}
	s->closes++;
	free(t);
}

const struct engine_stun_ops fake_stun_ops = {
	.open = ft_open,
	.send = ft_send,
	.close = ft_close,
};
