#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# report.py OUTDIR RESULTS.md: the tables of bench/RESULTS.md from what the benchmark
# scripts left in OUTDIR (see bench/run.sh). Every number comes from that run.
import math
import os
import sys


def pct(v, p):
    v = sorted(v)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def rows(path):
    if not os.path.exists(path):
        return []
    return [l.split() for l in open(path) if l.strip()]


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def spread(vals, unit="s", nd=3):
    """p50 | p95 | min | max | runs (fails)"""
    ok = [v for v in vals if v is not None]
    fails = len(vals) - len(ok)
    if not ok:
        return "- | - | - | - | %d (%d failed)" % (len(vals), fails)
    f = "%%.%df" % nd
    # a run that timed out counts as slower than every other in the percentiles
    allv = ok + [math.inf] * fails
    cell = lambda x: "timeout" if x == math.inf else f % x
    return " | ".join(cell(x) for x in (pct(allv, 50), pct(allv, 95), min(ok), max(allv))) + \
        " | %d%s" % (len(vals), " (%d timed out)" % fails if fails else "")


def med(vals):
    """p50 as in the tables (nearest rank)"""
    ok = [v for v in vals if v is not None]
    return pct(ok, 50) if ok else None


def fmt(v, f="%.3f"):
    return "-" if v is None else f % v


class Report:
    def __init__(self, out):
        self.out = out
        self.lines = []
        self.summary = []

    def w(self, s=""):
        self.lines.append(s)

    def target(self, what, goal, got, met):
        if isinstance(met, str):
            verdict = met
        else:
            verdict = "yes" if met else ("no" if met is not None else "not measured")
        self.summary.append("| %s | %s | %s | %s |" % (what, goal, got, verdict))

    def convergence(self):
        d = os.path.join(self.out, "convergence")
        ours, floor = rows(d + "/ours.tsv"), rows(d + "/floor.tsv")
        self.w("## 1. Convergence")
        self.w()
        if not ours:
            self.w("Not run (see the log of `make bench`).")
            self.w()
            self.target("convergence p50", "< 1 s", "not run", None)
            return
        self.w("Two sites behind port-restricted NATs (nftables masquerade), wireguard-go, no "
               "keepalive configured, `refresh_interval: 10m`, file store. Each run starts from "
               "nothing (peers removed and re-added in WireGuard, NAT conntrack flushed, store "
               "emptied); both daemons are started together. Handshake: site 1's WireGuard "
               "handshake timestamp (UAPI, ns) minus the start; first ping: the first `ping -c 1` "
               "from site 1 through the tunnel that succeeds, sent only after the handshake is "
               "seen. Floor: the same reset, then both endpoints set by hand over the UAPI at "
               "the same moment, the side with the lower key sending first and the other as "
               "soon as that initiation has left (`bench/wgtool.py floor`). Runs alternate "
               "ours/floor.")
        self.w()
        self.w("| seconds from start | p50 | p95 | min | max | runs |")
        self.w("|---|---|---|---|---|---|")
        oh = [num(r[1]) for r in ours]
        op = [num(r[2]) for r in ours]
        fh = [num(r[1]) for r in floor]
        fp = [num(r[2]) for r in floor]
        self.w("| stunmesh: handshake | %s |" % spread(oh))
        self.w("| stunmesh: first ping | %s |" % spread(op))
        self.w("| floor (endpoints by hand): handshake | %s |" % spread(fh, nd=4))
        self.w("| floor (endpoints by hand): first ping | %s |" % spread(fp, nd=4))
        rh = med(oh) / med(fh) if med(oh) and med(fh) else None
        rp = med(op) / med(fp) if med(op) and med(fp) else None
        self.w()
        self.w("Ratio stunmesh / floor (p50): handshake **%sx**, first ping **%sx**." %
               (fmt(rh, "%.0f"), fmt(rp, "%.0f")))
        self.w()
        self.target("convergence p50 (first ping)", "< 1 s", fmt(med(op)) + " s",
                    med(op) is not None and med(op) < 1)
        self.target("convergence vs floor (first ping, p50)", "<= 3x", fmt(rp, "%.0f") + "x",
                    rp is not None and rp <= 3)
        ph = rows(d + "/phases.tsv")
        if ph:
            names = ["daemon running", "device read", "own endpoint learnt (STUN)",
                     "record published", "peer's endpoint set", "state connected"]
            self.w("Where the time goes (median over runs, seconds from start, from the daemons' "
                   "logs at ms resolution; per site):")
            self.w()
            self.w("| step | site 1 | site 2 |")
            self.w("|---|---|---|")
            for k, name in enumerate(names):
                cells = []
                for site in ("1", "2"):
                    cells.append(fmt(med([num(r[2 + k]) for r in ph if r[1] == site])))
                self.w("| %s | %s |" % (name, " | ".join(cells)))
            self.w()
        idle = rows(d + "/idle.tsv")
        if idle:
            win, c0, c1, rss, hwm = (num(x) for x in idle[0][:5])
            perf = self.perf(d + "/perf-idle.csv")
            self.w("Idle cost of one connected peer (site 1, window of %.0f s after connecting): "
                   "%.4f CPU s (**%.2f CPU s per hour**), %s syscalls, %s store reads (openat), "
                   "%s UAPI connections (device readings), VmRSS %d kB." %
                   (win, c1 - c0, (c1 - c0) * 3600 / win, perf.get("raw_syscalls:sys_enter", "-"),
                    perf.get("syscalls:sys_enter_openat", "-"),
                    perf.get("syscalls:sys_enter_connect", "-"), rss))
            self.w()

    def perf(self, path):
        out = {}
        for line in open(path) if os.path.exists(path) else []:
            f = line.strip().split(",")
            if len(f) > 3 and f[0].isdigit():
                out[f[2]] = f[0]
        return out

    def healing(self):
        d = os.path.join(self.out, "healing")
        heal = rows(d + "/heal.tsv")
        self.w("## 2. Healing")
        self.w()
        if not heal:
            self.w("Not run.")
            self.w()
            self.target("healing p50", "< 10 s", "not run", None)
            return
        self.w("Two connected sites as above, persistent keepalive 25 s set on both peers with "
               "`wg`, no ping target in stunmesh. One NAT gets a fresh public address "
               "(`lab_readdress`, conntrack flushed; sites 1 and 2 alternate); time until "
               "`ping -i 0.2` from site 1 through the tunnel gets its first answer.")
        self.w()
        self.w("| seconds after re-addressing | p50 | p95 | min | max | runs |")
        self.w("|---|---|---|---|---|---|")
        allv = [num(r[2]) for r in heal]
        self.w("| ping works again (all runs) | %s |" % spread(allv))
        for site in ("1", "2"):
            self.w("| site %s re-addressed | %s |" % (site, spread([num(r[2]) for r in heal if r[1] == site])))
        self.w()
        fails = sum(1 for v in allv if v is None)
        p50 = pct([math.inf if v is None else v for v in allv], 50)
        self.target("healing p50", "< 10 s", ("%.3f s" % p50 if p50 != math.inf else "timeout") +
                    (" (%d of %d runs never healed within 90 s)" % (fails, len(allv)) if fails else ""),
                    p50 < 10 if not fails else ("p50 yes, but runs failed" if p50 < 10 else False))
        ph = rows(d + "/phases.tsv")
        if ph:
            self.w("Steps (median seconds after re-addressing, from the logs; moved = the site "
                   "whose NAT changed, other = its peer):")
            self.w()
            self.w("| step | moved site | other site |")
            self.w("|---|---|---|")
            names = ["stale detected (tx without rx)", "own endpoint change learnt (STUN)",
                     "peer's new endpoint set", "state connected again"]
            for k, name in enumerate(names):
                moved = [num(r[3 + k]) for r in ph if r[1] == r[2]]
                other = [num(r[3 + k]) for r in ph if r[1] != r[2]]
                def cell(v):
                    ok = [x for x in v if x is not None]
                    return "%s (%d of %d runs)" % (fmt(med(v)), len(ok), len(v))
                self.w("| %s | %s | %s |" % (name, cell(moved), cell(other)))
            self.w()

    def scale(self):
        d = os.path.join(self.out, "scale")
        sc = rows(d + "/scale.tsv")
        self.w("## 3. Scale")
        self.w()
        if not sc:
            self.w("Not run.")
            self.w()
            self.target("1000 peers: all endpoints set", "< 5 s", "not run", None)
            return
        self.w("One wireguard-go interface behind a prc NAT with N peers (keys only); the file "
               "store holds each peer's record sealed for our key (written by "
               "`bench/wgtool.py scale-gen`, stunmesh-go's format), endpoints in "
               "198.51.100.128/25 that go nowhere (dropped by nftables on the host). The peers "
               "never answer, so they stay `punching`: the steady state below is the cost of "
               "N unreachable peers. `all set`: from starting stunmesh until every peer has an "
               "endpoint (UAPI polled); CPU and VmHWM at that moment. Then, after the 60 s "
               "fast-keepalive phase, a window with nothing changing: CPU, syscalls (perf "
               "tracepoints), store reads (openat of the file store) and writes (rename), UAPI "
               "connections, STUN packets leaving the host (nftables counter).")
        self.w()
        self.w("| peers | all set (s) | CPU s to all set | VmHWM (kB) | window (s) | CPU s in window | CPU s per hour | syscalls/s | store reads/min | store writes/min | UAPI conn/s | STUN pkts in window | STUN pkts at start | VmRSS end (kB) | peer states |")
        self.w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        t1000 = None
        for r in sc:
            n = r[0]
            if n == "1000":
                t1000 = num(r[1])
            win = num(r[4])
            cpu = num(r[5])
            if win:
                per_h = fmt(cpu * 3600 / win, "%.1f")
                sysc = fmt(num(r[7]) / win, "%.0f")
                rd = fmt(num(r[8]) * 60 / win, "%.0f")
                wr = fmt(num(r[9]) * 60 / win, "%.0f")
                conn = fmt(num(r[10]) / win, "%.1f")
            else:
                per_h = sysc = rd = wr = conn = "-"
            self.w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                n, r[1], r[2], r[3], r[4], r[5], per_h, sysc, rd, wr, conn, r[6], r[13], r[11],
                r[14] if len(r) > 14 else "-"))
        self.w()
        reps = rows(d + "/allset.tsv")
        if reps:
            self.w("Time until all endpoints are set, over repeated starts:")
            self.w()
            self.w("| peers | p50 | p95 | min | max | runs |")
            self.w("|---|---|---|---|---|---|")
            for n in sorted({r[0] for r in reps if int(r[0]) > 10}, key=int):
                self.w("| %s | %s |" % (n, spread([num(r[1]) for r in reps if r[0] == n])))
            self.w()
            t1000 = med([num(r[1]) for r in reps if r[0] == "1000"]) or t1000
        self.target("1000 peers: all endpoints set (file store)", "< 5 s", fmt(t1000) + " s",
                    t1000 is not None and t1000 < 5)
        start = [r[13] for r in sc]
        if start:
            same = len(set(start)) == 1
            self.target("STUN: <= 1 exchange per interface and family per cycle, not growing with peers",
                        "<= 1", "%s packet(s) at start for %s peers; %s in the %s-s windows (one "
                        "discovery every 10 s, i.e. ~60 per 10-min refresh interval)" %
                        ("/".join(start), "/".join(r[0] for r in sc),
                         "/".join(r[6] for r in sc), sc[0][4]),
                        "partly" if same else False)

    def footprint(self):
        d = os.path.join(self.out, "footprint")
        sz = [l.rstrip("\n").split("|") for l in open(d + "/sizes.tsv")] if os.path.exists(d + "/sizes.tsv") else []
        idle = {r[0]: r for r in rows(os.path.join(self.out, "scale/idle.tsv"))}
        self.w("## 4. Footprint")
        self.w()
        if not sz:
            self.w("Not run.")
            return
        self.w("Stripped binary (`strip`), section sizes (`size`), shared libraries "
               "(DT_NEEDED, and everything `ldd` loads), and the memory of an idle daemon with "
               "10 peers (the N=10 scale run, 10 s after all endpoints were set): VmRSS counts "
               "every resident page of the shared libraries; PSS shares them out; USS is what "
               "this process alone holds; anon is heap and stacks.")
        self.w()
        self.w("| build | stripped bytes | text | data | bss | needs | libraries loaded |")
        self.w("|---|---|---|---|---|---|---|")
        full = None
        for name, how, stripped, text, data, bss, needed, nldd in sz:
            if name == "full":
                full = int(stripped)
            self.w("| `make %s` | %s | %s | %s | %s | %s | %s |" % (how, stripped, text, data, bss, needed, nldd))
        self.w()
        self.w("| idle, 10 peers | VmRSS (kB) | VmHWM (kB) | PSS (kB) | USS (kB) | anon (kB) |")
        self.w("|---|---|---|---|---|---|")
        for tag, label in (("10", "default build"), ("10-nocf", "WITH_CLOUDFLARE=0")):
            if tag in idle:
                r = idle[tag]
                self.w("| %s | %s | %s | %s | %s | %s |" % (label, r[1], r[2], r[3], r[4], r[5]))
        self.w()
        self.target("stripped binary", "< 300 KB", "%s bytes" % full, full is not None and full < 300 * 1024)
        for tag, label in (("10", "default build"), ("10-nocf", "WITH_CLOUDFLARE=0")):
            if tag in idle:
                rss = int(idle[tag][1])
                self.target("idle RSS, 10 peers, %s" % label, "< 4 MB", "%d kB" % rss, rss < 4096)

    def relay(self):
        path = os.path.join(self.out, "relay", "results.txt")
        if not os.path.exists(path):
            return
        got = []
        for r in rows(path):
            kv = dict(zip(r[1::2], r[2::2]))
            got.append((r[0], kv))
        self.w("## Relay throughput (bench/relay.sh)")
        self.w()
        self.w("Packets through net/relay (each crosses it twice: WireGuard to the TURN server and back). "
               "`local`: against a TURN server played in a second process that echoes ChannelData, the two "
               "processes pinned to one core each; `coturn`: in the lab, from behind a symmetric NAT through "
               "coturn to an echo peer. *per CPU-second* is what the relay forwards per second of its own CPU "
               "time: its rate on one fully busy core.")
        self.w()
        self.w("| mode | packet bytes | relayed packets/s | relay CPU | per CPU-second | coturn CPU |")
        self.w("|---|---|---|---|---|---|")
        best = 0
        for mode, kv in got:
            per = num(kv.get("pkts_per_cpu_s", "0")) or 0
            if mode == "local":
                best = max(best, per)
            self.w("| %s | %s | %s | %s | %s | %s |" % (mode, kv.get("size"), kv.get("relayed_pkts/s"),
                   kv.get("relay_cpu"), kv.get("pkts_per_cpu_s"), kv.get("coturn_cpu", "")))
        self.w()
        if best:
            self.target("relay, one core (local, per CPU-second)", ">= 100k packets/s", "%.0f" % best, best >= 100000)

    def write(self, path, header):
        self.convergence()
        self.healing()
        self.scale()
        self.footprint()
        self.relay()
        with open(path, "w") as f:
            f.write(header)
            f.write("## Against the targets\n\n| what | target | this run | met |\n|---|---|---|---|\n")
            f.write("\n".join(self.summary) + "\n\n")
            f.write("\n".join(self.lines) + "\n")
            notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
            if os.path.exists(notes):
                f.write("\n" + open(notes).read())


def main():
    out, path = sys.argv[1], sys.argv[2]
    header = open(os.path.join(out, "header.md")).read() if os.path.exists(os.path.join(out, "header.md")) else ""
    Report(out).write(path, header)


if __name__ == "__main__":
    main()
