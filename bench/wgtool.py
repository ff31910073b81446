#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark helpers that talk to wireguard-go directly over its UAPI socket
# (/var/run/wireguard/IF.sock, shared by every namespace), so that polling is cheap and
# handshake times come at WireGuard's own nanosecond resolution instead of a polling
# interval. Times are printed as seconds since the T0 given (unix time, float).
#
#   wgtool.py converge IF PEER T0 TIMEOUT PING...   handshake of PEER on IF, then the
#                                                   first PING command that succeeds
#   wgtool.py floor IF1 PUB1 EP1 IF2 PUB2 EP2       endpoints by hand, then converge
#   wgtool.py all-endpoints IF N T0 TIMEOUT PID     until N peers have an endpoint
#   wgtool.py scale-gen N OWNPUB STOREDIR OUTDIR    N peers: wg conf, YAML, records
import base64
import hashlib
import os
import socket
import subprocess
import sys
import time


def b64hex(k):
    return base64.b64decode(k.strip()).hex()


def uapi(ifname, req):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect("/var/run/wireguard/%s.sock" % ifname)
    s.sendall(req.encode())
    buf = b""
    while not buf.endswith(b"\n\n"):
        d = s.recv(1 << 20)
        if not d:
            break
        buf += d
    s.close()
    return buf.decode()


def peers(ifname):
    """{pub hex: {field: value}} from a UAPI get."""
    out, cur = {}, None
    for line in uapi(ifname, "get=1\n\n").splitlines():
        k, _, v = line.partition("=")
        if k == "public_key":
            cur = out.setdefault(v, {})
        elif cur is not None:
            cur[k] = v
    return out


def uapi_set(ifname, pubhex, **kv):
    req = "set=1\npublic_key=%s\nupdate_only=true\n" % pubhex
    req += "".join("%s=%s\n" % (k, v) for k, v in kv.items()) + "\n"
    r = uapi(ifname, req)
    if "errno=0" not in r:
        raise RuntimeError("uapi set on %s: %s" % (ifname, r.strip()))


def handshake_time(ifname, pubhex):
    p = peers(ifname).get(pubhex, {})
    sec = int(p.get("last_handshake_time_sec", "0"))
    if not sec:
        return 0.0
    return sec + int(p.get("last_handshake_time_nsec", "0")) / 1e9


def converge(ifname, pubhex, t0, timeout, ping):
    """Seconds from t0 to the handshake and to the first successful ping, or 'timeout'."""
    deadline = t0 + timeout
    hs = 0.0
    while time.time() < deadline:
        hs = handshake_time(ifname, pubhex)
        if hs:
            break
        time.sleep(0.002)
    if not hs:
        return None, None
    while time.time() < deadline:
        if subprocess.run(ping, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            return hs - t0, time.time() - t0
    return hs - t0, None


def fmt(v):
    return "timeout" if v is None else "%.4f" % v


def cmd_converge(a):
    hs, png = converge(a[0], b64hex(a[1]), float(a[2]), float(a[3]), a[4:])
    print(fmt(hs), fmt(png))


def cmd_floor(a):
    """Both endpoints set at the same moment; then the side with the lower key sends
    first (keepalive 1 s makes WireGuard initiate at once), and the other side as soon
    as the first initiation has left, which is the order stunmesh punches in, without
    its delay: two initiations crossing would both be rejected (5 s retry)."""
    if1, pub1, ep1, if2, pub2, ep2 = a[0], b64hex(a[1]), a[2], a[3], b64hex(a[4]), a[5]
    ping = a[6:]
    # if1 has peer pub2 at ep2 and vice versa
    t0 = time.time()
    uapi_set(if1, pub2, endpoint=ep2)
    uapi_set(if2, pub1, endpoint=ep1)
    # whose key is lower: compare raw public keys (site 1's own key is pub1)
    first, first_peer, second, second_peer = (if1, pub2, if2, pub1) if bytes.fromhex(pub1) < bytes.fromhex(pub2) \
        else (if2, pub1, if1, pub2)
    uapi_set(first, first_peer, persistent_keepalive_interval=1)
    deadline = t0 + 10
    while time.time() < deadline:
        if int(peers(first).get(first_peer, {}).get("tx_bytes", "0")) >= 148:
            break
        time.sleep(0.0005)
    uapi_set(second, second_peer, persistent_keepalive_interval=1)
    hs, png = converge(if1, pub2, t0, 30, ping)
    print(fmt(hs), fmt(png))


def proc_cpu(pid):
    """CPU seconds of every thread of pid (schedstat: nanoseconds)."""
    d = "/proc/%s/task" % pid
    return sum(int(open("%s/%s/schedstat" % (d, t)).read().split()[0]) for t in os.listdir(d)) / 1e9


def cmd_all_endpoints(a):
    ifname, n, t0, timeout, pid = a[0], int(a[1]), float(a[2]), float(a[3]), a[4]
    deadline = t0 + timeout
    got = 0
    while time.time() < deadline:
        t = time.time()
        got = sum(1 for p in peers(ifname).values() if p.get("endpoint"))
        if got >= n:
            print("%.4f %.4f %d" % (time.time() - t0, proc_cpu(pid), got))
            return
        # a reading of thousands of peers costs wireguard-go (and us) CPU that the
        # daemon under test would miss: keep polling to a small share of the time
        time.sleep(max(0.02, 4 * (time.time() - t)))
    print("timeout %.4f %d" % (proc_cpu(pid), got))


def cmd_scale_gen(a):
    """N peers for the scale benchmark: their keys, `wg addconf` lines, the stunmesh
    YAML peers, and in the file store the record each peer published for us (NaCl box
    from the peer's key to ours, stunmesh-go's format), endpoints of the documentation
    ranges that go nowhere (the benchmark's nftables rule drops them)."""
    from nacl.public import Box, PrivateKey, PublicKey
    import nacl.utils

    n, own = int(a[0]), PublicKey(base64.b64decode(a[1]))
    store, outdir = a[2], a[3]
    own_raw = bytes(own)
    with open(os.path.join(outdir, "peers.conf"), "w") as conf, \
            open(os.path.join(outdir, "peers.yaml"), "w") as yml:
        for i in range(n):
            k = PrivateKey.generate()
            pub = bytes(k.public_key)
            b64 = base64.b64encode(pub).decode()
            conf.write("[Peer]\nPublicKey = %s\n" % b64)
            yml.write('      p%d:\n        public_key: "%s"\n        plugin: shared\n' % (i, b64))
            ip = "198.51.100.%d" % (128 + i % 127)
            port = 10000 + i // 127
            plain = ('{"ipv4":"%s:%d"}' % (ip, port)).encode()
            nonce = nacl.utils.random(24)
            sealed = Box(k, own).encrypt(plain, nonce)  # nonce || tag || ciphertext
            key = hashlib.sha1(pub + own_raw).hexdigest()  # the key this peer writes for us
            with open(os.path.join(store, key + ".txt"), "w") as f:
                f.write(sealed.hex() + "\n")


def main():
    cmds = {"converge": cmd_converge, "floor": cmd_floor, "all-endpoints": cmd_all_endpoints,
            "scale-gen": cmd_scale_gen}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit("usage: wgtool.py {%s} ..." % ",".join(cmds))
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
