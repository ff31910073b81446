/* SPDX-License-Identifier: GPL-2.0-or-later */
/* interfaces: and their peers, checked as stunmesh-go checks them (protocols, the
 * public key's base64 and length, the plugin a peer names) plus what stunmesh adds
 * (backend, duplicate keys). */
#include "config/config-parse.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>


static void ping_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct config_ping *ping = arg;

	if (!strcmp(key, "enabled"))
		cp_get_bool(ps, v, "ping.enabled", &ping->enabled);
	else if (!strcmp(key, "target"))
		cp_set_str(ps, v, "ping.target", &ping->target);
	else if (!strcmp(key, "interval"))
		cp_get_duration(ps, v, "ping.interval", 1, &ping->interval_ms);
	else if (!strcmp(key, "timeout"))
		cp_get_duration(ps, v, "ping.timeout", 1, &ping->timeout_ms);
	else
		cp_unknown_key(ps, "peers.<name>.ping", key, k);
}

struct peer_walk {
	struct config_peer *peer;
	yaml_node_t *key_node;
	yaml_node_t *plugin_node;
	yaml_node_t *pubkey_node;
};

static void peer_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct peer_walk *pw = arg;
	struct config_peer *peer = pw->peer;
	char *s;

	if (!strcmp(key, "public_key")) {
		if (cp_set_str(ps, v, "public_key", &peer->public_key_b64))
			pw->pubkey_node = v;
	} else if (!strcmp(key, "plugin")) {
		if (cp_set_str(ps, v, "plugin", &peer->plugin_name))
			pw->plugin_node = v;
	} else if (!strcmp(key, "protocol")) {
		if ((s = cp_get_str(ps, v, "protocol"))) {
			if (!strcmp(s, "ipv4") || !*s)
				peer->protocol = PEER_IPV4;
			else if (!strcmp(s, "ipv6"))
				peer->protocol = PEER_IPV6;
			else if (!strcmp(s, "prefer_ipv4"))
				peer->protocol = PEER_PREFER_IPV4;
			else if (!strcmp(s, "prefer_ipv6"))
				peer->protocol = PEER_PREFER_IPV6;
			else
				cp_error(ps, v,
					 "peer %s: unknown protocol '%s' (ipv4, ipv6, prefer_ipv4 or prefer_ipv6)",
					 peer->name, s);
			free(s);
		}
	} else if (!strcmp(key, "description")) {
		cp_set_str(ps, v, "description", &peer->description);
	} else if (!strcmp(key, "ping")) {
		cp_each_pair(ps, v, "ping", ping_pair, &peer->ping);
	} else {
		cp_unknown_key(ps, "peers.<name>", key, k);
	}
}

static void parse_peer(struct pstate *ps, const char *name, yaml_node_t *k, yaml_node_t *v,
		       void *arg)
{
	struct config_iface *ifc = arg;
	struct peer_walk pw = { 0 };
	struct config_peer *peer;
	uint8_t key[64];
	size_t klen = 0;

	if (ps->total_peers >= MAX_PEERS_TOTAL) {
		if (ps->total_peers++ == MAX_PEERS_TOTAL)
			cp_error(ps, k, "too many peers (at most %d in all)", MAX_PEERS_TOTAL);
		return;
	}
	ps->total_peers++;
	peer = &ifc->peers[ifc->n_peers];
	memset(peer, 0, sizeof(*peer));
	peer->pos = cp_pos(k);
	if (!(peer->name = cp_strdup(ps, name)))
		return;
	ifc->n_peers++;
	pw.peer = peer;
	pw.key_node = k;
	if (v->type != YAML_MAPPING_NODE) {
		cp_error(ps, v, "peer %s: expected a mapping with public_key and plugin, found %s",
			 name, cp_node_kind(v));
		return;
	}
	cp_each_pair(ps, v, name, peer_pair, &pw);

	if (!pw.pubkey_node || !peer->public_key_b64 || !*peer->public_key_b64) {
		cp_error(ps, pw.pubkey_node ? pw.pubkey_node : k, "peer %s: public_key is required",
			 name);
	} else if (sodium_base642bin(key, sizeof(key), peer->public_key_b64,
				     strlen(peer->public_key_b64), NULL, &klen, NULL,
				     sodium_base64_VARIANT_ORIGINAL) != 0) {
		cp_error(ps, pw.pubkey_node, "peer %s: public_key is not valid base64", name);
	} else if (klen != 32) {
		cp_error(ps, pw.pubkey_node,
			 "peer %s: public_key decodes to %zu bytes; a WireGuard key is 32 bytes (44 base64 characters)",
			 name, klen);
	} else {
		memcpy(peer->public_key, key, 32);
		for (size_t i = 0; i + 1 < ifc->n_peers; i++)
			if (!memcmp(ifc->peers[i].public_key, key, 32) && ifc->peers[i].public_key_b64)
				cp_error(ps, pw.pubkey_node, "peer %s: same public_key as peer %s",
					 name, ifc->peers[i].name);
	}
	if (!pw.plugin_node || !peer->plugin_name || !*peer->plugin_name) {
		cp_error(ps, pw.plugin_node ? pw.plugin_node : k,
			 "peer %s: plugin is required (the name of an entry under plugins:)", name);
	} else {
		for (size_t i = 0; i < ps->cfg->n_plugins; i++)
			if (!strcmp(ps->cfg->plugins[i].name, peer->plugin_name))
				peer->plugin = &ps->cfg->plugins[i];
		if (!peer->plugin)
			cp_error(ps, pw.plugin_node, "peer %s: plugin '%s' is not defined under plugins:",
				 name, peer->plugin_name);
	}
	if (peer->ping.enabled && (!peer->ping.target || !*peer->ping.target))
		cp_warn(ps, k, "peer %s: ping.enabled without ping.target has no effect", name);
}

static void iface_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v,
		       void *arg)
{
	struct config_iface *ifc = arg;
	char *s;
	size_t n;

	if (!strcmp(key, "protocol")) {
		if ((s = cp_get_str(ps, v, "protocol"))) {
			if (!strcmp(s, "ipv4") || !*s)
				ifc->protocol = FAMILY_IPV4;
			else if (!strcmp(s, "ipv6"))
				ifc->protocol = FAMILY_IPV6;
			else if (!strcmp(s, "dualstack"))
				ifc->protocol = FAMILY_DUALSTACK;
			else
				cp_error(ps, v,
					 "interface %s: unknown protocol '%s' (ipv4, ipv6 or dualstack)",
					 ifc->name, s);
			free(s);
		}
	} else if (!strcmp(key, "backend")) {
		if ((s = cp_get_str(ps, v, "backend"))) {
			if (!strcmp(s, "auto") || !*s)
				ifc->backend = WG_BACKEND_AUTO;
			else if (!strcmp(s, "netlink") || !strcmp(s, "kernel"))
				ifc->backend = WG_BACKEND_NETLINK;
			else if (!strcmp(s, "uapi"))
				ifc->backend = WG_BACKEND_UAPI;
			else
				cp_error(ps, v, "interface %s: unknown backend '%s' (auto, netlink or uapi)",
					 ifc->name, s);
			free(s);
		}
	} else if (!strcmp(key, "peers")) {
		if (cp_is_null(v))
			return;
		if (v->type != YAML_MAPPING_NODE) {
			cp_error(ps, v, "interfaces.%s.peers: expected a mapping of peer names, found %s",
				 ifc->name, cp_node_kind(v));
			return;
		}
		n = cp_mapping_size(v);
		free(ifc->peers);
		ifc->n_peers = 0;
		ifc->peers = calloc(n ? n : 1, sizeof(*ifc->peers));
		if (!ifc->peers) {
			ps->oom = true;
			return;
		}
		cp_each_pair(ps, v, "peers", parse_peer, ifc);
	} else if (!strcmp(key, "proxy")) {
		/* stunmesh-go's UDP proxy mode (needed on Windows) is not part of stunmesh:
		 * on Linux the raw socket reaches WireGuard's own port. */
		cp_warn(ps, k, "interface %s: proxy mode is not supported by stunmesh (ignored)",
			ifc->name);
	} else if (!strcmp(key, "listen_interfaces") || !strcmp(key, "listen_default_route")) {
		cp_warn(ps, k, "interface %s: %s applies to macOS/BSD only (ignored on Linux)",
			ifc->name, key);
	} else {
		cp_unknown_key(ps, "interfaces.<name>", key, k);
	}
}

void cp_parse_iface(struct pstate *ps, const char *name, yaml_node_t *k, yaml_node_t *v,
			void *arg)
{
	struct config *cfg = ps->cfg;
	struct config_iface *ifc;

	(void)arg;
	if (cfg->n_ifaces >= MAX_IFACES) {
		cp_error(ps, k, "interfaces: too many interfaces (at most %d)", MAX_IFACES);
		return;
	}
	ifc = &cfg->ifaces[cfg->n_ifaces];
	memset(ifc, 0, sizeof(*ifc));
	ifc->pos = cp_pos(k);
	if (!(ifc->name = cp_strdup(ps, name)))
		return;
	cfg->n_ifaces++;
	if (!*name || strlen(name) >= 16 || strchr(name, '/') || strchr(name, ' ') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		cp_error(ps, k, "interface '%s': not a valid interface name (1-15 characters, no '/' or spaces)",
			 name);
	cp_each_pair(ps, v, name, iface_pair, ifc);
	if (ifc->n_peers == 0)
		cp_warn(ps, k, "interface %s has no peers: nothing to do for it", name);
}

