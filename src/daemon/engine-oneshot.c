/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --oneshot: done once every peer on a present device has had its endpoint set and our
 * record is published to it; a timeout gives up, and what did not make it is named. */
#include "daemon/engine.h"
#include "daemon/engine-int.h"

static void oneshot_timeout_cb(struct loop *l, void *arg)
{
	struct engine *eng = arg;

	(void)l;
	log_error(eng->log, "--oneshot: gave up after the timeout");
	engine_stop(eng, 1);
}

void eng_oneshot_init(struct engine *eng)
{
	loop_timer_init(&eng->oneshot_timer, oneshot_timeout_cb, eng);
}

bool engine_oneshot_done(const struct engine *eng)
{
	for (size_t i = 0; i < eng->n_ifaces; i++) {
		const struct eng_iface *ifc = eng->ifaces[i];

		if (!ifc->present)
			return false;
		for (size_t j = 0; j < ifc->n_peers; j++) {
			const struct eng_peer *p = ifc->peers[j];

			if (p->on_device && (!p->endpoint_ever_set || p->publish.kind != PUBLISH_OK))
				return false;
		}
	}
	return true;
}

/* Why our record is not out: the store's words, or discovery's. */
static const char *publish_why(const struct eng_peer *p)
{
	const struct eng_iface *ifc = p->ifc;

	if (p->publish.kind != PUBLISH_NOT_YET)
		return p->publish.msg;
	if (ifc->disc[0].error[0])
		return ifc->disc[0].error;
	if (ifc->disc[1].error[0])
		return ifc->disc[1].error;
	return "no public endpoint learnt yet";
}

void engine_report_failures(const struct engine *eng)
{
	for (size_t i = 0; i < eng->n_ifaces; i++) {
		const struct eng_iface *ifc = eng->ifaces[i];

		if (!ifc->present) {
			log_error(eng->log, "%s: %s", ifc->name, ifc->error);
			continue;
		}
		for (size_t j = 0; j < ifc->n_peers; j++) {
			const struct eng_peer *p = ifc->peers[j];

			if (!p->on_device)
				continue;
			if (!p->endpoint_ever_set)
				log_error(eng->log, "peer %s/%s: no endpoint set: %s", ifc->name, p->name,
					  p->fetch.kind != FETCH_NOT_YET ? p->fetch.msg
									 : "no record read yet");
			if (p->publish.kind != PUBLISH_OK)
				log_error(eng->log, "peer %s/%s: our endpoint not published: %s",
					  ifc->name, p->name, publish_why(p));
		}
	}
}

void eng_check_oneshot(struct engine *eng)
{
	if (!eng->opts.oneshot || eng->stopping || !engine_oneshot_done(eng))
		return;
	log_info(eng->log, "--oneshot: every peer has an endpoint and our record is published");
	engine_stop(eng, 0);
}
