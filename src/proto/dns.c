/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "proto/dns.h"

#include <errno.h>
#include <string.h>

/* Records of the answer section looked at; an answer to one A/AAAA question with a
 * CNAME chain has a handful. More are ignored. */
#define RR_MAX 32
/* CNAME links followed (glibc follows a few more, but a chain this long is broken). */
#define CNAME_MAX 8
/* Compression pointers followed within one name. */
#define PTR_HOPS_MAX 64

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int dns_name_to_wire(const char *name, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(name), i = 0, o = 0;

	if (n && name[n - 1] == '.')
		n--;
	/* "" and "." name the root, which is no host; "a.." has an empty label. */
	if (n == 0 || n > DNS_NAME_MAX || name[n - 1] == '.')
		return -EINVAL;
	while (i < n) {
		size_t j = i;

		while (j < n && name[j] != '.') {
			unsigned char c = (unsigned char)name[j];

			if (c <= 0x20 || c >= 0x7f)
				return -EINVAL;
			j++;
		}
		if (j == i || j - i > 63 || o + 1 + (j - i) + 1 > cap)
			return -EINVAL;
		out[o++] = (uint8_t)(j - i);
		memcpy(out + o, name + i, j - i);
		o += j - i;
		i = j + 1;
	}
	if (o + 1 > DNS_WIRE_NAME_MAX)
		return -EINVAL;
	out[o++] = 0;
	*len = o;
	return 0;
}

int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype,
		    size_t *len)
{
	size_t nl;

	if (cap < DNS_HEADER_LEN + 4 + 2)
		return -EINVAL;
	if (dns_name_to_wire(name, buf + DNS_HEADER_LEN, cap - DNS_HEADER_LEN - 4, &nl))
		return -EINVAL;
	memset(buf, 0, DNS_HEADER_LEN);
	put16(buf, id);
	buf[2] = 0x01; /* RD: the server resolves for us */
	put16(buf + 4, 1);
	put16(buf + DNS_HEADER_LEN + nl, qtype);
	put16(buf + DNS_HEADER_LEN + nl + 2, DNS_CLASS_IN);
	*len = DNS_HEADER_LEN + nl + 4;
	return 0;
}

/* The name at off, uncompressed and lowercased, into out (DNS_WIRE_NAME_MAX bytes);
 * *next is where the record goes on after the name. Pointers must go backwards, which
 * with the hop limit ends every loop. */
static int read_name(const uint8_t *m, size_t len, size_t off, uint8_t *out, size_t *olen,
		     size_t *next)
{
	size_t pos = off, o = 0;
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		uint8_t l;

		if (pos >= len)
			return -EBADMSG;
		l = m[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 1 >= len || ++hops > PTR_HOPS_MAX)
				return -EBADMSG;
			ptr = (size_t)(l & 0x3f) << 8 | m[pos + 1];
			if (ptr >= pos)
				return -EBADMSG;
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			pos = ptr;
			continue;
		}
		if (l & 0xc0) /* the obsolete extended label types */
			return -EBADMSG;
		if (l == 0) {
			out[o++] = 0;
			if (!jumped)
				*next = pos + 1;
			*olen = o;
			return 0;
		}
		if (pos + 1 + l > len || o + 1 + l + 1 > DNS_WIRE_NAME_MAX)
			return -EBADMSG;
		out[o++] = l;
		for (size_t k = 0; k < l; k++)
			out[o++] = lower(m[pos + 1 + k]);
		pos += 1 + (size_t)l;
	}
}

static bool name_is(const uint8_t *m, size_t len, size_t off, const uint8_t *want, size_t wl)
{
	uint8_t got[DNS_WIRE_NAME_MAX];
	size_t gl, next;

	return !read_name(m, len, off, got, &gl, &next) && gl == wl && !memcmp(got, want, wl);
}

struct rr {
	size_t owner; /* offset of the owner name */
	uint16_t type, class;
	size_t rdata, rdlen;
};

/* Walks the answer section. A truncated message (TC) may end inside it: what is
 * complete is kept. */
static int read_answers(const uint8_t *m, size_t len, size_t off, unsigned an, bool tc,
			struct rr *rr, size_t *n, struct errbuf *e)
{
	*n = 0;
	for (unsigned i = 0; i < an && *n < RR_MAX; i++) {
		uint8_t tmp[DNS_WIRE_NAME_MAX];
		size_t tl, next;
		uint16_t rdlen;

		if (read_name(m, len, off, tmp, &tl, &next) || next + 10 > len) {
			if (tc)
				return 0;
			return err_set(e, -EBADMSG, "answer record %u is cut short", i + 1);
		}
		rdlen = get16(m + next + 8);
		if (next + 10 + rdlen > len) {
			if (tc)
				return 0;
			return err_set(e, -EBADMSG, "answer record %u is cut short", i + 1);
		}
		rr[*n] = (struct rr){ .owner = off, .type = get16(m + next), .class = get16(m + next + 2),
				      .rdata = next + 10, .rdlen = rdlen };
		(*n)++;
		off = next + 10 + rdlen;
	}
	return 0;
}

static void add_addr(struct dns_answer *out, uint16_t qtype, const uint8_t *p)
{
	union sm_addr *a = &out->addrs[out->n_addrs++];

	memset(a, 0, sizeof(*a));
	if (qtype == DNS_TYPE_A) {
		a->in.sin_family = AF_INET;
		memcpy(&a->in.sin_addr, p, 4);
	} else {
		a->in6.sin6_family = AF_INET6;
		memcpy(&a->in6.sin6_addr, p, 16);
	}
}

/* The addresses of target, following CNAMEs (each link only once: target changes). */
static int chase(const uint8_t *m, size_t len, const struct rr *rr, size_t n, uint16_t qtype,
		 uint8_t *target, size_t tl, struct dns_answer *out, struct errbuf *e)
{
	size_t alen = qtype == DNS_TYPE_A ? 4 : 16;

	for (;;) {
		const struct rr *cname = NULL;

		for (size_t i = 0; i < n; i++) {
			if (rr[i].class != DNS_CLASS_IN || !name_is(m, len, rr[i].owner, target, tl))
				continue;
			if (rr[i].type == qtype) {
				if (rr[i].rdlen != alen)
					return err_set(e, -EBADMSG, "address record of %zu bytes",
						       rr[i].rdlen);
				if (out->n_addrs < DNS_ADDRS_MAX)
					add_addr(out, qtype, m + rr[i].rdata);
			} else if (rr[i].type == DNS_TYPE_CNAME && !cname) {
				cname = &rr[i];
			}
		}
		if (out->n_addrs || !cname)
			return 0;
		if (++out->cnames > CNAME_MAX)
			return err_set(e, -EBADMSG, "more than %d CNAMEs in a row", CNAME_MAX);
		{
			size_t next;

			if (read_name(m, len, cname->rdata, target, &tl, &next) ||
			    next > cname->rdata + cname->rdlen)
				return err_set(e, -EBADMSG, "a CNAME that is not a name");
		}
	}
}

int dns_parse_response(const uint8_t *buf, size_t len, uint16_t id, const char *name,
		       uint16_t qtype, struct dns_answer *out, struct errbuf *e)
{
	uint8_t want[DNS_WIRE_NAME_MAX];
	struct rr rr[RR_MAX];
	size_t wl, gl, off, n;
	uint16_t flags, qd, an;
	int r;

	if (len < DNS_HEADER_LEN)
		return err_set(e, -EBADMSG, "%zu bytes, shorter than a DNS header", len);
	if (get16(buf) != id)
		return err_set(e, -EBADMSG, "another query's id");
	flags = get16(buf + 2);
	if (!(flags & 0x8000) || ((flags >> 11) & 0xf) != 0)
		return err_set(e, -EBADMSG, "not a response to a standard query");
	if (dns_name_to_wire(name, want, sizeof(want), &wl))
		return err_set(e, -EINVAL, "bad name");
	for (size_t i = 0; i < wl; i++)
		want[i] = lower(want[i]);
	memset(out, 0, sizeof(*out));
	out->rcode = (enum dns_rcode)(flags & 0xf);
	out->truncated = flags & 0x0200;
	qd = get16(buf + 4);
	an = get16(buf + 6);
	if (qd == 0 && out->rcode != DNS_NOERROR && out->rcode != DNS_NXDOMAIN)
		return 0;
	if (qd != 1)
		return err_set(e, -EBADMSG, "%u questions", qd);
	{
		uint8_t got[DNS_WIRE_NAME_MAX];

		if (read_name(buf, len, DNS_HEADER_LEN, got, &gl, &off) || off + 4 > len)
			return err_set(e, -EBADMSG, "question is cut short");
		if (gl != wl || memcmp(got, want, wl) || get16(buf + off) != qtype ||
		    get16(buf + off + 2) != DNS_CLASS_IN)
			return err_set(e, -EBADMSG, "an answer to another question");
	}
	if (out->rcode != DNS_NOERROR)
		return 0;
	r = read_answers(buf, len, off + 4, an, out->truncated, rr, &n, e);
	if (r)
		return r;
	return chase(buf, len, rr, n, qtype, want, wl, out, e);
}

const char *dns_rcode_name(enum dns_rcode rc)
{
	switch (rc) {
	case DNS_NOERROR: return "NOERROR";
	case DNS_FORMERR: return "FORMERR";
	case DNS_SERVFAIL: return "SERVFAIL";
	case DNS_NXDOMAIN: return "NXDOMAIN";
	case DNS_NOTIMP: return "NOTIMP";
	case DNS_REFUSED: return "REFUSED";
	}
	return "an unknown error";
}
