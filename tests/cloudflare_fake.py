#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A local fake of the part of the Cloudflare v4 API that stunmesh's cloudflare store
uses. It is a FAKE, written because the real API (api.cloudflare.com) cannot be reached
from the test machines; it imitates the documented shapes, not Cloudflare's code.

Endpoints (all under /client/v4, all need "Authorization: Bearer <token>"):
  GET   /zones?name=<zone>                          list zones (exact name match)
  GET   /zones/<zone_id>/dns_records?type=&name=    list records (exact matches)
  POST  /zones/<zone_id>/dns_records                create a record
  PATCH /zones/<zone_id>/dns_records/<record_id>    update fields of a record
  GET   /zones/<zone_id>/dns_records/<record_id>    one record
  DELETE /zones/<zone_id>/dns_records/<record_id>   delete a record
Every answer is Cloudflare's envelope
  {"success":bool,"errors":[{"code","message"}],"messages":[],"result":...,
   "result_info":{...} (lists only)}.
Faithful details: a wrong or missing token gets 403 {"code":10000,"message":
"Authentication error"}; an unknown zone id 400 with codes 7003/7000; a create answers
200 (not 201); TXT content longer than 255 bytes is stored as RFC 1035 character-strings
and listed back in zone-file form, "chunk1" "chunk2"; an identical record (same type,
name, content) cannot be created twice (81058); a 429 carries Retry-After and code 971.

Control (no token needed; for the tests):
  POST /_fake/fault   {"status":429|500|..., "count":N, "skip":K, "retry_after":S,
                       "hang":S, "html":bool, "commit":bool}
                       after K more normal requests, answer the next N API requests
                       with that status (hang: sleep S seconds first, and answer
                       normally when there is no status; commit: carry the request
                       out, then answer with the failure, as when a reply is lost)
  GET  /_fake/log     the API requests so far: [{"method","path","query","body"}]
  GET  /_fake/records the record table
  POST /_fake/rezone  delete and re-add every zone (new zone ids, no records)
  POST /_fake/reset   forget records, log and faults

Usage: cloudflare_fake.py --token T [--zone example.com ...] [--port 0]
Prints "port N" on stdout once listening on 127.0.0.1, then serves until killed.
"""
import argparse
import datetime
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/client/v4"


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id():
    return secrets.token_hex(16)  # Cloudflare ids: 32 lowercase hex chars


def txt_stored_form(content):
    """What the API lists for a TXT content: as given when it fits one character-string
    (or is already quoted), else split into 255-byte strings in zone-file syntax."""
    if content.startswith('"') or len(content.encode()) <= 255:
        return content
    chunks = [content[i:i + 255] for i in range(0, len(content), 255)]
    return " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)


class State:
    def __init__(self, token, zones):
        self.lock = threading.Lock()
        self.token = token
        self.zones = {}
        for z in zones:
            zid = new_id()
            self.zones[zid] = {
                "id": zid, "name": z, "status": "active", "paused": False, "type": "full",
                "development_mode": 0,
                "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
                "original_name_servers": None, "original_registrar": None,
                "original_dnshost": None, "created_on": now_iso(), "modified_on": now_iso(),
                "activated_on": now_iso(),
                "meta": {"step": 2, "custom_certificate_quota": 0, "page_rule_quota": 3,
                         "phishing_detected": False},
                "owner": {"id": None, "type": "user", "email": None},
                "account": {"id": new_id(), "name": "Stunmesh test account"},
                "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
                "plan": {"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website",
                         "price": 0, "currency": "USD", "frequency": "", "is_subscribed": False,
                         "can_subscribe": False, "legacy_id": "free",
                         "legacy_discount": False, "externally_managed": False},
            }
        self.records = []  # insertion order, like a fresh zone listing
        self.log = []
        self.fault = None


STATE = None


def envelope(result, success=True, errors=None, result_info=None, messages=None):
    body = {"success": success, "errors": errors or [], "messages": messages or [],
            "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return body


def list_info(items):
    return {"page": 1, "per_page": 100, "count": len(items), "total_count": len(items),
            "total_pages": 1}


def err(code, message):
    return envelope(None, False, [{"code": code, "message": message}])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-cloudflare"

    def log_message(self, fmt, *args):  # quiet: the tests read /_fake/log
        pass

    def send_json(self, status, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_html(self, status, text):
        data = ("<html><head><title>%d</title></head><body><center><h1>%d %s</h1>"
                "</center><hr><center>cloudflare</center></body></html>" %
                (status, status, text)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        raw = self.read_body()
        if url.path.startswith("/_fake/"):
            return self.control(method, url.path, raw)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<not JSON>"
        with STATE.lock:
            STATE.log.append({"method": method, "path": url.path, "query": query,
                              "body": body})
            fault = STATE.fault
            if fault and fault.get("skip", 0) > 0:
                fault["skip"] -= 1
                fault = None
            elif fault:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    STATE.fault = None
        if fault:
            if fault.get("hang"):
                time.sleep(fault["hang"])
            status = fault.get("status")
            if status and not fault.get("commit"):
                return self.answer_fault(status, fault)
        if self.headers.get("Authorization") != "Bearer " + STATE.token:
            return self.send_json(403, err(10000, "Authentication error"))
        if not url.path.startswith(PREFIX + "/"):
            return self.send_json(400, err(7000, "No route for that URI"))
        parts = url.path[len(PREFIX) + 1:].split("/")
        if body == "<not JSON>":
            return self.send_json(400, err(6007, "Malformed JSON in request body"))
        with STATE.lock:
            status, obj = self.api(method, parts, query, body)
        if fault and fault.get("status") and fault.get("commit"):
            # The request took effect but its answer is lost in a failure.
            return self.answer_fault(fault["status"], fault)
        self.send_json(status, obj)

    def answer_fault(self, status, fault):
        extra = {}
        if status == 429:
            extra["Retry-After"] = str(fault.get("retry_after", 1))
            return self.send_json(429, err(971, "Please wait and consider throttling your "
                                           "request speed"), extra)
        if fault.get("html", status >= 500):
            return self.send_html(status, "Internal Server Error")
        return self.send_json(status, err(10001, "service temporarily unavailable"))

    def api(self, method, parts, query, body):
        if parts == ["zones"] and method == "GET":
            zones = [z for z in STATE.zones.values()
                     if "name" not in query or z["name"] == query["name"]]
            return 200, envelope(zones, result_info=list_info(zones))
        if len(parts) >= 3 and parts[0] == "zones" and parts[2] == "dns_records":
            zone = STATE.zones.get(parts[1])
            if not zone:
                return 400, envelope(None, False, [
                    {"code": 7003, "message": "Could not route to /zones/%s/dns_records, "
                     "perhaps your object identifier is invalid?" % parts[1]},
                    {"code": 7000, "message": "No route for that URI"}])
            if len(parts) == 3:
                if method == "GET":
                    return self.list_records(zone, query)
                if method == "POST":
                    return self.create(zone, body)
            elif len(parts) == 4:
                rec = next((r for r in STATE.records
                            if r["id"] == parts[3] and r["zone_id"] == zone["id"]), None)
                if not rec:
                    return 404, err(81044, "Record does not exist.")
                if method == "GET":
                    return 200, envelope(self.shown(rec))
                if method == "PATCH":
                    return self.patch(rec, body)
                if method == "DELETE":
                    STATE.records.remove(rec)
                    return 200, envelope({"id": rec["id"]})
        return 405 if parts[0] == "zones" else 400, err(10000 if parts[0] != "zones" else 7001,
                                                     "Method not allowed for this route")

    @staticmethod
    def shown(rec):
        out = dict(rec)
        if out["type"] == "TXT":
            out["content"] = txt_stored_form(out["content"])
        return out

    def list_records(self, zone, query):
        recs = [r for r in STATE.records if r["zone_id"] == zone["id"]]
        if "type" in query:
            recs = [r for r in recs if r["type"] == query["type"]]
        if "name" in query:
            recs = [r for r in recs if r["name"] == query["name"].lower()]
        shown = [self.shown(r) for r in recs]
        return 200, envelope(shown, result_info=list_info(shown))

    @staticmethod
    def check_fields(zone, rec):
        if rec["type"] != "TXT":
            return 400, err(9000, "DNS record type is invalid. (this fake knows TXT only)")
        name = rec["name"]
        if not (name == zone["name"] or name.endswith("." + zone["name"])):
            return 400, err(9007, "Content for TXT record is invalid. Name must be "
                            "within the zone.")
        if not isinstance(rec["content"], str) or not rec["content"]:
            return 400, err(9005, "Content for TXT record is invalid.")
        ttl = rec["ttl"]
        if not isinstance(ttl, int) or (ttl != 1 and not 30 <= ttl <= 86400):
            return 400, err(9021, "Invalid TTL. Must be between 30 and 86400 seconds, or 1 "
                            "for Automatic.")
        return None

    def create(self, zone, body):
        if not isinstance(body, dict):
            return 400, err(9207, "Request body is invalid.")
        rec = {
            "id": new_id(), "zone_id": zone["id"], "zone_name": zone["name"],
            "name": str(body.get("name", "")).lower(), "type": body.get("type"),
            "content": body.get("content"), "proxiable": False, "proxied": False,
            "ttl": body.get("ttl", 1), "settings": {},
            "meta": {"auto_added": False, "managed_by_apps": False,
                     "managed_by_argo_tunnel": False},
            "comment": body.get("comment"), "tags": body.get("tags", []),
            "created_on": now_iso(), "modified_on": now_iso(),
        }
        if rec["comment"]:
            rec["comment_modified_on"] = now_iso()
        bad = self.check_fields(zone, rec)
        if bad:
            return bad
        for r in STATE.records:
            if (r["zone_id"], r["type"], r["name"], r["content"]) == \
                    (rec["zone_id"], rec["type"], rec["name"], rec["content"]):
                return 400, err(81058, "An identical record already exists.")
        STATE.records.append(rec)
        return 200, envelope(self.shown(rec))

    def patch(self, rec, body):
        if not isinstance(body, dict):
            return 400, err(9207, "Request body is invalid.")
        new = dict(rec)
        for k in ("name", "type", "content", "ttl", "comment", "tags", "proxied"):
            if k in body:
                new[k] = body[k].lower() if k == "name" else body[k]
        zone = STATE.zones[rec["zone_id"]]
        bad = self.check_fields(zone, new)
        if bad:
            return bad
        new["modified_on"] = now_iso()
        rec.update(new)
        return 200, envelope(self.shown(rec))

    def control(self, method, path, raw):
        with STATE.lock:
            if path == "/_fake/fault" and method == "POST":
                fault = json.loads(raw or b"{}")
                fault.setdefault("count", 1)
                STATE.fault = fault if fault["count"] > 0 else None
                result = STATE.fault
            elif path == "/_fake/log":
                result = STATE.log
            elif path == "/_fake/records":
                result = STATE.records
            elif path == "/_fake/rezone" and method == "POST":
                # The zones are deleted and added again: new ids, no records.
                STATE.zones = {z["id"]: z for z in
                               (dict(z, id=new_id()) for z in STATE.zones.values())}
                STATE.records = []
                result = True
            elif path == "/_fake/reset" and method == "POST":
                STATE.records, STATE.log, STATE.fault = [], [], None
                result = True
            else:
                return self.send_json(404, {"error": "unknown control path"})
            data = json.loads(json.dumps(result))
        self.send_json(200, data)


def main():
    global STATE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--token", required=True)
    ap.add_argument("--zone", action="append", default=[])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    STATE = State(args.token, args.zone or ["example.com"])
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    print("port %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
