#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# UDP probes for the lab's port-mapping and relay tests:
#   udp-probe.py listen ADDR PORT        prints "got PAYLOAD from IP:PORT" per datagram
#                                        (flushed) and answers "echo PAYLOAD"
#   udp-probe.py send IP PORT PAYLOAD [--sport P] [--wait S]
#                                        sends PAYLOAD (from port P if given), prints
#                                        "reply TEXT from IP:PORT" if an answer comes
#                                        within S seconds (default 2), exit 1 if none
import socket
import sys


def listen(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    while True:
        data, (ip, sport) = s.recvfrom(2048)
        print("got %s from %s:%d" % (data.decode(errors="replace"), ip, sport), flush=True)
        s.sendto(b"echo " + data, (ip, sport))


def send(ip, port, payload, sport, wait):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sport:
        s.bind(("0.0.0.0", sport))
    s.settimeout(wait)
    s.sendto(payload.encode(), (ip, port))
    try:
        data, (rip, rport) = s.recvfrom(2048)
    except socket.timeout:
        print("no reply in %g s" % wait)
        return 1
    print("reply %s from %s:%d" % (data.decode(errors="replace"), rip, rport))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "listen":
        listen(argv[1], int(argv[2]))
        return 0
    if len(argv) >= 4 and argv[0] == "send":
        sport, wait, rest = 0, 2.0, argv[4:]
        while rest:
            if rest[0] == "--sport" and len(rest) > 1:
                sport = int(rest[1])
            elif rest[0] == "--wait" and len(rest) > 1:
                wait = float(rest[1])
            else:
                break
            rest = rest[2:]
        return send(argv[1], int(argv[2]), argv[3], sport, wait)
    print(__doc__ or "usage: udp-probe.py listen ADDR PORT | send IP PORT PAYLOAD", file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
