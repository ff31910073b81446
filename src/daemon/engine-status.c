/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the daemon sees, for `stunmesh status`: per interface the public endpoints and
 * when they were learnt, per peer its state, endpoint, handshake age, transfer and the
 * store's last result. No key material but public keys. */
#include "daemon/engine.h"
#include "daemon/engine-int.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void add_str(cJSON *o, const char *k, const char *v)
{
	cJSON_AddStringToObject(o, k, v ? v : "");
}

static const char *nat_name(const struct eng_disc *dc)
{
	return dc->nat == NAT_SYMMETRIC ? "symmetric" : dc->nat == NAT_CONE ? "cone" : "unknown";
}

/* Why a peer that is not connected may never be, from what both sides learnt about
 * their NATs (RFC 5128 section 3.3: a symmetric NAT only meets a peer that accepts
 * packets from anywhere). NULL when there is nothing to say. */
static const char *peer_note(const struct eng_peer *p)
{
	bool ours = p->ifc->disc[0].nat == NAT_SYMMETRIC || p->ifc->disc[1].nat == NAT_SYMMETRIC;

	if (!p->on_device || p->fsm.state == PEER_CONNECTED)
		return NULL;
	if (ours && p->peer_symmetric)
		return "both NATs are symmetric: not connectable by hole punching (forward a port on one side, or use a relay)";
	if (p->peer_symmetric)
		return "the peer's NAT is symmetric: this only works if this side accepts unsolicited packets (a public address, a full-cone NAT or a forwarded port)";
	if (ours)
		return "this NAT is symmetric: this only works if the peer accepts unsolicited packets (a public address, a full-cone NAT or a forwarded port)";
	return NULL;
}

static cJSON *disc_json(const struct eng_disc *dc)
{
	cJSON *o = cJSON_CreateObject();
	char buf[64];

	if (!o)
		return NULL;
	if (dc->have) {
		addr_format(&dc->mapped, buf, sizeof(buf));
		add_str(o, "endpoint", buf);
		cJSON_AddNumberToObject(o, "learned_unix", (double)dc->learned_unix);
	}
	if (dc->error[0])
		add_str(o, "error", dc->error);
	add_str(o, "nat", nat_name(dc));
	return o;
}

/* The ways the peer can be reached and how each is doing. */
static void paths_json(cJSON *o, const struct peer_fsm *f)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "paths");
	char buf[ADDR_STR_LEN];

	for (unsigned i = 0; arr && i < f->n_paths; i++) {
		const struct peer_path *pa = &f->paths[i];
		cJSON *po = cJSON_CreateObject();

		if (!po)
			return;
		cJSON_AddItemToArray(arr, po);
		add_str(po, "kind", peer_path_kind_name(pa->kind));
		addr_format(&pa->remote, buf, sizeof(buf));
		add_str(po, "remote", pa->remote.sa.sa_family == AF_UNSPEC ? "" : buf);
		add_str(po, "state", peer_path_state_name(pa->state));
		cJSON_AddBoolToObject(po, "active", i == f->active);
	}
}

static cJSON *peer_json(const struct eng_peer *p, int64_t now_unix)
{
	cJSON *o = cJSON_CreateObject();
	char buf[ADDR_STR_LEN], b64[WG_KEY_B64_LEN];

	if (!o)
		return NULL;
	add_str(o, "name", p->name);
	wg_key_to_base64(b64, p->pub);
	add_str(o, "public_key", b64);
	add_str(o, "state", p->on_device ? peer_state_name(p->fsm.state) : "not-on-device");
	cJSON_AddBoolToObject(o, "peer_nat_symmetric", p->peer_symmetric);
	if (peer_note(p))
		add_str(o, "note", peer_note(p));
	addr_format(&p->fsm.mon.dev_endpoint, buf, sizeof(buf));
	add_str(o, "endpoint", p->fsm.mon.dev_endpoint.sa.sa_family == AF_UNSPEC ? "" : buf);
	if (p->fsm.mon.last_handshake)
		cJSON_AddNumberToObject(o, "handshake_age_s",
					(double)(now_unix - p->fsm.mon.last_handshake));
	else
		cJSON_AddNullToObject(o, "handshake_age_s");
	cJSON_AddNumberToObject(o, "rx_bytes", (double)p->fsm.mon.rx);
	cJSON_AddNumberToObject(o, "tx_bytes", (double)p->fsm.mon.tx);
	cJSON_AddNumberToObject(o, "connects", p->fsm.connects);
	add_str(o, "store", p->store_name);
	add_str(o, "fetch", p->fetch.msg);
	add_str(o, "publish", p->publish.msg);
	paths_json(o, &p->fsm);
	return o;
}

char *engine_status_json(struct engine *eng)
{
	cJSON *root = cJSON_CreateObject(), *ifs;
	int64_t now_unix = eng_unix_now(eng);
	char *out;

	if (!root)
		return NULL;
	cJSON_AddNumberToObject(root, "uptime_s",
				(double)(loop_now(eng->loop) - eng->started_ms) / 1000.0);
	ifs = cJSON_AddArrayToObject(root, "interfaces");
	for (size_t i = 0; ifs && i < eng->n_ifaces; i++) {
		const struct eng_iface *ifc = eng->ifaces[i];
		cJSON *o = cJSON_CreateObject(), *peers;
		char b64[WG_KEY_B64_LEN];

		if (!o)
			break;
		cJSON_AddItemToArray(ifs, o);
		add_str(o, "name", ifc->name);
		cJSON_AddBoolToObject(o, "present", ifc->present);
		if (!ifc->present)
			add_str(o, "error", ifc->error);
		else {
			cJSON_AddNumberToObject(o, "listen_port", ifc->listen_port);
			wg_key_to_base64(b64, ifc->pub);
			add_str(o, "public_key", b64);
		}
		add_str(o, "protocol", iface_family_name(ifc->protocol));
		if (ifc->protocol != FAMILY_IPV6)
			cJSON_AddItemToObject(o, "ipv4", disc_json(&ifc->disc[0]));
		if (ifc->protocol != FAMILY_IPV4)
			cJSON_AddItemToObject(o, "ipv6", disc_json(&ifc->disc[1]));
		peers = cJSON_AddArrayToObject(o, "peers");
		for (size_t j = 0; peers && j < ifc->n_peers; j++)
			cJSON_AddItemToArray(peers, peer_json(ifc->peers[j], now_unix));
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

static void age(char *buf, size_t len, int64_t secs)
{
	if (secs < 0)
		snprintf(buf, len, "in the future");
	else if (secs < 120)
		snprintf(buf, len, "%llds ago", (long long)secs);
	else if (secs < 7200)
		snprintf(buf, len, "%lldm ago", (long long)(secs / 60));
	else
		snprintf(buf, len, "%lldh ago", (long long)(secs / 3600));
}

void engine_status_text(struct engine *eng, FILE *f)
{
	int64_t now_unix = eng_unix_now(eng);

	for (size_t i = 0; i < eng->n_ifaces; i++) {
		const struct eng_iface *ifc = eng->ifaces[i];
		char buf[64], when[32];

		fprintf(f, "interface %s: ", ifc->name);
		if (!ifc->present) {
			fprintf(f, "not available (%s)\n", ifc->error);
		} else {
			fprintf(f, "listen port %u, %s\n", ifc->listen_port,
				iface_family_name(ifc->protocol));
		}
		for (int k = 0; k < 2; k++) {
			const struct eng_disc *dc = &ifc->disc[k];

			if ((k == 0 && ifc->protocol == FAMILY_IPV6) ||
			    (k == 1 && ifc->protocol == FAMILY_IPV4))
				continue;
			fprintf(f, "  public %s: ", k ? "IPv6" : "IPv4");
			if (dc->have) {
				addr_format(&dc->mapped, buf, sizeof(buf));
				age(when, sizeof(when), now_unix - dc->learned_unix);
				fprintf(f, "%s (confirmed %s)", buf, when);
			} else {
				fprintf(f, "unknown");
			}
			if (dc->error[0])
				fprintf(f, "  [last error: %s]", dc->error);
			if (dc->nat == NAT_SYMMETRIC)
				fprintf(f, "\n    NAT: symmetric (a new port per destination)");
			else if (dc->nat == NAT_CONE)
				fprintf(f, "\n    NAT: endpoint-independent mapping");
			fputc('\n', f);
		}
		for (size_t j = 0; j < ifc->n_peers; j++) {
			const struct eng_peer *p = ifc->peers[j];
			char ep[ADDR_STR_LEN];

			addr_format(&p->fsm.mon.dev_endpoint, ep, sizeof(ep));
			fprintf(f, "  peer %s: %s\n", p->name,
				p->on_device ? peer_state_name(p->fsm.state) : "not on the device");
			fprintf(f, "    endpoint: %s\n",
				p->fsm.mon.dev_endpoint.sa.sa_family == AF_UNSPEC ? "(none)" : ep);
			if (p->fsm.mon.last_handshake)
				age(when, sizeof(when), now_unix - p->fsm.mon.last_handshake);
			else
				snprintf(when, sizeof(when), "never");
			fprintf(f, "    handshake: %s, transfer: %llu B received, %llu B sent\n", when,
				(unsigned long long)p->fsm.mon.rx, (unsigned long long)p->fsm.mon.tx);
			if (peer_note(p))
				fprintf(f, "    note: %s\n", peer_note(p));
			fprintf(f, "    store %s: read %s; publish %s\n", p->store_name,
				p->fetch.kind != FETCH_NOT_YET ? p->fetch.msg : "not yet",
				p->publish.kind != PUBLISH_NOT_YET ? p->publish.msg : "not yet");
		}
	}
	if (!eng->n_ifaces)
		fprintf(f, "no interfaces configured\n");
}
