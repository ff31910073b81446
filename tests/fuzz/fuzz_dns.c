/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The DNS answer parser on arbitrary bytes, as the stub resolver runs it: the id is
 * taken from the input so mutations get past that check, and the question is the one
 * the seed corpus asks (stun.example.org, A and AAAA). What comes out must hold the
 * parser's promises: no more addresses than kept, each of the asked family. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, uint16_t qtype)
{
	struct dns_answer a;
	struct errbuf e;
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;

	if (dns_parse_response(data, size, id, "stun.example.org", qtype, &a, &e))
		return;
	if (a.n_addrs > DNS_ADDRS_MAX)
		abort();
	for (size_t i = 0; i < a.n_addrs; i++)
		if (a.addrs[i].sa.sa_family != (qtype == DNS_TYPE_A ? AF_INET : AF_INET6))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, DNS_TYPE_A);
	check(data, size, DNS_TYPE_AAAA);
	return 0;
}
