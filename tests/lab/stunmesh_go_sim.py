#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stunmesh-go node's record handling, written independently of stunmesh from the
format notes (shared research stunmesh-go.md, sections 0 and 2), for interop tests:

  storage key a node WRITES for a peer: hex(sha1(own_pub32 || peer_pub32))
  storage key it READS:                 hex(sha1(peer_pub32 || own_pub32))
  plaintext: Go json.Marshal of {"ipv4":"a.b.c.d:port","ipv6":"[v6]:port"}: compact,
             that key order, empty fields omitted
  value:     lowercase hex of nonce(24) || crypto_box(plaintext, nonce, peer_pub, own_priv)
             (NaCl box: 16-byte Poly1305 tag, then the XSalsa20 ciphertext)

The file store layout is DIR/<key>.txt holding the hex value and a newline.

  stunmesh_go_sim.py selftest VECTORS        check against stunmesh-go-vectors.txt
  stunmesh_go_sim.py publish DIR PRIVKEY_FILE PEER_PUB_B64 [--ipv4 EP] [--ipv6 EP]
  stunmesh_go_sim.py read DIR PRIVKEY_FILE PEER_PUB_B64 [--protocol P]
      prints the plaintext JSON, then the endpoint chosen for protocol P
      (ipv4, ipv6, prefer_ipv4, prefer_ipv6; default ipv4); exit 1 if none, 3 if the
      record is missing, 4 if it does not open

Needs PyNaCl (Debian: python3-nacl); run with the system python3.
"""
import base64
import hashlib
import json
import os
import re
import sys

from nacl.exceptions import CryptoError
from nacl.public import Box, PrivateKey, PublicKey

NONCE_LEN = 24


def write_key(own_pub, peer_pub):
    return hashlib.sha1(own_pub + peer_pub).hexdigest()


def read_key(own_pub, peer_pub):
    return hashlib.sha1(peer_pub + own_pub).hexdigest()


def plaintext(ipv4=None, ipv6=None):
    # Go's encoding/json: struct field order, omitempty, no spaces
    fields = {}
    if ipv4:
        fields["ipv4"] = ipv4
    if ipv6:
        fields["ipv6"] = ipv6
    return json.dumps(fields, separators=(",", ":")).encode()


def seal(msg, own_priv, peer_pub, nonce=None):
    if nonce is None:
        nonce = os.urandom(NONCE_LEN)
    box = Box(PrivateKey(own_priv), PublicKey(peer_pub))
    sealed = box.encrypt(msg, nonce)  # nonce || tag || ciphertext
    return sealed.hex()


def open_value(value, own_priv, sender_pub):
    data = bytes.fromhex(value.strip())
    if len(data) < NONCE_LEN:
        raise ValueError("value shorter than a nonce")
    box = Box(PrivateKey(own_priv), PublicKey(sender_pub))
    return box.decrypt(data[NONCE_LEN:], data[:NONCE_LEN])


def parse_record(pt):
    # Go json.Unmarshal into {IPv4, IPv6}: keys matched case-insensitively, others ignored
    obj = json.loads(pt)
    if not isinstance(obj, dict):
        raise ValueError("record is not a JSON object")
    rec = {"ipv4": "", "ipv6": ""}
    for k, v in obj.items():
        if k.lower() in rec and isinstance(v, str):
            rec[k.lower()] = v
    return rec


def select(rec, protocol):
    order = {
        "ipv4": ["ipv4"],
        "ipv6": ["ipv6"],
        "prefer_ipv4": ["ipv4", "ipv6"],
        "prefer_ipv6": ["ipv6", "ipv4"],
    }[protocol]
    for fam in order:
        if rec[fam]:
            return rec[fam]
    return None


def b64key(s):
    raw = base64.b64decode(s.strip(), validate=True)
    if len(raw) != 32:
        raise ValueError("a key must be 32 bytes")
    return raw


def own_keys(path):
    with open(path) as f:
        priv = b64key(f.read())
    return priv, bytes(PrivateKey(priv).public_key)


# ---- self-test against the vectors file ----

def selftest(path):
    text = open(path).read()
    fails = 0

    def check(what, got, want):
        nonlocal fails
        if got == want:
            print(f"ok - selftest: {what}")
        else:
            fails += 1
            print(f"not ok - selftest: {what}: got {got!r}, want {want!r}")

    def field(label):
        m = re.search(re.escape(label) + r"\s*:\s*(\S+)", text)
        if not m:
            raise SystemExit(f"vectors: no '{label}'")
        return m.group(1)

    dev_priv = base64.b64decode(field("device private base64"))
    peer_priv = base64.b64decode(field("peer   private base64"))
    dev_pub = bytes(PrivateKey(dev_priv).public_key)
    peer_pub = bytes(PrivateKey(peer_priv).public_key)
    check("device public key", dev_pub.hex(), field("device public hex"))
    check("peer public key", peer_pub.hex(), field("peer   public hex"))

    # the repository's own unit vector: device key [0]*32, peer key [1, 0...]
    z, one = bytes(32), bytes([1]) + bytes(31)
    check("key vector sha1(0^32 || 1 0^31)", write_key(z, one),
          "37b7dcf21e0e183a9a86170997df242a84a85ff7")
    check("key vector, read side", read_key(z, one), "9c8d8e5a31c9802b093c4116dfb0a23a311b8029")
    m = re.search(r"EndpointKey\s*=\s*sha1\(devPub\|\|peerPub\)\s*=\s*([0-9a-f]{40})", text)
    check("device writes sha1(devPub||peerPub)", write_key(dev_pub, peer_pub), m.group(1))
    m = re.search(r"RemoteEndpointKey\s*=\s*sha1\(peerPub\|\|devPub\)\s*=\s*([0-9a-f]{40})", text)
    check("device reads sha1(peerPub||devPub)", read_key(dev_pub, peer_pub), m.group(1))
    check("peer reads what the device writes", read_key(peer_pub, dev_pub),
          write_key(dev_pub, peer_pub))

    # sealed values with a zero nonce: "plaintext (N bytes): P" then "stored value ...:" V
    cases = re.findall(r"plaintext \((\d+) bytes\): (\S+)\nstored value[^\n]*\n([0-9a-f]+)", text)
    check("vectors hold 4 sealed values", len(cases), 4)
    for n, pt, value in cases:
        pt_b = pt.encode()
        check(f"plaintext length {n}", len(pt_b), int(n))
        check(f"seal {pt}", seal(pt_b, dev_priv, peer_pub, bytes(NONCE_LEN)), value)
        check(f"value length for {pt}", len(value), 2 * (NONCE_LEN + 16 + len(pt_b)))
        check(f"peer opens {pt}", open_value(value, peer_priv, dev_pub), pt_b)
        rec = parse_record(pt_b)
        if b'""' not in pt_b:  # Go never emits an empty field; the others round-trip
            check(f"Go-compact plaintext round trip {pt}", plaintext(rec["ipv4"], rec["ipv6"]), pt_b)
    # what this script emits for the Go-exact cases
    check("plaintext ipv4", plaintext("203.0.113.7:51820"), b'{"ipv4":"203.0.113.7:51820"}')
    check("plaintext dualstack", plaintext("203.0.113.7:51820", "[2001:db8::7]:51820"),
          b'{"ipv4":"203.0.113.7:51820","ipv6":"[2001:db8::7]:51820"}')
    check("plaintext ipv6", plaintext(None, "[2001:db8::7]:51820"), b'{"ipv6":"[2001:db8::7]:51820"}')
    # a tampered value does not open; a random nonce opens
    v = cases[1][2]
    bad = v[:60] + ("0" if v[60] != "0" else "1") + v[61:]
    try:
        open_value(bad, peer_priv, dev_pub)
        check("tampered value rejected", False, True)
    except CryptoError:
        check("tampered value rejected", True, True)
    fresh = seal(b'{"ipv4":"203.0.113.7:51820"}', dev_priv, peer_pub)
    check("random nonce round trip", open_value(fresh, peer_priv, dev_pub),
          b'{"ipv4":"203.0.113.7:51820"}')
    check("case-insensitive keys, unknown ignored",
          select(parse_record(b'{"IPv4":"203.0.113.7:1","x":1}'), "ipv4"), "203.0.113.7:1")
    check("prefer_ipv6 falls back", select(parse_record(b'{"ipv4":"203.0.113.7:1"}'), "prefer_ipv6"),
          "203.0.113.7:1")
    check("strict ipv6 has none", select(parse_record(b'{"ipv4":"203.0.113.7:1"}'), "ipv6"), None)
    return 1 if fails else 0


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        return args[i + 1]
    return default


def main(argv):
    if len(argv) >= 2 and argv[0] == "selftest":
        return selftest(argv[1])
    if len(argv) >= 4 and argv[0] in ("publish", "read"):
        store, priv_file, peer_b64 = argv[1], argv[2], argv[3]
        priv, pub = own_keys(priv_file)
        peer = b64key(peer_b64)
        rest = argv[4:]
        if argv[0] == "publish":
            pt = plaintext(opt(rest, "--ipv4"), opt(rest, "--ipv6"))
            key = write_key(pub, peer)
            tmp = os.path.join(store, f".{key}.tmp")
            with open(tmp, "w") as f:
                f.write(seal(pt, priv, peer) + "\n")
            os.rename(tmp, os.path.join(store, key + ".txt"))
            print(f"published {pt.decode()} under {key}")
            return 0
        path = os.path.join(store, read_key(pub, peer) + ".txt")
        try:
            value = open(path).read()
        except FileNotFoundError:
            print(f"no record {path}", file=sys.stderr)
            return 3
        try:
            pt = open_value(value, priv, peer)
        except (CryptoError, ValueError) as e:
            print(f"record does not open: {e}", file=sys.stderr)
            return 4
        print(pt.decode())
        ep = select(parse_record(pt), opt(rest, "--protocol", "ipv4"))
        if not ep:
            return 1
        print(ep)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
