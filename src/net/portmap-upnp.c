/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UPnP IGD through libminiupnpc, in a worker process (fork, no exec) with a deadline.
 * Why a process and not a thread or the loop: libminiupnpc blocks (upnpDiscover waits
 * 1-4 s for SSDP answers, its HTTP calls wait for a hung router's timeouts) and cannot
 * be cancelled midway; and it parses the router's SSDP, HTTP and XML, so a parser bug
 * crashes the worker, not the daemon. The worker writes one fixed-length record
 * (proto/upnp-result.h) to a pipe and exits; the parent reads at most one byte more
 * than a record, checks the length first, then every field. The worker also sets
 * alarm() to the deadline, so it ends even if the daemon is gone. Cost: one fork per
 * discovery, mapping, renewal (lease/2) and delete.
 *
 * The worker's sockets are libminiupnpc's and carry no fwmark: the gateway is on the
 * LAN, which policy routing leaves in the main table (wg-quick's suppress_prefixlength
 * rule), so this traffic does not enter the tunnel. */
#include "net/portmap-int.h"

#include <errno.h>

#if WITH_UPNP
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

/* UPnP error codes the worker acts on (IGD:1 WANIPConnection). */
#define UPNP_NO_SUCH_ENTRY 714
#define UPNP_CONFLICT 718
#define UPNP_ONLY_PERMANENT 725

bool pm_upnp_running(const struct portmap *pm)
{
	return pm->upnp_pid > 0;
}

/* --- in the worker --- */

static int igd_from(const struct portmap *pm, struct UPNPUrls *urls, struct IGDdatas *data,
		    char *lan, int lanlen, struct upnp_result *r)
{
	struct UPNPDev *devs;
	char mif[INET_ADDRSTRLEN] = "";
	int err = 0, igd;

	if (pm->upnp_url[0]) {
		if (UPNP_GetIGDFromUrl(pm->upnp_url, urls, data, lan, lanlen) != 1) {
			r->status = UPNP_ST_NO_DEVICE;
			return -1;
		}
		r->igd = 1;
		snprintf(r->url, sizeof(r->url), "%s", pm->upnp_url);
		return 0;
	}
	/* SSDP out of the interface towards the gateway (our address on it). */
	if (pm->local.sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &pm->local.in.sin_addr, mif, sizeof(mif));
	devs = upnpDiscover((int)pm->p.upnp_discover_ms, mif[0] ? mif : NULL, NULL,
			    UPNP_LOCAL_PORT_ANY, 0, 2, &err);
	if (!devs) {
		r->status = UPNP_ST_NO_DEVICE;
		r->upnp_error = (int16_t)err;
		return -1;
	}
	/* 1: a connected IGD; 2: an IGD whose WAN looks unconnected, which is also what
	 * libminiupnpc says of every private or documentation external address (CGNAT):
	 * taken, since the parent compares the external address with STUN's; 3: a UPnP
	 * device that is no IGD. */
	igd = UPNP_GetValidIGD(devs, urls, data, lan, lanlen);
	freeUPNPDevlist(devs);
	r->igd = (uint8_t)(igd < 0 ? 0 : igd);
	if (igd != 1 && igd != 2) {
		if (igd == 3)
			FreeUPNPUrls(urls);
		r->status = igd == 3 ? UPNP_ST_NO_IGD : UPNP_ST_NO_DEVICE;
		return -1;
	}
	if (urls->rootdescURL && strlen(urls->rootdescURL) <= UPNP_URL_MAX)
		snprintf(r->url, sizeof(r->url), "%s", urls->rootdescURL);
	return 0;
}

static void worker_map(const struct portmap *pm, const struct UPNPUrls *urls,
		       const struct IGDdatas *data, const char *lan, struct upnp_result *r)
{
	char port[8], lease[16], ic[64] = "", ip[8] = "", desc[80], en[8], dur[16];
	const char *st = data->first.servicetype;
	int rc;

	snprintf(port, sizeof(port), "%u", pm->p.internal_port);
	snprintf(lease, sizeof(lease), "%u", pm->p.upnp_lease_s);
	rc = UPNP_GetSpecificPortMappingEntry(urls->controlURL, st, port, "UDP", NULL, ic, ip,
					      desc, en, dur);
	if (rc == UPNP_NO_SUCH_ENTRY && pm->state == PM_RENEWING)
		r->flags |= UPNP_F_WAS_MISSING;
	rc = UPNP_AddPortMapping(urls->controlURL, st, port, port, lan, pm->desc, "UDP", NULL, lease);
	if (rc == UPNP_ONLY_PERMANENT) {
		/* IGDs that keep no leases: permanent, so the delete on exit matters. */
		snprintf(lease, sizeof(lease), "0");
		r->flags |= UPNP_F_PERMANENT;
		rc = UPNP_AddPortMapping(urls->controlURL, st, port, port, lan, pm->desc, "UDP", NULL,
					 lease);
	}
	if (rc != UPNPCOMMAND_SUCCESS) {
		r->status = UPNP_ST_REFUSED;
		r->upnp_error = (int16_t)rc;
		return;
	}
	r->external_port = pm->p.internal_port;
	r->lease = (uint32_t)strtoul(lease, NULL, 10);
	/* What the IGD holds now: some grant a shorter lease than asked. */
	dur[0] = '\0';
	if (UPNP_GetSpecificPortMappingEntry(urls->controlURL, st, port, "UDP", NULL, ic, ip, desc,
					     en, dur) == UPNPCOMMAND_SUCCESS && dur[0]) {
		unsigned long d = strtoul(dur, NULL, 10);

		if (d && d < r->lease)
			r->lease = (uint32_t)d;
	}
	r->status = UPNP_ST_OK;
}

static void worker(const struct portmap *pm, enum upnp_op op, int wfd)
{
	struct upnp_result r = { .op = (uint8_t)op, .status = UPNP_ST_FAILED };
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lan[64] = "", ext[40] = "", port[8];
	uint8_t out[UPNP_RESULT_LEN];
	int rc;

	memset(&urls, 0, sizeof(urls));
	memset(&data, 0, sizeof(data));
	if (igd_from(pm, &urls, &data, lan, sizeof(lan), &r))
		goto done;
	inet_pton(AF_INET, lan, &r.lan);
	rc = UPNP_GetExternalIPAddress(urls.controlURL, data.first.servicetype, ext);
	if (rc != UPNPCOMMAND_SUCCESS || inet_pton(AF_INET, ext, &r.external) != 1) {
		r.status = UPNP_ST_NO_EXTERNAL;
		r.upnp_error = (int16_t)rc;
		goto urls;
	}
	if (op == UPNP_OP_MAP) {
		worker_map(pm, &urls, &data, lan, &r);
	} else if (op == UPNP_OP_DELETE) {
		snprintf(port, sizeof(port), "%u", pm->p.internal_port);
		rc = UPNP_DeletePortMapping(urls.controlURL, data.first.servicetype, port, "UDP", NULL);
		r.status = rc == UPNPCOMMAND_SUCCESS || rc == UPNP_NO_SUCH_ENTRY ? UPNP_ST_OK
									  : UPNP_ST_REFUSED;
		r.upnp_error = (int16_t)rc;
	} else {
		r.status = UPNP_ST_OK;
	}
urls:
	FreeUPNPUrls(&urls);
done:
	if (upnp_result_encode(&r, out) == 0) {
		size_t off = 0;

		while (off < sizeof(out)) {
			ssize_t n = write(wfd, out + off, sizeof(out) - off);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
}

/* --- in the daemon --- */

static void describe(const struct upnp_result *r, char *text, size_t cap)
{
	const char *name = r->upnp_error ? strupnperror(r->upnp_error) : NULL;

	if (r->upnp_error)
		snprintf(text, cap, "%s (error %d%s%s)", upnp_status_str(r->status), r->upnp_error,
			 name ? " " : "", name ? name : "");
	else
		snprintf(text, cap, "%s", upnp_status_str(r->status));
}

static void result(struct portmap *pm, enum upnp_op op, const struct upnp_result *r,
		   const char *errtext)
{
	union sm_addr ext = { .in = { .sin_family = AF_INET } };
	char text[200], a[INET_ADDRSTRLEN];
	bool ok = r && r->status == UPNP_ST_OK;

	if (r)
		describe(r, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%s", errtext);
	if (pm->state == PM_STOPPING) {
		if (op == UPNP_OP_DELETE)
			pm_log(pm, ok ? LOG_INFO : LOG_WARN, "UPnP delete: %s", ok ? "done" : text);
		pm_stop_done(pm);
		return;
	}
	if (!ok && !(r && r->status == UPNP_ST_REFUSED))
		pm->upnp_url[0] = '\0'; /* the IGD moved or is gone: discover it again next time */
	if (ok && r->url[0])
		snprintf(pm->upnp_url, sizeof(pm->upnp_url), "%s", r->url);
	if (op == UPNP_OP_DISCOVER) {
		pm->upnp_done = true;
		pm->upnp_found = ok && pm->upnp_url[0];
		if (pm->upnp_found)
			pm_log(pm, LOG_DEBUG, "UPnP IGD at %s, external address %s%s", pm->upnp_url,
			       inet_ntop(AF_INET, &r->external, a, sizeof(a)),
			       r->igd == 2 ? " (it says it is not connected)" : "");
		else
			snprintf(pm->upnp_why, sizeof(pm->upnp_why), "%.100s", ok ? "no IGD URL" : text);
		pm_probe_progress(pm);
		return;
	}
	if (op != UPNP_OP_MAP)
		return;
	if (!ok) {
		pm_map_failed(pm, r && r->status == UPNP_ST_REFUSED, text);
		return;
	}
	if (r->flags & UPNP_F_WAS_MISSING)
		pm_log(pm, LOG_INFO, "the UPnP IGD had lost the mapping (restarted?): added again");
	if (r->flags & UPNP_F_PERMANENT)
		pm_log(pm, LOG_INFO, "the UPnP IGD keeps only permanent mappings");
	ext.in.sin_addr = r->external;
	ext.in.sin_port = htons(r->external_port);
	pm_granted(pm, PORTMAP_UPNP, &ext, r->lease, 0);
}

static void finish(struct portmap *pm)
{
	struct upnp_result r;
	struct errbuf e = { "" };
	enum upnp_op op = pm->upnp_op;
	int status = pm->upnp_status;
	char text[200] = "";

	loop_timer_cancel(pm->loop, &pm->t_upnp);
	if (pm->upnp_fd >= 0) {
		loop_fd_remove(pm->loop, pm->upnp_fd);
		close(pm->upnp_fd);
		pm->upnp_fd = -1;
	}
	pm->upnp_pid = 0;
	if (upnp_result_decode(pm->upnp_buf, pm->upnp_len, &r, &e) == 0 && r.op == op) {
		result(pm, op, &r, NULL);
		return;
	}
	if (WIFSIGNALED(status))
		snprintf(text, sizeof(text), "the UPnP worker was killed by signal %d%s",
			 WTERMSIG(status), WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGALRM
						   ? " (no answer within the deadline)" : "");
	else
		snprintf(text, sizeof(text), "the UPnP worker gave no result: %.120s", e.msg);
	result(pm, op, NULL, text);
}

static void on_pipe(struct loop *l, int fd, unsigned events, void *arg)
{
	struct portmap *pm = arg;
	ssize_t n;

	(void)l;
	(void)events;
	n = read(fd, pm->upnp_buf + pm->upnp_len, sizeof(pm->upnp_buf) - pm->upnp_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		pm->upnp_len += (size_t)n;
		if (pm->upnp_len < sizeof(pm->upnp_buf))
			return;
		/* One byte more than a record: it is not one; stop reading. */
	}
	loop_fd_remove(pm->loop, fd);
	pm->upnp_eof = true;
	if (pm->upnp_exited)
		finish(pm);
}

static void on_exit_cb(struct loop *l, pid_t pid, int status, void *arg)
{
	struct portmap *pm = arg;

	(void)l;
	if (pid != pm->upnp_pid)
		return;
	pm->upnp_status = status;
	pm->upnp_exited = true;
	if (pm->upnp_eof)
		finish(pm);
}

void pm_upnp_deadline(struct loop *l, void *arg)
{
	struct portmap *pm = arg;

	(void)l;
	if (pm->upnp_pid > 0)
		kill(pm->upnp_pid, SIGKILL); /* the exit callback and EOF follow */
}

void pm_upnp_cancel(struct portmap *pm)
{
	if (pm->upnp_pid <= 0)
		return;
	kill(pm->upnp_pid, SIGKILL);
	loop_child_forget(pm->loop, pm->upnp_pid); /* still reaped by the loop */
	loop_timer_cancel(pm->loop, &pm->t_upnp);
	if (pm->upnp_fd >= 0) {
		loop_fd_remove(pm->loop, pm->upnp_fd);
		close(pm->upnp_fd);
		pm->upnp_fd = -1;
	}
	pm->upnp_pid = 0;
}

int pm_upnp_start(struct portmap *pm, enum upnp_op op, struct errbuf *e)
{
	int64_t deadline = pm->p.upnp_deadline_ms;
	sigset_t none;
	int p[2], r;
	pid_t pid;

	pm_upnp_cancel(pm);
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_set(e, -errno, "UPnP worker pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		r = err_set(e, -errno, "starting the UPnP worker: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		close(p[0]);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGALRM, SIG_DFL);
		alarm((unsigned)((deadline + 999) / 1000));
		worker(pm, op, p[1]);
		_exit(0);
	}
	close(p[1]);
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0 ||
	    (r = loop_child_add(pm->loop, pid, on_exit_cb, pm)) ||
	    (r = loop_fd_add(pm->loop, p[0], LOOP_READ, on_pipe, pm))) {
		kill(pid, SIGKILL);
		loop_child_forget(pm->loop, pid);
		close(p[0]);
		return err_set(e, -ENOMEM, "starting the UPnP worker: out of memory");
	}
	pm->upnp_pid = pid;
	pm->upnp_fd = p[0];
	pm->upnp_op = op;
	pm->upnp_len = 0;
	pm->upnp_eof = pm->upnp_exited = false;
	loop_timer_arm(pm->loop, &pm->t_upnp, deadline);
	pm_log(pm, LOG_DEBUG, "UPnP worker %d: %s", (int)pid,
	       op == UPNP_OP_DISCOVER ? "discover" : op == UPNP_OP_MAP ? "map" : "delete");
	return 0;
}

#else /* !WITH_UPNP: built without libminiupnpc; NAT-PMP and PCP stay. */

bool pm_upnp_running(const struct portmap *pm)
{
	(void)pm;
	return false;
}

int pm_upnp_start(struct portmap *pm, enum upnp_op op, struct errbuf *e)
{
	(void)pm;
	(void)op;
	return err_set(e, -EOPNOTSUPP, "UPnP is not built into this stunmesh");
}

void pm_upnp_cancel(struct portmap *pm)
{
	(void)pm;
}

void pm_upnp_deadline(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
}

#endif
