#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A minimal STUN Binding responder for the shapes of reply real servers do not give
# on demand:
#   --ip-options   replies carry IPv4 options (three NOPs and an end-of-list: IHL 6),
#                  to show that stunmesh's receive filter reads the IPv4 header length
#                  instead of assuming 20 bytes
#   --mapped-only  an RFC 3489-style reply: MAPPED-ADDRESS only, no FINGERPRINT
# Otherwise it answers XOR-MAPPED-ADDRESS with a FINGERPRINT from zlib's CRC-32
# (independent of stunmesh's). Usage: stun-responder.py ADDRESS PORT [OPTIONS]
import socket
import struct
import sys
import zlib

COOKIE = b"\x21\x12\xa4\x42"
opts = sys.argv[3:]

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if "--ip-options" in opts:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01\x01\x01\x00")
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    req, (ip, port) = s.recvfrom(2048)
    if len(req) < 20 or req[0:2] != b"\x00\x01" or req[4:8] != COOKIE:
        continue
    if "--mapped-only" in opts:
        attr = struct.pack(">HHBBH", 0x0001, 8, 0, 1, port) + socket.inet_aton(ip)
        s.sendto(struct.pack(">HH", 0x0101, len(attr)) + req[4:20] + attr, (ip, port))
        continue
    xip = bytes(a ^ c for a, c in zip(socket.inet_aton(ip), COOKIE))
    attr = struct.pack(">HHBBH", 0x0020, 8, 0, 1, port ^ 0x2112) + xip
    msg = struct.pack(">HH", 0x0101, len(attr) + 8) + req[4:20] + attr
    msg += struct.pack(">HHI", 0x8028, 4, zlib.crc32(msg) ^ 0x5354554E)
    s.sendto(msg, (ip, port))
