/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libminiupnpc's parsers of what a router sends, as the UPnP worker (net/portmap-upnp.c)
 * has them run: the first byte picks one, the rest is the router's bytes.
 *   0  the root description XML (parserootdesc, then GetUPNPUrls on what it found)
 *   1  a SOAP answer (ParseNameValue, and the values the worker reads from it)
 *   2  an HTTP response with its body, plain or chunked (getHTTPResponse, over a
 *      socketpair, as miniwget reads it from the router's socket)
 *   3  a URL, as an SSDP LOCATION gives it (parseURL)
 *   4  an SSDP M-SEARCH answer (parseMSEARCHReply; only when built from the source)
 * Built from Debian's miniupnpc source with the fuzzer's instrumentation when
 * scripts/miniupnpc-src.sh has fetched it (SM_MINIUPNPC_SRC), else against the
 * installed library: crashes are still found there, but without coverage.
 *
 * Found here: CVE-2021-27137, minixml's parseatt() reads one byte past the buffer when
 * it ends right after an attribute's '=' (fixed upstream in miniupnp 3cfb4fb, still in
 * Debian 12's 2.2.4). The parsers get a copy with one byte of slack (a NUL not counted
 * in the length) so that the run goes on past it; in stunmesh it happens inside the
 * UPnP worker process, which is why the router's XML is parsed there. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <miniupnpc/igd_desc_parse.h>
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpreplyparse.h>

/* exported by the library, declared only in its private headers */
void *getHTTPResponse(int s, int *size, int *status_code);
int parseURL(const char *url, char *hostname, unsigned short *port, char **path,
	     unsigned int *scope_id);

#ifdef SM_MINIUPNPC_SRC
/* parseMSEARCHReply is static in minissdpc.c: the file is compiled in here. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Weverything"
#include "minissdpc.c"
#pragma clang diagnostic pop
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void soap(const char *b, int n)
{
	static const char *const names[] = {
		"NewExternalIPAddress", "errorCode", "NewInternalClient", "NewInternalPort",
		"NewLeaseDuration", "NewEnabled", "NewPortMappingDescription",
	};
	struct NameValueParserData pd;

	ParseNameValue(b, n, &pd);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = GetValueFromNameValueList(&pd, names[i]);

		if (v && strlen(v) > (size_t)n)
			__builtin_trap();
	}
	ClearNameValueList(&pd);
}

static void http(const uint8_t *b, size_t n)
{
	int sv[2], sz = 0, status = 0, big = 1 << 20;
	void *body;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (write(sv[1], b, n) == (ssize_t)n) {
		shutdown(sv[1], SHUT_WR);
		body = getHTTPResponse(sv[0], &sz, &status);
		if (body && sz < 0)
			__builtin_trap();
		free(body);
	}
	close(sv[0]);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct IGDdatas igd;
	struct UPNPUrls urls;
	char host[65], *path = NULL, *s, *x;
	unsigned short port;
	unsigned int scope;

	if (size < 1 || size > 65536 || !(x = malloc(size)))
		return 0;
	memcpy(x, data + 1, size - 1);
	x[size - 1] = '\0'; /* the slack byte (see above) */
	switch (data[0]) {
	case 0:
		memset(&igd, 0, sizeof(igd));
		parserootdesc(x, (int)size - 1, &igd);
		memset(&urls, 0, sizeof(urls));
		GetUPNPUrls(&urls, &igd, "http://192.0.2.1:5000/rootDesc.xml", 0);
		FreeUPNPUrls(&urls);
		break;
	case 1:
		soap(x, (int)size - 1);
		break;
	case 2:
		http(data + 1, size - 1);
		break;
	case 3:
		if ((s = malloc(size))) {
			memcpy(s, data + 1, size - 1);
			s[size - 1] = '\0';
			parseURL(s, host, &port, &path, &scope);
			free(s);
		}
		break;
#ifdef SM_MINIUPNPC_SRC
	case 4: {
		const char *loc = NULL, *st = NULL, *usn = NULL;
		int ls = 0, ss = 0, us = 0;

		parseMSEARCHReply((const char *)data + 1, (int)size - 1, &loc, &ls, &st, &ss, &usn, &us);
		if ((loc && (loc < (const char *)data || loc + ls > (const char *)data + size)) ||
		    ls < 0 || ss < 0 || us < 0)
			__builtin_trap();
		break;
	}
#endif
	default:
		break;
	}
	free(x);
	return 0;
}
