/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UPnP port mapping (net/portmap-upnp.c) against an IGD played on loopback over HTTP
 * (the root description and the WANIPConnection SOAP actions libminiupnpc sends),
 * served from the test's own loop while the worker process blocks on it: the mapping
 * made and its lease taken from the IGD, the renewal finding the mapping gone (a
 * restarted router) and adding it again, an IGD that keeps only permanent mappings,
 * the delete on stop, and a hung IGD cut off at the worker's deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "net/portmap.h"

#define EXT "203.0.113.11"
#define ST "urn:schemas-upnp-org:service:WANIPConnection:1"

static const char root_desc[] =
	"<?xml version=\"1.0\"?>\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\">"
	"<specVersion><major>1</major><minor>0</minor></specVersion><device>"
	"<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>"
	"<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>"
	"<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1"
	"</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId>"
	"<controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL>"
	"<SCPDURL>/WANCfg.xml</SCPDURL></service></serviceList>"
	"<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1"
	"</deviceType><serviceList><service><serviceType>" ST "</serviceType>"
	"<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/ctl/IPConn"
	"</controlURL><eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL>"
	"</service></serviceList></device></deviceList></device></deviceList></device></root>";

struct conn {
	int fd;
	char buf[8192];
	size_t len;
};

struct igd {
	struct loop *loop;
	int lfd;
	uint16_t port;
	bool hang;		/* accept, read, never answer */
	bool only_permanent;	/* 725 for a lease other than 0 */
	bool have;		/* the mapping exists */
	unsigned lease_held;	/* what GetSpecificPortMappingEntry says */
	unsigned n_add, n_get, n_delete, n_ext;
	char client[64], desc[80], lease_asked[16], proto[8], ext_port[8], int_port[8];
	struct conn conns[8];
};

struct ev {
	unsigned mapped, lost;
	struct portmap_mapping m;
	enum portmap_why why;
	char text[256];
	bool done;
};

/* The text of <tag>...</tag> in s, into out. */
static void arg_of(const char *s, const char *tag, char *out, size_t cap)
{
	char open[64], close_[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close_, sizeof(close_), "</%s>", tag);
	out[0] = '\0';
	if (!(a = strstr(s, open)) || !(b = strstr(a, close_)))
		return;
	a += strlen(open);
	snprintf(out, cap, "%.*s", (int)(b - a), a);
}

static void respond(struct conn *c, int code, const char *body)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 code, code == 200 ? "OK" : "Internal Server Error", strlen(body));

	assert_true(write(c->fd, hdr, (size_t)n) == n);
	assert_true(write(c->fd, body, strlen(body)) == (ssize_t)strlen(body));
}

static void soap(struct conn *c, const char *action, const char *inner)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
		 "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
		 "<u:%sResponse xmlns:u=\"" ST "\">%s</u:%sResponse></s:Body></s:Envelope>\r\n",
		 action, inner, action);
	respond(c, 200, body);
}

static void fault(struct conn *c, int code, const char *what)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
		 "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><s:Fault>"
		 "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
		 "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>%d</errorCode>"
		 "<errorDescription>%s</errorDescription></UPnPError></detail></s:Fault></s:Body>"
		 "</s:Envelope>\r\n", code, what);
	respond(c, 500, body);
}

static void serve(struct igd *g, struct conn *c, const char *req)
{
	const char *action = strstr(req, ST "#");
	char inner[512];

	if (!strncmp(req, "GET /rootDesc.xml ", 18)) {
		respond(c, 200, root_desc);
		return;
	}
	if (!action) {
		respond(c, 500, "");
		return;
	}
	action += strlen(ST "#");
	if (!strncmp(action, "GetExternalIPAddress", 20)) {
		g->n_ext++;
		soap(c, "GetExternalIPAddress", "<NewExternalIPAddress>" EXT "</NewExternalIPAddress>");
	} else if (!strncmp(action, "GetSpecificPortMappingEntry", 27)) {
		g->n_get++;
		if (!g->have) {
			fault(c, 714, "NoSuchEntryInArray");
			return;
		}
		snprintf(inner, sizeof(inner),
			 "<NewInternalPort>%s</NewInternalPort><NewInternalClient>%s</NewInternalClient>"
			 "<NewEnabled>1</NewEnabled><NewPortMappingDescription>%s</NewPortMappingDescription>"
			 "<NewLeaseDuration>%u</NewLeaseDuration>", g->int_port, g->client, g->desc,
			 g->lease_held);
		soap(c, "GetSpecificPortMappingEntry", inner);
	} else if (!strncmp(action, "AddPortMapping", 14)) {
		g->n_add++;
		arg_of(req, "NewInternalClient", g->client, sizeof(g->client));
		arg_of(req, "NewPortMappingDescription", g->desc, sizeof(g->desc));
		arg_of(req, "NewLeaseDuration", g->lease_asked, sizeof(g->lease_asked));
		arg_of(req, "NewProtocol", g->proto, sizeof(g->proto));
		arg_of(req, "NewExternalPort", g->ext_port, sizeof(g->ext_port));
		arg_of(req, "NewInternalPort", g->int_port, sizeof(g->int_port));
		if (g->only_permanent && strcmp(g->lease_asked, "0")) {
			fault(c, 725, "OnlyPermanentLeasesSupported");
			return;
		}
		g->have = true;
		g->lease_held = (unsigned)atoi(g->lease_asked);
		if (g->lease_held > 2)
			g->lease_held -= 1; /* an IGD that counts down: grants a little less */
		soap(c, "AddPortMapping", "");
	} else if (!strncmp(action, "DeletePortMapping", 17)) {
		g->n_delete++;
		g->have = false;
		soap(c, "DeletePortMapping", "");
	} else {
		fault(c, 401, "Invalid Action");
	}
}

static void conn_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct igd *g = arg;
	struct conn *c = NULL;
	const char *end, *cl;
	ssize_t n;

	(void)events;
	for (size_t i = 0; i < 8; i++)
		if (g->conns[i].fd == fd)
			c = &g->conns[i];
	assert_non_null(c);
	n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		if (!(end = strstr(c->buf, "\r\n\r\n")))
			return;
		cl = strcasestr(c->buf, "Content-Length:");
		if (cl && cl < end && c->len < (size_t)(end + 4 - c->buf) + (size_t)atoi(cl + 15))
			return;
		if (g->hang)
			return;
		serve(g, c, c->buf);
	}
	loop_fd_remove(l, fd);
	close(fd);
	c->fd = -1;
}

static void accept_cb(struct loop *l, int fd, unsigned events, void *arg)
{
	struct igd *g = arg;
	int cfd = accept(fd, NULL, NULL);

	(void)events;
	if (cfd < 0)
		return;
	for (size_t i = 0; i < 8; i++) {
		if (g->conns[i].fd < 0) {
			g->conns[i].fd = cfd;
			g->conns[i].len = 0;
			assert_int_equal(loop_fd_add(l, cfd, LOOP_READ, conn_readable, g), 0);
			return;
		}
	}
	close(cfd);
}

static void igd_open(struct igd *g, struct loop *l)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(a);

	memset(g, 0, sizeof(*g));
	g->loop = l;
	for (size_t i = 0; i < 8; i++)
		g->conns[i].fd = -1;
	g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(g->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(g->lfd, 8), 0);
	assert_int_equal(getsockname(g->lfd, (struct sockaddr *)&a, &sl), 0);
	g->port = ntohs(a.sin_port);
	assert_int_equal(loop_fd_add(l, g->lfd, LOOP_READ, accept_cb, g), 0);
}

static void igd_close(struct igd *g)
{
	for (size_t i = 0; i < 8; i++) {
		if (g->conns[i].fd >= 0) {
			loop_fd_remove(g->loop, g->conns[i].fd);
			close(g->conns[i].fd);
		}
	}
	loop_fd_remove(g->loop, g->lfd);
	close(g->lfd);
}

static void on_mapped(void *arg, const struct portmap_mapping *m)
{
	struct ev *ev = arg;

	ev->mapped++;
	ev->m = *m;
}

static void on_lost(void *arg, enum portmap_why why, const char *text)
{
	struct ev *ev = arg;

	ev->lost++;
	ev->why = why;
	snprintf(ev->text, sizeof(ev->text), "%s", text);
}

static void on_done(void *arg)
{
	((struct ev *)arg)->done = true;
}

static const struct portmap_cbs cbs = { on_mapped, on_lost };

static int64_t run_until(struct loop *l, const unsigned *flag, unsigned want, int64_t ms)
{
	int64_t start, end;

	loop_update_now(l);
	start = loop_now(l);
	end = start + ms;
	while ((!flag || *flag < want) && loop_now(l) < end)
		assert_int_equal(loop_run_once(l, (int)(end - loop_now(l))), 0);
	return loop_now(l) - start;
}

static struct portmap *start(struct loop *l, struct igd *g, struct ev *ev, uint32_t lease,
			     int64_t deadline)
{
	struct portmap_params p;
	struct portmap *pm = NULL;
	struct errbuf e = { "" };
	union sm_addr pub;
	char url[64];

	portmap_params_default(&p);
	p.internal_port = 51820;
	p.natpmp = p.pcp = false;
	p.announce_port = 0;
	p.gateway.in.sin_family = AF_INET; /* not used by UPnP, but no default route needed */
	p.gateway.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.gateway.in.sin_port = htons(9);
	p.probe_ms = 20;
	p.upnp_lease_s = lease;
	p.upnp_deadline_ms = deadline;
	p.description = "stunmesh test0";
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/rootDesc.xml", g->port);
	p.upnp_url = url;
	memset(ev, 0, sizeof(*ev));
	assert_int_equal(portmap_new(l, &p, &cbs, ev, &pm, &e), 0);
	addr_parse(EXT, strlen(EXT), AF_INET, ADDR_NO_PORT, &pub, NULL);
	portmap_set_public(pm, &pub);
	return pm;
}

static struct loop *new_loop(void)
{
	struct loop *l = NULL;
	struct errbuf e;

	assert_int_equal(loop_new(&l, &e), 0);
	return l;
}

static void test_map_renew_stop(void **state)
{
	struct loop *l = new_loop();
	struct portmap *pm;
	struct igd g;
	struct ev ev;
	char a[ADDR_STR_LEN];

	(void)state;
	igd_open(&g, l);
	pm = start(l, &g, &ev, 3, 5000);
	run_until(l, &ev.mapped, 1, 5000);
	assert_int_equal(ev.mapped, 1);
	assert_int_equal(ev.m.proto, PORTMAP_UPNP);
	assert_string_equal(addr_format(&ev.m.external, a, sizeof(a)), EXT ":51820");
	assert_int_equal(ev.m.lease_s, 2); /* what the IGD holds, not the 3 s asked */
	assert_string_equal(g.client, "127.0.0.1");
	assert_string_equal(g.desc, "stunmesh test0");
	assert_string_equal(g.proto, "UDP");
	assert_string_equal(g.ext_port, "51820");
	assert_string_equal(g.int_port, "51820");
	assert_string_equal(g.lease_asked, "3");
	/* The router restarts and forgets it: the renewal adds it again. */
	g.have = false;
	run_until(l, &ev.mapped, 2, 5000);
	assert_int_equal(ev.mapped, 2);
	assert_int_equal(g.n_add, 2);
	assert_true(g.have);
	assert_int_equal(ev.lost, 0);
	portmap_stop(pm, on_done, &ev);
	while (!ev.done)
		run_until(l, (unsigned *)NULL, 0, 50);
	assert_int_equal(g.n_delete, 1);
	assert_false(g.have);
	portmap_free(pm);
	igd_close(&g);
	loop_free(l);
}

static void test_only_permanent(void **state)
{
	struct loop *l = new_loop();
	struct portmap *pm;
	struct portmap_status st;
	struct igd g;
	struct ev ev;

	(void)state;
	igd_open(&g, l);
	g.only_permanent = true;
	pm = start(l, &g, &ev, 3600, 5000);
	run_until(l, &ev.mapped, 1, 5000);
	assert_int_equal(ev.mapped, 1);
	assert_int_equal(ev.m.lease_s, 0);
	assert_string_equal(g.lease_asked, "0");
	assert_int_equal(g.n_add, 2); /* refused with 725, then added for good */
	portmap_get_status(pm, &st);
	assert_int_equal(st.expires_in_ms, 0);
	portmap_free(pm);
	igd_close(&g);
	loop_free(l);
}

static void test_hung_igd(void **state)
{
	struct loop *l = new_loop();
	struct portmap *pm;
	struct igd g;
	struct ev ev;
	int64_t t;

	(void)state;
	igd_open(&g, l);
	g.hang = true;
	pm = start(l, &g, &ev, 3600, 700);
	t = run_until(l, &ev.lost, 1, 5000);
	assert_int_equal(ev.lost, 1);
	assert_int_equal(ev.mapped, 0);
	assert_int_equal(ev.why, PORTMAP_WHY_NONE_FOUND);
	assert_non_null(strstr(ev.text, "no answer within the deadline"));
	assert_true(t >= 650 && t < 2000);
	portmap_free(pm);
	igd_close(&g);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_renew_stop),
		cmocka_unit_test(test_only_permanent),
		cmocka_unit_test(test_hung_igd),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
